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
	pcmanfm_home "$home"
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
	pcmanfm_start "$name" "$home" "$dir"
	local ppid=$PCM_PID win
	if pcmanfm_window '1200 images'; then pass "1.$name PCManFM window '1200 images' appeared"; else
		fail "1.$name PCManFM window '1200 images' appeared (see pcmanfm-$name.log)"
		stop_tree "$ppid"
		unmount_demo
		return
	fi
	win=$WIN
	render_settle
	local settle=$SETTLE
	pcmanfm_screenshot "1.$name" "$name"
	check "1.$name PCManFM answers (Alt+Up shows 'Cell Biology', Alt+Left back)" pcmanfm_responds "$win" 'Cell Biology' '1200 images'
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
