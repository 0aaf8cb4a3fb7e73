#!/usr/bin/env bash
# desktop/run.sh: the real-client desktop tests of an omerofs mount (docs/desktop.md).
#
# One entry point for `make test-desktop` and CI. It installs what it needs
# (apt-get, as root), builds omerofs, starts the demo OMERO.web with a debug
# log (so every render request can be counted), mounts it with
# `omerofs mount`, and drives real programs over the mount: PCManFM under
# Xvfb, ImageJ, ImageMagick, pngcheck, cp, rsync, find, du, tar, getfattr.
# Screenshots and logs go to artifacts/desktop/. Every step that could block
# runs under `timeout`; an EXIT trap unmounts and stops everything it started.
# The last line printed is always "N passed, M failed"; the exit status is
# non-zero when a check failed.
#
# Environment: DESKTOP_KEEP_WORK=1 keeps the scratch directory for a post-mortem.
set -u

# The whole run is bounded: re-exec once under timeout, so that even a step
# forgotten without its own timeout cannot hang CI.
if [ -z "${OMEROFS_DESKTOP_INNER:-}" ]; then
	export OMEROFS_DESKTOP_INNER=1
	exec timeout -k 40 540 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ART=$ROOT/artifacts/desktop
rm -rf "$ART"
mkdir -p "$ART"
WORK=$(mktemp -d /tmp/omerofs-desktop.XXXXXX)
LOG=$ART/checks.log
: >"$LOG"
START=$(date +%s)
PASS=0
FAIL=0
PIDS=()   # processes this script started, stopped in reverse order on exit
MNTS=()   # mountpoints this script created
DEMO_USER=demo
DEMO_PASSWORD=demo
DIR1200="projects/Cell Biology/1200 images"

say() { echo "$*" | tee -a "$LOG"; }
pass() { PASS=$((PASS + 1)); say "PASS $*"; }
fail() { FAIL=$((FAIL + 1)); say "FAIL $*"; }
# check NAME CMD...: one counted check, passed when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@" >>"$ART/check-output.log" 2>&1; then pass "$name"; else fail "$name"; fi
}
# fatal: a step everything after it needs has failed; count it and stop.
fatal() {
	fail "$*"
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
# wait_for SECONDS CMD...: poll CMD until it succeeds or time runs out.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# descendants PID: the process ids below PID, deepest last.
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}
# stop_tree PID: stop PID and everything it started (pcmanfm runs under
# timeout and dbus-run-session, and a pcmanfm that lost its mount or its X
# server may ignore SIGTERM, so KILL follows after a grace period).
stop_tree() {
	local all p
	all=("$1" $(descendants "$1"))
	kill -TERM "${all[@]}" 2>/dev/null
	for p in "${all[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
	done
}

