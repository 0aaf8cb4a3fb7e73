# 20-imagej.sh: ImageJ opens PNGs straight from the mount, and its width,
# height and RGB pixel agree with ImageMagick's and Go's.
shared_mount
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
