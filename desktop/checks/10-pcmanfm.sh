# 10-pcmanfm.sh: PCManFM under Xvfb opens the 1,200-image folder: the window
# appears and answers, a screenshot is saved, and with --thumbnails drawing it
# costs next to no full renders (counted by the demo server). Three cases:
# no thumbnails, thumbnails, and thumbnails already in the cache.
DIR1200="projects/Cell Biology/1200 images"

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
	local before before_batch
	before=$(counter render_thumbnail)
	before_batch=$(counter get_thumbnails)
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
	from=$(full_renders)
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
	# Settle: wait until no render or thumbnail request has arrived for 4 s (at most 90 s).
	local last=-1 still=0 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 90 ]; do
		sleep 1
		local now
		now=$(($(full_renders) + $(counter render_thumbnail) + $(counter get_thumbnails)))
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
	local renders thumbs_req thumbs_batch thumbs_files
	renders=$(($(full_renders) - from))
	# The thumbnailer may have started before pcmanfm: count from the mount.
	thumbs_req=$(($(counter render_thumbnail) - before))
	thumbs_batch=$(($(counter get_thumbnails) - before_batch))
	thumbs_files=$(find "$home/.cache/thumbnails" -type f -name '*.png' 2>/dev/null | wc -l)
	say "   measured: $n_images images; PCManFM window cost $renders full renders (settled after ${settle}s); $thumbs_req render_thumbnail and $thumbs_batch get_thumbnails requests since mount; $thumbs_files files in the thumbnail cache"
	echo "$name thumbs=$thumbs prelist=$prelist images=$n_images full_renders=$renders render_thumbnail=$thumbs_req get_thumbnails=$thumbs_batch cache_files=$thumbs_files settle_s=$settle" >>"$ART/render-counts.txt"
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
