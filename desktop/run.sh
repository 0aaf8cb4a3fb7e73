#!/usr/bin/env bash
# desktop/run.sh: the real-client desktop tests of an omerofs mount (docs/desktop.md).
#
# One entry point for `make test-desktop` and CI. It installs what it needs
# (desktop/packages.txt, with apt-get, as root), builds omerofs, starts the
# demo OMERO.web with its request counters on, and runs each check of
# desktop/checks/ in order: PCManFM under Xvfb, ImageJ, ImageMagick,
# pngcheck, cp, rsync, find, du, tar, getfattr. Screenshots and logs go to
# artifacts/desktop/. Every step that could block runs under `timeout`; the
# EXIT trap (desktop/lib.sh) unmounts and stops everything started. The last
# line printed is always "N passed, M failed"; the exit status is non-zero
# when a check failed.
#
# Usage: desktop/run.sh [NN ...] runs only the checks whose number is given
# (e.g. `desktop/run.sh 20 50`). DESKTOP_KEEP_WORK=1 keeps the scratch folder.
set -u

# The whole run is bounded: re-exec once under timeout, so that even a step
# forgotten without its own timeout cannot hang CI.
if [ -z "${OMEROFS_DESKTOP_INNER:-}" ]; then
	export OMEROFS_DESKTOP_INNER=1
	exec timeout -k 40 540 bash "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"
lib_init
install_packages
build
start_xvfb
start_demo_server

for c in "$DESKTOP"/checks/[0-9][0-9]-*.sh; do
	n=$(basename "$c")
	n=${n%%-*}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$n"; then
		continue
	fi
	. "$c"
done

if [ -n "${M:-}" ]; then
	MNT=$M MPID=$SHARED_MPID unmount_demo
fi
if [ -e "$ART/render-counts.txt" ]; then
	say "render counts (PCManFM, 1,200-image folder):"
	sed 's/^/   /' "$ART/render-counts.txt" | tee -a "$LOG"
fi
