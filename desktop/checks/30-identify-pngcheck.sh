# 30-identify-pngcheck.sh: ImageMagick's identify and pngcheck accept every
# image file of six folders, at the size OMERO gives (user.omero.size).
shared_mount
say "== 3. identify and pngcheck accept every image file"
WELL=$(find "$M/screens" -mindepth 3 -maxdepth 3 -type d | sort | head -1)
FOLDERS=("$CB/Mitosis" "$CB/Duplicates" "$CB/Odd names" "$M/orphaned" "$WELL" "$M/plates/Loose plate/1-1")
n3=0
for d in "${FOLDERS[@]}"; do
	while IFS= read -r -d '' f; do
		n3=$((n3 + 1))
		label=${f#"$M"/}
		# "[0]" (first frame) makes ImageMagick take the rest as a literal
		# file name even when an OMERO name itself ends in "[...]", which it
		# would parse as a frame selection (see docs/desktop.md);
		# 35-imagemagick-duplicate.sh checks plain paths.
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
