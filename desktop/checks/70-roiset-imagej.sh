# 70-roiset-imagej.sh: ImageJ reads the RoiSet.zip files of the data view.
# The planes/RoiSet.zip of the demo's images with ROIs is read the way ImageJ's ROI Manager reads a set (render/ijroi's
# testdata/RoiSetDump.java, run from source by the JDK, drives
# ij.io.RoiDecoder headless); ImageJ must decode every entry.
shared_mount
say "== 7. ImageJ reads the data view's RoiSet.zip"
DUMP=$ROOT/render/ijroi/testdata/RoiSetDump.java
if ! [ -r /usr/share/java/ij.jar ] || ! have javac; then
	fail "7. ImageJ and a JDK are installed (apt-get install imagej default-jdk-headless)"
	return 0 2>/dev/null || exit 0
fi
# The demo images with ROIs (testserver/demo_rois.go): every shape type on a
# multi-channel z-stack, and a time series. Named, not searched: a find over
# data/ would list 1,200 image folders.
sets=
for img in mitosis_01.dv membrane.czi; do
	f="$M/data/projects/Cell Biology/Mitosis/$img/planes/RoiSet.zip"
	[ -e "$f" ] && sets+="$f"$'\n'
done
sets=${sets%$'\n'}
if [ -z "$sets" ]; then
	say "   no planes/RoiSet.zip in the demo's Mitosis image folders: the data view has no planes/ yet; nothing to check"
	return 0 2>/dev/null || exit 0
fi
while IFS= read -r set; do
	label=${set#"$M"/}
	entries=$(unzip -Z1 "$set" 2>>"$ART/check-output.log" | grep -c '\.roi$')
	out=$(timeout -k 5 120 java -Djava.awt.headless=true -cp /usr/share/java/ij.jar "$DUMP" "$set" 2>>"$ART/imagej.log")
	got=$(grep -c . <<<"$out")
	bad=$(awk -F'\t' '$2 == "null" || $3 == ""' <<<"$out" | wc -l)
	say "   $label: $entries entries, ImageJ read $got ROIs"
	if [ "$entries" -gt 0 ] && [ "$got" = "$entries" ] && [ "$bad" = 0 ]; then
		pass "7. ImageJ reads every ROI of $label ($got)"
	else
		fail "7. ImageJ reads every ROI of $label ($entries entries, $got read, $bad unreadable)"
	fi
done <<<"$sets"
