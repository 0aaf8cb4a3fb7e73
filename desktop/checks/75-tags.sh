# 75-tags.sh: the tags/ folder (docs/design.md, "Tags") with real programs.
# PCManFM draws tags/mitosis from OMERO's thumbnails with no full render;
# getfattr -d on a tagged image shows the key-value pairs and tags the demo
# data gives it (testserver/demo_dataview.go, demo_tags.go); identify accepts
# every PNG under tags/mitosis at the size OMERO gives; a tag set is a folder
# of its tags and a tagged dataset or project is a folder that lists as it
# does elsewhere.
TAG=mitosis # the demo's tag on mitosis_01.dv, mitosis_02.dv and the dataset Mitosis

# xval FILE NAME: one attribute's value, exactly (newlines included).
xval() { timeout 30 getfattr --only-values -n "$2" "$1" 2>/dev/null; }
# is FILE NAME VALUE: the attribute NAME of FILE is exactly VALUE.
is() { [ "$(xval "$1" "$2")" = "$3" ]; }

# 8.1 PCManFM, with thumbnails, on a fresh mount and a fresh home.
say "== 8. tags/: PCManFM opens tags/$TAG (--thumbnails)"
tags_pcmanfm() {
	local home=$WORK/home-tags n from before before_batch renders files
	pcmanfm_home "$home"
	before=$(counter render_thumbnail)
	before_batch=$(counter get_thumbnails)
	if ! mount_demo tags "$home" --thumbnails; then
		fail "8.1 mount --thumbnails (see mount-tags.log)"
		return
	fi
	n=$(timeout 60 find "$MNT/tags/$TAG" -maxdepth 1 -type f -name '*.png' | wc -l)
	check "8.1 tags/$TAG holds the demo's 2 tagged images ($n)" test "$n" -eq 2
	from=$(full_renders)
	pcmanfm_start tags "$home" "$MNT/tags/$TAG"
	if ! pcmanfm_window "$TAG"; then
		fail "8.1 PCManFM window '$TAG' appeared (see pcmanfm-tags.log)"
		stop_tree "$PCM_PID"
		unmount_demo
		return
	fi
	pass "8.1 PCManFM window '$TAG' appeared"
	render_settle
	pcmanfm_screenshot "8.1" tags
	check "8.1 PCManFM answers (Alt+Up shows 'tags', Alt+Left back)" pcmanfm_responds "$WIN" tags "$TAG"
	check "8.1 PCManFM process still alive" kill -0 "$PCM_PID"
	renders=$(($(full_renders) - from))
	files=$(find "$home/.cache/thumbnails" -type f -name '*.png' 2>/dev/null | wc -l)
	say "   measured: tags/$TAG ($n images) cost $renders full renders (settled after ${SETTLE}s); $(($(counter render_thumbnail) - before)) render_thumbnail and $(($(counter get_thumbnails) - before_batch)) get_thumbnails requests since mount; $files files in the thumbnail cache"
	check "8.1 no full render for tags/$TAG ($renders)" test "$renders" -eq 0
	check "8.1 the thumbnail cache holds the $n images' thumbnails ($files)" test "$files" -ge "$n"
	stop_tree "$PCM_PID"
	# An image reached only through tags/ (a tag's listing has no channels,
	# owner or group) shows its full attributes at once.
	local m2=$MNT/tags/$TAG/mitosis_02.dv.png first
	timeout 30 getfattr -d "$m2" >"$ART/getfattr-tags-mitosis_02-first.txt" 2>&1
	first="$(xval "$m2" user.omero.size)|$(xval "$m2" user.omero.owner)"
	timeout 30 ls "$MNT/projects/Cell Biology/Mitosis" >/dev/null 2>&1
	check "8.1 an image reached first through tags/ has its full attributes ($first)" test "$first" = "$(xval "$MNT/projects/Cell Biology/Mitosis/mitosis_02.dv.png" user.omero.size)|$(xval "$MNT/projects/Cell Biology/Mitosis/mitosis_02.dv.png" user.omero.owner)"
	unmount_demo
}
tags_pcmanfm

shared_mount
TG=$M/tags

# 8.2 getfattr -d on tagged images: their key-value pairs and tags.
say "== 8.2 getfattr -d on tagged images in tags/"
F=$TG/$TAG/mitosis_01.dv.png
timeout 30 getfattr -d "$F" >"$ART/getfattr-tags-mitosis_01.txt" 2>&1
cat "$ART/getfattr-tags-mitosis_01.txt" >>"$LOG"
check "8.2 getfattr -d lists user.omero.kv.* and user.omero.tags" \
	bash -c 'grep -q "^user\.omero\.kv\.Gene=" "$1" && grep -q "^user\.omero\.tags=" "$1"' _ "$ART/getfattr-tags-mitosis_01.txt"
check "8.2 user.omero.kv.Gene of mitosis_01.dv is CDK1, CCNB1 (two values, one a line)" is "$F" user.omero.kv.Gene $'CDK1\nCCNB1'
check "8.2 user.omero.kv.cell line of mitosis_01.dv is HeLa" is "$F" "user.omero.kv.cell line" HeLa
check "8.2 user.omero.tags of mitosis_01.dv is mitosis, live cell" is "$F" user.omero.tags $'mitosis\nlive cell'
# The same image in its dataset: the same annotation attributes.
annattrs() { timeout 30 getfattr -d "$1" 2>&1 | grep -E '^user\.omero\.(kv\.|tags=)'; }
check "8.2 its kv.* and tags equal those of projects/Cell Biology/Mitosis/mitosis_01.dv.png" \
	diff <(annattrs "$F") <(annattrs "$CB/Mitosis/mitosis_01.dv.png")
