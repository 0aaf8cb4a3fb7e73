# 35-imagemagick-duplicate.sh: ImageMagick opens a duplicate-named file by its
# plain path.
#
# A duplicate name carries " (id <id>)" (docs/design.md, "Names") so that
# ImageMagick opens it by its plain path: it reads a trailing "[...]" of a
# path as frame/geometry syntax, which is why the old " [<id>]" form failed
# without a "[0]" suffix. This check passes the plain path, quoted, with no
# frame selector, and wants PNG with the image's OMERO size.

shared_mount
say "== 3b. identify opens duplicate names by their plain path"
im_dup_dir="$CB/Duplicates"
im_dup_n=0
for f in "$im_dup_dir/"*" (id "*").png"; do
	[ -e "$f" ] || continue
	im_dup_n=$((im_dup_n + 1))
	im_dup_label=${f#"$M"/}
	im_dup_info=$(timeout 60 identify -format '%m %w %h' "$f" 2>&1)
	read -r im_dup_sx im_dup_sy _ <<<"$(timeout 30 getfattr --only-values -n user.omero.size "$f" 2>/dev/null)"
	if [ "$im_dup_info" = "PNG $im_dup_sx $im_dup_sy" ]; then
		pass "3b. identify opens the duplicate $(printf '%q' "$im_dup_label") by its plain path: $im_dup_info"
	else
		fail "3b. identify on the plain path $(printf '%q' "$im_dup_label") gave '$im_dup_info' (OMERO size '$im_dup_sx $im_dup_sy')"
	fi
done
check "3b. the Duplicates folder has files named ' (id N).png' ($im_dup_n found)" test "$im_dup_n" -ge 1
