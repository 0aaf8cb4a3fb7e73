# desktop/lib.sh: what the desktop checks share, sourced by desktop/run.sh.
#
# Counting: pass, fail, check NAME CMD...; say logs a line. Waiting:
# wait_for SECONDS CMD... polls a state (never a log line). Processes and
# mounts started through the helpers below are stopped by cleanup, the EXIT
# trap, which prints the summary line "N passed, M failed" last. The demo
# server's request counters (counter KIND) come from its /testserver/stats.

DESKTOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DESKTOP/.." && pwd)
ART=$ROOT/artifacts/desktop
PASS=0
FAIL=0
PIDS=() # processes started here, stopped in reverse order on exit
MNTS=() # mountpoints created here, unmounted on exit

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

# lib_init: the artifacts folder, the scratch folder and the EXIT trap.
lib_init() {
	rm -rf "$ART"
	mkdir -p "$ART"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/omerofs-desktop.XXXXXX")
	LOG=$ART/checks.log
	: >"$LOG"
	START=$(date +%s)
	trap cleanup EXIT
	trap 'exit 143' TERM INT HUP
}

cleanup() {
	local rc=$? i m
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

# missing_packages: the packages of desktop/packages.txt of which something
# the checks use is absent, one a line.
missing_packages() {
	local pkg need
	while read -r pkg need; do
		case $pkg in '' | '#'*) continue ;; esac
		for need in $need; do
			if [[ $need == /* ]]; then [ -e "$need" ] && continue; else have "$need" && continue; fi
			echo "$pkg"
			break
		done
	done <"$DESKTOP/packages.txt"
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ ${#missing[@]} -eq 0 ] && return
	say "installing: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || fatal "install: not root; run: sudo apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	timeout 240 apt-get update -qq >"$ART/apt.log" 2>&1 || say "apt-get update failed (see apt.log); trying the install anyway"
	timeout 300 apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$ART/apt.log" 2>&1 ||
		fatal "install ${missing[*]} (see artifacts/desktop/apt.log)"
}

# build: omerofs and pngprobe into the scratch folder (BIN, PROBE).
build() {
	BIN=$WORK/omerofs
	PROBE=$WORK/pngprobe
	(cd "$ROOT" && timeout 300 go build -o "$BIN" ./cmd/omerofs && timeout 120 go build -o "$PROBE" ./desktop/pngprobe) \
		>"$ART/build.log" 2>&1 || fatal "build omerofs (see artifacts/desktop/build.log)"
}

# start_xvfb: an X server on a free display, exported as DISPLAY.
start_xvfb() {
	local n
	for n in $(seq 90 140); do
		[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
	done
	export DISPLAY=:$n
	Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >"$ART/xvfb.log" 2>&1 &
	PIDS+=($!)
	wait_for 15 xdpyinfo || fatal "Xvfb on $DISPLAY did not start (see xvfb.log)"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_demo_server: serve-demo on a free loopback port with its request
# counters at /testserver/stats; sets URL.
start_demo_server() {
	local p port=
	for _ in $(seq 40); do
		p=$((RANDOM % 20000 + 30000))
		port_in_use "$p" || {
			port=$p
			break
		}
	done
	[ -n "$port" ] || fatal "no free loopback port"
	"$BIN" serve-demo --listen "127.0.0.1:$port" --public=false --stats >"$ART/server.log" 2>&1 &
	PIDS+=($!)
	URL=http://127.0.0.1:$port
	wait_for 20 curl -sf "$URL/testserver/stats" || fatal "demo server did not answer on $URL (see server.log)"
}

# counter KIND: how many requests of one kind the demo server has served
# (kinds as in the stand-in: render_image, render_image_region,
# render_thumbnail, get_thumbnails, api_list, …).
counter() {
	local n
	n=$(curl -sf "$URL/testserver/stats" | grep -o "\"$1\":[0-9]*" | cut -d: -f2)
	echo "${n:-0}"
}
# full_renders: whole planes and regions of big images; thumbnails apart.
full_renders() { echo $(($(counter render_image) + $(counter render_image_region))); }

DEMO_USER=demo
DEMO_PASSWORD=demo

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

# shared_mount: the plain mount that the checks after PCManFM share, made
# by the first of them that runs; sets M (its root) and CB.
shared_mount() {
	if [ -z "${M:-}" ]; then
		say "== mounting the shared mount"
		mount_demo main "$WORK/home-main" || fatal "mount $URL for the shared checks (see mount-main.log)"
		M=$MNT
		SHARED_MPID=$MPID
	fi
	CB="$M/projects/Cell Biology"
}

# PCManFM, shared by the checks that open a folder in it (10-, 75-).
#
# pcmanfm_home HOME: a fresh home for PCManFM: thumbnails on for local files
# up to 2 MiB (libfm's defaults, made explicit), icon view, a window big
# enough to show a few rows.
pcmanfm_home() {
	local home=$1
	mkdir -p "$home/.config/libfm" "$home/.config/pcmanfm/default" "$home/run"
	chmod 700 "$home/run"
	printf '[config]\nshow_thumbnail=1\nthumbnail_local=1\nthumbnail_max=2048\n' >"$home/.config/libfm/libfm.conf"
	printf '[ui]\nview_mode=icon\nwin_width=900\nwin_height=640\nshow_statusbar=1\n' >"$home/.config/pcmanfm/default/pcmanfm.conf"
}
# pcmanfm_start NAME HOME DIR: PCManFM on DIR with HOME's settings and
# caches (its output in pcmanfm-NAME.log); sets PCM_PID.
pcmanfm_start() {
	local name=$1 home=$2 dir=$3
	HOME=$home XDG_CACHE_HOME=$home/.cache XDG_CONFIG_HOME=$home/.config XDG_RUNTIME_DIR=$home/run \
		timeout -k 5 240 dbus-run-session -- pcmanfm "$dir" >"$ART/pcmanfm-$name.log" 2>&1 &
	PCM_PID=$!
	PIDS+=($PCM_PID)
}
# pcmanfm_window TITLE: wait up to 30 s for a mapped window titled TITLE (a
# GTK client also owns unmapped ones); sets WIN.
pcmanfm_window() {
	WIN=
	local t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 30 ]; do
		WIN=$(xdotool search --onlyvisible --name "^$1\$" 2>/dev/null | tail -1)
		[ -n "$WIN" ] && return 0
		sleep 0.2
	done
	return 1
}
# render_settle: wait until no render or thumbnail request has arrived for
# 4 s (at least 6 s, at most 90 s); sets SETTLE to the seconds waited.
render_settle() {
	local last=-1 still=0 t0 now
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 90 ]; do
		sleep 1
		now=$(($(full_renders) + $(counter render_thumbnail) + $(counter get_thumbnails)))
		if [ "$now" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$now
		[ "$still" -ge 4 ] && [ $(($(date +%s) - t0)) -ge 6 ] && break
	done
	SETTLE=$(($(date +%s) - t0))
}
# pcmanfm_screenshot LABEL NAME: the screen and window WIN into
# pcmanfm-NAME-screen.png and -window.png; counted as LABEL: passed when the
# window's picture is not blank (more than 16 colours).
pcmanfm_screenshot() {
	local label=$1 name=$2 colours
	timeout 20 import -window root "$ART/pcmanfm-$name-screen.png" 2>>"$ART/check-output.log"
	timeout 20 import -window "$WIN" "$ART/pcmanfm-$name-window.png" 2>>"$ART/check-output.log"
	colours=$(timeout 20 identify -format '%k' "$ART/pcmanfm-$name-window.png" 2>/dev/null || echo 0)
	if [ "${colours:-0}" -gt 16 ]; then pass "$label screenshot saved ($colours colours)"; else
		fail "$label screenshot saved (colours: ${colours:-none})"
	fi
}
# pcmanfm_responds WIN PARENT TITLE: the window's process answers: Alt+Up
# goes to the parent folder and the title (set by PCManFM itself, not by X)
# must follow to PARENT; Alt+Left goes back to TITLE.
pcmanfm_responds() {
	local win=$1 parent=$2 title=$3
	timeout 10 xdotool windowfocus --sync "$win" &&
		timeout 5 xdotool key --clearmodifiers alt+Up &&
		wait_for 15 bash -c "xdotool getwindowname $win | grep -qxF '$parent'" &&
		timeout 5 xdotool key --clearmodifiers alt+Left &&
		wait_for 15 bash -c "xdotool getwindowname $win | grep -qxF '$title'"
}