cleanup() {
	local rc=$?
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -0 "${PIDS[i]}" 2>/dev/null && stop_tree "${PIDS[i]}"
	done
	for m in "${MNTS[@]}"; do
		if mountpoint -q "$m" 2>/dev/null; then
			timeout 10 fusermount3 -u -z "$m" 2>/dev/null || timeout 10 umount -l "$m" 2>/dev/null
		fi
	done
	if [ -z "${DESKTOP_KEEP_WORK:-}" ]; then
		chmod -R u+w "$WORK" 2>/dev/null
		rm -rf --one-file-system "$WORK"
	fi
	[ "$rc" -ne 0 ] && say "stopped early (exit status $rc): the counts below are of the checks run so far"
	say "run time: $(($(date +%s) - START))s; artifacts in $ART"
	echo "$PASS passed, $FAIL failed"
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then exit 1; fi
	exit 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# ---------------------------------------------------------------- install
# command or file → Debian package that provides it
declare -A NEED=(
	[Xvfb]=xvfb [xdpyinfo]=x11-utils [xwininfo]=x11-utils [xdotool]=xdotool
	[pcmanfm]=pcmanfm [dbus-run-session]=dbus-daemon [java]=default-jre
	[/usr/share/java/ij.jar]=imagej [identify]=imagemagick [import]=imagemagick
	[convert]=imagemagick [pngcheck]=pngcheck [getfattr]=attr [rsync]=rsync
	[fusermount3]=fuse3 [/usr/share/mime/mime.cache]=shared-mime-info
	[/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]=fonts-dejavu-core
)
missing=()
for k in "${!NEED[@]}"; do
	if [[ $k == /* ]]; then [ -e "$k" ] && continue; else have "$k" && continue; fi
	missing+=("${NEED[$k]}")
done
if [ ${#missing[@]} -gt 0 ]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	say "installing: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || fatal "install: not root; run: sudo apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	timeout 240 apt-get update -qq >"$ART/apt.log" 2>&1 || say "apt-get update failed (see apt.log); trying the install anyway"
	timeout 300 apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$ART/apt.log" 2>&1 ||
		fatal "install ${missing[*]} (see artifacts/desktop/apt.log)"
fi

# ---------------------------------------------------------------- build
BIN=$WORK/omerofs
PROBE=$WORK/pngprobe
(cd "$ROOT" && timeout 300 go build -o "$BIN" ./cmd/omerofs && timeout 120 go build -o "$PROBE" ./desktop/pngprobe) \
	>"$ART/build.log" 2>&1 || fatal "build omerofs (see artifacts/desktop/build.log)"

# ---------------------------------------------------------------- X server
for n in $(seq 90 140); do
	[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
done
export DISPLAY=:$n
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$ART/xvfb.log" 2>&1 &
PIDS+=($!)
wait_for 15 xdpyinfo || fatal "Xvfb on $DISPLAY did not start (see xvfb.log)"

# ---------------------------------------------------------------- demo server
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 40); do
	p=$((RANDOM % 20000 + 30000))
	port_in_use "$p" || { PORT=$p; break; }
done
[ -n "$PORT" ] || fatal "no free loopback port"
SRVLOG=$ART/server.log
"$BIN" serve-demo --listen "127.0.0.1:$PORT" --public=false --log-level debug >"$SRVLOG" 2>&1 &
SRVPID=$!
PIDS+=($SRVPID)
wait_for 20 port_in_use "$PORT" || fatal "demo server did not listen on 127.0.0.1:$PORT (see server.log)"
URL=http://127.0.0.1:$PORT

# count KIND FROMLINE: requests of one kind in the server log after a line.
count() { tail -n +"$(($2 + 1))" "$SRVLOG" | grep -c "kind=$1\b"; }
lines() { wc -l <"$SRVLOG"; }
# full renders: whole planes and regions of big images; thumbnails apart.
full_renders() { echo $(($(count render_image "$1") + $(count render_image_region "$1"))); }

# mount_demo NAME HOME FLAGS...: mount as demo with HOME (and so the
# thumbnail cache) of our choosing; sets MNT and MPID.
mount_demo() {
	local name=$1 home=$2
	shift 2
	MNT=$WORK/mnt-$name
	mkdir -p "$MNT" "$home"
	HOME=$home XDG_CACHE_HOME=$home/.cache OMERO_PASSWORD=$DEMO_PASSWORD \
		timeout -k 10 600 "$BIN" mount --user "$DEMO_USER" "$@" "$URL" "$MNT" >"$ART/mount-$name.log" 2>&1 &
	MPID=$!
	PIDS+=($MPID)
	MNTS+=("$MNT")
	wait_for 20 mountpoint -q "$MNT"
}
unmount_demo() {
	kill -TERM "$MPID" 2>/dev/null
	timeout 15 tail --pid="$MPID" -f /dev/null
	mountpoint -q "$MNT" && timeout 10 fusermount3 -u -z "$MNT"
	return 0
}

# ---------------------------------------------------------------- 1. PCManFM
# pcmanfm_case NAME THUMBS(yes/no) PRELIST(yes/no): open the 1,200-image
# folder in PCManFM with a fresh home (empty thumbnail cache), wait until the
# render requests stop, screenshot it, prove the window answers, and record
# how many full renders drawing the window cost.
pcmanfm_case() {
	local name=$1 thumbs=$2 prelist=$3
	local home=$WORK/home-$name flags=() n_images
	say "== 1. PCManFM ($name: --thumbnails=$thumbs, folder listed before opening: $prelist)"
	[ "$thumbs" = yes ] && flags+=(--thumbnails)
	mkdir -p "$home/.config/libfm" "$home/.config/pcmanfm/default" "$home/run"
	chmod 700 "$home/run"
	# Thumbnails on for local files up to 2 MiB (libfm's defaults, made
	# explicit), icon view, a window big enough to show a few rows.
	printf '[config]\nshow_thumbnail=1\nthumbnail_local=1\nthumbnail_max=2048\n' >"$home/.config/libfm/libfm.conf"
	printf '[ui]\nview_mode=icon\nwin_width=900\nwin_height=640\nshow_statusbar=1\n' >"$home/.config/pcmanfm/default/pcmanfm.conf"
	local before
	before=$(lines)
	if ! mount_demo "pcmanfm-$name" "$home" "${flags[@]}"; then
		fail "1.$name mount"
		return
	fi
	local dir=$MNT/$DIR1200
	n_images=$(timeout 60 find "$dir" -maxdepth 1 -type f -name '*.png' | wc -l)
	if [ "$prelist" = yes ]; then
		# Give the background thumbnailer time to fill the cache first.
		wait_for 90 test "$(find "$home/.cache/thumbnails" -type f -name '*.png' 2>/dev/null | wc -l)" -ge "$n_images" ||
			say "   only $(find "$home/.cache/thumbnails" -type f 2>/dev/null | wc -l) of $n_images thumbnails were written in 90s"
	fi
	local from
	from=$(lines)
	HOME=$home XDG_CACHE_HOME=$home/.cache XDG_CONFIG_HOME=$home/.config XDG_RUNTIME_DIR=$home/run \
		timeout -k 5 240 dbus-run-session -- pcmanfm "$dir" >"$ART/pcmanfm-$name.log" 2>&1 &
	local ppid=$!
	PIDS+=($ppid)
	local win=
	# Only a mapped window counts: a GTK client also owns unmapped ones.
	find_win() { win=$(xdotool search --onlyvisible --name '^1200 images$' 2>/dev/null | tail -1) && [ -n "$win" ]; }
	if wait_for 30 find_win; then pass "1.$name PCManFM window '1200 images' appeared"; else
		fail "1.$name PCManFM window '1200 images' appeared (see pcmanfm-$name.log)"
		stop_tree "$ppid"
		unmount_demo
		return
	fi
	# Settle: wait until no render request has arrived for 4 s (at most 90 s).
	local last=-1 still=0 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 90 ]; do
		sleep 1
		local now
		now=$(($(full_renders "$from") + $(count render_thumbnail "$from")))
		if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$now
		[ "$still" -ge 4 ] && [ $(($(date +%s) - t0)) -ge 6 ] && break
	done
	local settle=$(($(date +%s) - t0))
	timeout 20 import -window root "$ART/pcmanfm-$name-screen.png" 2>>"$ART/check-output.log"
	timeout 20 import -window "$win" "$ART/pcmanfm-$name-window.png" 2>>"$ART/check-output.log"
	local colours
	colours=$(timeout 20 identify -format '%k' "$ART/pcmanfm-$name-window.png" 2>/dev/null || echo 0)
	if [ "${colours:-0}" -gt 16 ]; then pass "1.$name screenshot saved ($colours colours)"; else
		fail "1.$name screenshot saved (colours: ${colours:-none})"
	fi
	# The window's process must answer: Alt+Up goes to the parent folder and
	# the title (set by PCManFM itself, not by X) must follow; Alt+Left back.
	responds() {
		timeout 10 xdotool windowfocus --sync "$win" &&
			timeout 5 xdotool key --clearmodifiers alt+Up &&
			wait_for 15 bash -c "xdotool getwindowname $win | grep -qx 'Cell Biology'" &&
			timeout 5 xdotool key --clearmodifiers alt+Left &&
			wait_for 15 bash -c "xdotool getwindowname $win | grep -qx '1200 images'"
	}
	check "1.$name PCManFM answers (Alt+Up shows 'Cell Biology', Alt+Left back)" responds
	check "1.$name PCManFM process still alive" kill -0 "$ppid"
	local renders thumbs_req thumbs_files
	renders=$(full_renders "$from")
	# The thumbnailer may have started before pcmanfm: count from the mount.
	thumbs_req=$(count render_thumbnail "$before")
	thumbs_files=$(find "$home/.cache/thumbnails" -type f -name '*.png' 2>/dev/null | wc -l)
	say "   measured: $n_images images; PCManFM window cost $renders full renders (settled after ${settle}s); $thumbs_req render_thumbnail requests since mount; $thumbs_files files in the thumbnail cache"
	echo "$name thumbs=$thumbs prelist=$prelist images=$n_images full_renders=$renders render_thumbnail=$thumbs_req cache_files=$thumbs_files settle_s=$settle" >>"$ART/render-counts.txt"
	# With thumbnails the window should cost next to no full renders: none
	# once the thumbnails are in the cache, at most a tenth of the folder
	# when PCManFM opens it straight away (it may get ahead of the
	# thumbnailer for a few files, not for the folder).
	if [ "$thumbs" = yes ]; then
		local limit=$((n_images / 10))
		[ "$prelist" = yes ] && limit=0
		if [ "$renders" -le "$limit" ]; then pass "1.$name full renders ($renders of $n_images images) ≤ $limit"; else
			fail "1.$name full renders ($renders of $n_images images) ≤ $limit"
		fi
	fi
	stop_tree "$ppid"
	unmount_demo
}

pcmanfm_case plain no no
pcmanfm_case thumbs yes no
pcmanfm_case thumbs-warm yes yes

# ---------------------------------------------------------------- checks 2-5 share one plain mount
say "== mounting for checks 2-5"
mount_demo main "$WORK/home-main" || fatal "mount $URL for checks 2-5 (see mount-main.log)"
M=$MNT
CB="$M/projects/Cell Biology"

# ---------------------------------------------------------------- 2. ImageJ
say "== 2. ImageJ opens PNGs straight from the mount"
cat >"$WORK/probe.ijm" <<'EOF'
// Argument: "X<TAB>Y<TAB>PATH". Prints width, height, bit depth and the RGB of pixel (X,Y).
a = split(getArgument(), "\t");
x = parseInt(a[0]); y = parseInt(a[1]);
open(a[2]);
v = getPixel(x, y);
print("IJ " + getWidth() + " " + getHeight() + " " + bitDepth() + " " + ((v >> 16) & 0xff) + " " + ((v >> 8) & 0xff) + " " + (v & 0xff));
close();
EOF
# ij_case FILE X Y: ImageJ, ImageMagick and Go must agree on size and pixel.
ij_case() {
	local f=$1 x=$2 y=$3 label
	label=${f#"$M"/}
	local ij im_wh im_px go
	# ImageJ 1.53t's open() builds its menus even in -batch mode, which AWT
	# refuses when headless; so it runs without a window but with Xvfb's DISPLAY.
	ij=$(LC_ALL=C.UTF-8 timeout -k 5 90 java -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8 -jar /usr/share/java/ij.jar \
		-batch "$WORK/probe.ijm" "$(printf '%s\t%s\t%s' "$x" "$y" "$f")" 2>>"$ART/imagej.log" | grep '^IJ ' | tail -1)
	im_wh=$(timeout 60 identify -format '%w %h' "$f[0]" 2>>"$ART/check-output.log")
	im_px=$(timeout 60 convert "$f[0]" -crop "1x1+$x+$y" +repage -depth 8 -format '%[fx:int(255*r+.5)] %[fx:int(255*g+.5)] %[fx:int(255*b+.5)]' info: 2>>"$ART/check-output.log")
	go=$(timeout 60 "$PROBE" "$x" "$y" "$f" 2>>"$ART/check-output.log")
	say "   $label: ImageJ '${ij#IJ }' | identify '$im_wh' pixel '$im_px' | Go '$go'"
	read -r _ ij_w ij_h ij_d ij_r ij_g ij_b <<<"$ij"
	if [ -n "$ij" ] && [ "$ij_w $ij_h" = "$im_wh" ] && [ "$ij_w $ij_h" = "$(cut -d' ' -f1,2 <<<"$go")" ]; then
		pass "2. ImageJ width×height of $label = identify = Go ($im_wh)"
	else fail "2. ImageJ width×height of $label (ImageJ '$ij', identify '$im_wh', Go '$go')"; fi
	if [ -n "$ij" ] && [ "${ij_d:-}" = 24 ] && [ "$ij_r $ij_g $ij_b" = "$im_px" ] && [ "$ij_r $ij_g $ij_b" = "$(cut -d' ' -f3- <<<"$go")" ]; then
		pass "2. ImageJ RGB pixel ($x,$y) of $label = ImageMagick = Go ($im_px)"
	else fail "2. ImageJ RGB pixel ($x,$y) of $label (ImageJ '$ij', ImageMagick '$im_px', Go '$go')"; fi
}
ij_case "$CB/Mitosis/mitosis_01.dv.png" 10 20
ij_case "$CB/Mitosis/histology.tif.png" 100 50
ij_case "$CB/Odd names/$(cd "$CB/Odd names" && ls | grep -m1 '🔬')" 3 4

# ---------------------------------------------------------------- 3. identify + pngcheck
say "== 3. identify and pngcheck accept every image file"
WELL=$(find "$M/screens" -mindepth 3 -maxdepth 3 -type d | sort | head -1)
FOLDERS=("$CB/Mitosis" "$CB/Duplicates" "$CB/Odd names" "$M/orphaned" "$WELL" "$M/plates/Loose plate/1-1")
n3=0
for d in "${FOLDERS[@]}"; do
	while IFS= read -r -d '' f; do
		n3=$((n3 + 1))
		label=${f#"$M"/}
		# "[0]" (first frame) makes ImageMagick take the rest as a literal
		# file name: without it, names like "cells.tif [2428].png" are parsed
		# as a frame selection (see docs/desktop.md).
		info=$(timeout 120 identify -format '%m %w %h %[colorspace] %z' "$f[0]" 2>>"$ART/check-output.log")
		xs=$(timeout 30 getfattr --only-values -n user.omero.size "$f" 2>/dev/null)
		read -r sx sy _ <<<"$xs"
		read -r fmt w h _ <<<"$info"
		if [ "$fmt" = PNG ] && [ -n "$w" ] && { [ "${sx:-0}" -gt 4096 ] || [ "${sy:-0}" -gt 4096 ] || [ "$w $h" = "$sx $sy" ]; }; then
			pass "3. identify: $(printf '%q' "$label") is $info (OMERO size $sx×$sy)"
		else fail "3. identify: $(printf '%q' "$label") gave '$info' (OMERO size '$xs')"; fi
		if out=$(timeout 120 pngcheck "$f" 2>&1); then pass "3. pngcheck: $(printf '%q' "$label")"; else
			fail "3. pngcheck: $(printf '%q' "$label"): $out"
		fi
	done < <(find "$d" -maxdepth 1 -type f -print0 | sort -z)
done
if [ "$n3" -ge 20 ]; then pass "3. found $n3 image files in ${#FOLDERS[@]} folders"; else
	fail "3. found only $n3 image files in ${#FOLDERS[@]} folders"
fi
# Recorded, not counted: plain paths with " [id]" through ImageMagick.
for f in "$CB/Duplicates/"*" ["*; do
	if timeout 60 identify "$f" >/dev/null 2>&1; then r=accepted; else r=refused; fi
	say "   note: identify on the plain path $(printf '%q' "${f#"$M"/}") (no [0]): $r"
done

# ---------------------------------------------------------------- 4. cp, rsync, find, du, tar
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

# ---------------------------------------------------------------- 5. getfattr
say "== 5. getfattr -d shows the OMERO metadata"
F="$CB/Mitosis/mitosis_01.dv.png"
timeout 30 getfattr -d "$F" >"$ART/getfattr-mitosis_01.txt" 2>&1
cat "$ART/getfattr-mitosis_01.txt" >>"$LOG"
attr() { sed -n "s/^user\.omero\.$1=\"\(.*\)\"$/\1/p" "$ART/getfattr-mitosis_01.txt"; }
check "5. user.omero.type=\"Image\"" test "$(attr type)" = Image
ID=$(attr id)
check "5. user.omero.id is a number ($ID)" grep -qxE '[0-9]+' <<<"$ID"
read -r w h _ <<<"$(timeout 30 identify -format '%w %h' "$F[0]")"
check "5. user.omero.size ($(attr size)) starts with the PNG's $w $h and has 5 fields" \
	bash -c '[[ "$1" =~ ^$2\ $3\ [0-9]+\ [0-9]+\ [0-9]+$ ]]' _ "$(attr size)" "$w" "$h"
for a in owner group pixels_type channels physical_size; do
	check "5. user.omero.$a present ($(attr "$a"))" test -n "$(attr "$a")"
done
check "5. user.omero.url names the image ($(attr url))" grep -qE "(image|show=image)-?$ID\b" <<<"$(attr url)"
check "5. images/$ID.png has the same bytes and id" bash -c 'cmp -s "$1" "$2" && [ "$(getfattr --only-values -n user.omero.id "$2")" = "$3" ]' _ "$F" "$M/images/$ID.png" "$ID"
check "5. a dataset folder says user.omero.type=\"Dataset\"" bash -c '[ "$(getfattr --only-values -n user.omero.type "$1")" = Dataset ]' _ "$CB/Mitosis"
TABF=$(find "$CB/Odd names" -maxdepth 1 -name "*$(printf '\t')*" -print -quit)
check "5. getfattr -d on a name with a tab ($(printf '%q' "${TABF##*/}"))" bash -c 'getfattr -d "$1" | grep -q "user.omero.type=\"Image\""' _ "$TABF"

unmount_demo
say "render counts (PCManFM, 1,200-image folder):"
sed 's/^/   /' "$ART/render-counts.txt" | tee -a "$LOG"