S=$TG/Phenotypes/apoptosis/stack.tif.png
check "8.2 stack.tif (in the tag set): kv.Gene is TP53, MDM2 (demo's) then BAX (alice's)" is "$S" user.omero.kv.Gene $'TP53\nMDM2\nBAX'
check "8.2 stack.tif: the empty key is user.omero.kv.% (\"empty key\")" is "$S" user.omero.kv.% "empty key"
check "8.2 stack.tif: user.omero.tags is apoptosis, control, published" is "$S" user.omero.tags $'apoptosis\ncontrol\npublished'
check "8.2 tags/$TAG says user.omero.type Tag and description 'cells dividing'" \
	bash -c '[ "$(getfattr --only-values -n user.omero.type "$1")" = Tag ] && [ "$(getfattr --only-values -n user.omero.description "$1")" = "cells dividing" ]' _ "$TG/$TAG"
check "8.2 tags/$TAG/mitosis_01.dv.png is the rendered view's file (same inode, same bytes)" \
	bash -c '[ "$(stat -c %i "$1")" = "$(stat -c %i "$2")" ] && cmp -s "$1" "$2"' _ "$F" "$CB/Mitosis/mitosis_01.dv.png"

# 8.3 find | xargs identify over tags/mitosis (its images and its dataset).
say "== 8.3 find tags/$TAG -name '*.png' -print0 | xargs -0 identify"
mapfile -d '' PNGS < <(cd "$TG" && timeout 60 find "$TAG" -name '*.png' -print0)
(cd "$TG" && timeout 120 find "$TAG" -name '*.png' -print0 | timeout 120 xargs -0 identify -format '%m %w %h\n') \
	>"$WORK/tags-identify.txt" 2>>"$ART/check-output.log"
rc=$?
mapfile -t IDS <"$WORK/tags-identify.txt"
check "8.3 xargs identify exited 0 for ${#PNGS[@]} files (2 tagged images + the tagged dataset's)" \
	bash -c '[ "$1" -eq 0 ] && [ "$2" -ge 7 ] && [ "$2" -eq "$3" ]' _ "$rc" "${#PNGS[@]}" "${#IDS[@]}"
for i in "${!PNGS[@]}"; do
	f=$TG/${PNGS[i]}
	read -r sx sy _ <<<"$(xval "$f" user.omero.size)"
	read -r fmt w h <<<"${IDS[i]:-}"
	if [ "$fmt" = PNG ] && [ -n "$w" ] && { [ "${sx:-0}" -gt 4096 ] || [ "${sy:-0}" -gt 4096 ] || [ "$w $h" = "$sx $sy" ]; }; then
		pass "8.3 identify: $(printf '%q' "${PNGS[i]}") is PNG $w×$h (OMERO size $sx×$sy)"
	else fail "8.3 identify: $(printf '%q' "${PNGS[i]}") gave '${IDS[i]:-}' (OMERO size '$sx $sy')"; fi
done

# 8.4 A tag set is a folder of its tags; tagged containers are folders.
say "== 8.4 tag sets and tagged containers as folders"
check "8.4 tags/Phenotypes is a tag set (user.omero.type TagSet)" is "$TG/Phenotypes" user.omero.type TagSet
check "8.4 tags/Phenotypes holds exactly its two tags, as folders ('G2/M arrest' shown with ∕)" \
	bash -c '[ "$(find "$1" -mindepth 1 -maxdepth 1 -type d -printf "%f\n" | sort)" = "$(printf "G2∕M arrest\napoptosis")" ] &&
		[ -z "$(find "$1" -mindepth 1 -maxdepth 1 ! -type d)" ]' _ "$TG/Phenotypes"
check "8.4 tags/Phenotypes/apoptosis is a tag (user.omero.type Tag)" is "$TG/Phenotypes/apoptosis" user.omero.type Tag
check "8.4 tags/Phenotypes/apoptosis holds stack.tif.png, membrane.czi.png and the dataset Unfiled" \
	bash -c 'cd "$1" && [ -f stack.tif.png ] && [ -f membrane.czi.png ] && [ -d Unfiled ] &&
		[ "$(getfattr --only-values -n user.omero.type Unfiled)" = Dataset ]' _ "$TG/Phenotypes/apoptosis"
# sameas KIND TAGGED ELSEWHERE: a tagged container is a folder of type KIND
# with the id and listing of the same container elsewhere in the mount.
sameas() {
	[ -d "$2" ] && is "$2" user.omero.type "$1" &&
		[ "$(xval "$2" user.omero.id)" = "$(xval "$3" user.omero.id)" ] &&
		diff <(cd "$2" && ls -A) <(cd "$3" && ls -A)
}
check "8.4 tags/$TAG/Mitosis is the dataset (same id and listing as projects/Cell Biology/Mitosis)" \
	sameas Dataset "$TG/$TAG/Mitosis" "$CB/Mitosis"
check "8.4 tags/published/Screening archive is the project (same id and listing as projects/)" \
	sameas Project "$TG/published/Screening archive" "$M/projects/Screening archive"
