# 40-copy-tools.sh: cp -r, rsync -a, tar, find and du over two trees give the
# same bytes, sizes, names and times as direct reads.
shared_mount
say "== 4. cp -r, rsync -a, find, du, tar give the same bytes as direct reads"
# manifest DIR: "sha256 size path" of every file under DIR, paths %q-quoted.
manifest() {
	(cd "$1" && find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do
		printf '%s %s %q\n' "$(timeout 120 sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
	done)
}
# direct DIR: the same, bytes read with cat, size is the number of bytes read.
direct() {
	(cd "$1" && find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do
		timeout 120 cat "$f" >"$WORK/one"
		printf '%s %s %q\n' "$(sha256sum <"$WORK/one" | cut -d' ' -f1)" "$(stat -c %s "$WORK/one")" "$f"
	done)
}
same() { diff -u "$1" "$2" >>"$ART/check-output.log"; }
for tree in "projects/Cell Biology/Mitosis" "datasets"; do
	key=$(tr -c 'A-Za-z0-9\n' _ <<<"$tree")
	src=$M/$tree
	direct "$src" >"$ART/direct-$key.txt"
	manifest "$src" >"$WORK/stat-$key.txt"
	nfiles=$(wc -l <"$ART/direct-$key.txt")
	if [ "$nfiles" -gt 0 ]; then
		check "4. $tree: st_size of each of $nfiles files = bytes read" same "$ART/direct-$key.txt" "$WORK/stat-$key.txt"
	else fail "4. $tree: no files read"; fi
	mkdir -p "$WORK/cp-$key" "$WORK/rs-$key" "$WORK/tar-$key"
	check "4. $tree: cp -r exits 0" timeout 300 cp -r "$src" "$WORK/cp-$key/"
	manifest "$WORK/cp-$key/$(basename "$tree")" >"$WORK/m-cp-$key.txt"
	check "4. $tree: cp -r copy = direct reads" same "$ART/direct-$key.txt" "$WORK/m-cp-$key.txt"
	check "4. $tree: rsync -a exits 0" timeout 300 rsync -a "$src" "$WORK/rs-$key/"
	manifest "$WORK/rs-$key/$(basename "$tree")" >"$WORK/m-rs-$key.txt"
	check "4. $tree: rsync -a copy = direct reads" same "$ART/direct-$key.txt" "$WORK/m-rs-$key.txt"
	mtimes() { (cd "$1" && find . -type f -printf '%T@ %m %p\n' | sort -k3); }
	mtimes "$src" >"$WORK/t-src-$key.txt"
	mtimes "$WORK/rs-$key/$(basename "$tree")" >"$WORK/t-rs-$key.txt"
	check "4. $tree: rsync -a kept mtimes and modes" same "$WORK/t-src-$key.txt" "$WORK/t-rs-$key.txt"
	check "4. $tree: tar c exits 0" bash -c 'timeout 300 tar cf "$1" -C "$(dirname "$2")" "$(basename "$2")"' _ "$WORK/$key.tar" "$src"
	check "4. $tree: tar x of the archive" timeout 120 tar xf "$WORK/$key.tar" -C "$WORK/tar-$key"
	manifest "$WORK/tar-$key/$(basename "$tree")" >"$WORK/m-tar-$key.txt"
	check "4. $tree: tar members = direct reads" same "$ART/direct-$key.txt" "$WORK/m-tar-$key.txt"
	# find -name against a shell glob: two independent ways of listing.
	nfind=$(timeout 60 find "$src" -name '*.png' -type f | wc -l)
	shopt -s globstar nullglob
	globbed=("$src"/**/*.png)
	shopt -u globstar nullglob
	if [ "$nfind" -eq "${#globbed[@]}" ] && [ "$nfind" -eq "$nfiles" ]; then pass "4. $tree: find -name '*.png' finds $nfind = glob = files read"; else
		fail "4. $tree: find -name '*.png' finds $nfind, glob ${#globbed[@]}, files read $nfiles"
	fi
	# du: apparent bytes equal what stat says, and allocated blocks are not 0.
	bytes=$(awk '{s += $2} END {print s + 0}' "$ART/direct-$key.txt")
	dirbytes=$(find "$src" -type d -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	dub=$(timeout 60 du -sb "$src" | cut -f1)
	duk=$(timeout 60 du -sk "$src" | cut -f1)
	if [ "$dub" -eq $((bytes + dirbytes)) ] && [ "$duk" -ge $((bytes / 1024)) ]; then
		pass "4. $tree: du -sb $dub = file bytes $bytes + dirs $dirbytes; du -sk $duk KiB"
	else fail "4. $tree: du -sb $dub vs file bytes $bytes + dirs $dirbytes; du -sk $duk KiB (want ≥ $((bytes / 1024)))"; fi
done
