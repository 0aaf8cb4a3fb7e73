# 60-data-view.sh: the data view (data/) with real tools: folders named like
# the rendered view, image.png the same file, cp -r of original/ and rsync -a
# and tar of an image folder byte-identical, every metadata.json loads in
# Python, tifffile opens an original TIFF, getfattr on an image folder, and a
# download the server refuses fails loudly instead of copying short.
shared_mount
say "== 6. the data view: originals, metadata.json, attachments"
D="$M/data/projects/Cell Biology/Mitosis"
PY=/usr/bin/python3 # the system's, with python3-tifffile

# tree_manifest DIR: "sha256 size path" of every file under DIR.
tree_manifest() {
	(cd "$1" && find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do
		printf '%s %s %q\n' "$(timeout 120 sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
	done)
}
# odd_reads DIR: the same, each file read with dd in 4097-byte blocks (reads
# at offsets that are no multiple of a page), size the bytes read.
odd_reads() {
	(cd "$1" && find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do
		timeout 120 dd if="$f" of="$WORK/one" bs=4097 status=none
		printf '%s %s %q\n' "$(sha256sum <"$WORK/one" | cut -d' ' -f1)" "$(stat -c %s "$WORK/one")" "$f"
	done)
}
same_files() { diff -u "$1" "$2" >>"$ART/check-output.log"; }

# Folder names: the rendered view's file names without ".png".
ls "$CB/Mitosis" | sed 's/\.png$//' >"$WORK/rendered-names.txt"
ls "$D" >"$WORK/data-names.txt"
check "6. data/ folders are named like the rendered PNGs without .png" same_files "$WORK/rendered-names.txt" "$WORK/data-names.txt"
check "6. image.png is the rendered PNG (one inode, same bytes)" bash -c \
	'[ "$(stat -c %i "$1")" = "$(stat -c %i "$2")" ] && cmp -s "$1" "$2"' _ "$CB/Mitosis/histology.tif.png" "$D/histology.tif/image.png"

# cp -r of a multi-file fileset (a MIRAX folder) keeps its layout and bytes.
SLIDE="$M/data/orphaned/Big slide.svs/original"
odd_reads "$SLIDE" >"$ART/data-slide-direct.txt"
check "6. original/ of the .mrxs: 5 files, st_size = bytes read" bash -c \
	'[ "$(wc -l <"$1")" -eq 5 ] && diff -u "$1" <(cd "$2" && find . -type f -print0 | sort -z | while IFS= read -r -d "" f; do printf "%s %s %q\n" "$(sha256sum <"$f" | cut -d" " -f1)" "$(stat -c %s "$f")" "$f"; done)' \
	_ "$ART/data-slide-direct.txt" "$SLIDE"
check "6. cp -r original/ exits 0" timeout 300 cp -r "$SLIDE" "$WORK/slide-copy"
tree_manifest "$WORK/slide-copy" >"$WORK/m-slide-copy.txt"
check "6. cp -r original/ is byte-identical, layout kept (Big slide/Data0000.dat …)" same_files "$ART/data-slide-direct.txt" "$WORK/m-slide-copy.txt"

# rsync -a and tar of an image folder (image.png, metadata.json, original/, attachments/).
tree_manifest "$D/mitosis_01.dv" >"$ART/data-folder-direct.txt"
mkdir -p "$WORK/data-rs" "$WORK/data-tar"
check "6. rsync -a of an image folder exits 0" timeout 300 rsync -a "$D/mitosis_01.dv" "$WORK/data-rs/"
tree_manifest "$WORK/data-rs/mitosis_01.dv" >"$WORK/m-data-rs.txt"
check "6. rsync -a of an image folder = direct reads" same_files "$ART/data-folder-direct.txt" "$WORK/m-data-rs.txt"
check "6. tar of an image folder" bash -c 'timeout 300 tar cf "$1" -C "$2" mitosis_01.dv && tar xf "$1" -C "$3"' \
	_ "$WORK/data.tar" "$D" "$WORK/data-tar"
tree_manifest "$WORK/data-tar/mitosis_01.dv" >"$WORK/m-data-tar.txt"
check "6. tar members of an image folder = direct reads" same_files "$ART/data-folder-direct.txt" "$WORK/m-data-tar.txt"
check "6. the image folder has its attachments" grep -q 'attachments/analysis\\ results.csv' "$ART/data-folder-direct.txt"

# Every metadata.json of two datasets (odd names included) loads in Python.
check "6. python3 json.load on every metadata.json" timeout 120 "$PY" -c '
import json, pathlib, sys
n = 0
for d in sys.argv[1:]:
    for p in sorted(pathlib.Path(d).glob("*/metadata.json")):
        m = json.load(open(p, encoding="utf-8"))
        assert m["schema"] == "omerofs/metadata/1" and m["id"] > 0 and m["dimensions"]["x"] > 0, p
        n += 1
assert n >= 15, n
print(n, "metadata.json loaded")' "$D" "$M/data/projects/Cell Biology/Odd names"

# tifffile opens the original TIFF and sees what metadata.json says.
check "6. tifffile reads original/histology.tif with metadata.json's dimensions" timeout 120 "$PY" -c '
import json, sys, tifffile
a = tifffile.imread(sys.argv[1])
m = json.load(open(sys.argv[2]))
assert a.shape == (m["dimensions"]["y"], m["dimensions"]["x"], 3) and str(a.dtype) == m["pixel_type"], (a.shape, a.dtype)
print(a.shape, a.dtype)' "$D/histology.tif/original/histology.tif" "$D/histology.tif/metadata.json"

check "6. getfattr on an image folder: user.omero.type=\"Image\", its id" bash -c \
	'[ "$(getfattr --only-values -n user.omero.type "$1")" = Image ] && [ "$(getfattr --only-values -n user.omero.id "$1")" = "$(getfattr --only-values -n user.omero.id "$2")" ]' \
	_ "$D/mitosis_01.dv" "$CB/Mitosis/mitosis_01.dv.png"

# A download the server's policy refuses (the facility group: -image,-plate):
# cp fails with EIO and says so, and leaves no silent short copy behind.
REFUSED="$M/data/projects/Facility QC/Beads/beads_1.tif/original/beads_1.tif"
check "6. a refused original fails with Input/output error" bash -c \
	'! timeout 60 cp "$1" "$2" 2>"$2.err" && grep -q "Input/output error" "$2.err"' _ "$REFUSED" "$WORK/refused-copy"
check "6. the mount logged the refusal naming omero.policy.binary_access" grep -q "omero.policy.binary_access" "$ART/mount-main.log"
