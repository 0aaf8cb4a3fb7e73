# 65-planes.sh: real clients read the raw pixels of the data view. The demo
# server is a bare OMERO.web, so planes/ and image.ome.zarr/ come through
# its OME-TIFF export. tifffile reads every plane with the right dtype and
# values, zarr-python opens image.ome.zarr (level 0 equal to the raw data,
# every level of its advertised shape), for uint16, float32 and int16
# images; ImageJ's Image Sequence import of a planes/ folder gives the
# right count, bit depth and values. A second demo server with the
# pixel-buffer service serves the big pyramid: zarr-python opens its five
# levels. The truth comes from the stand-in's own generator
# (desktop/rawprobe).
shared_mount
say "== 6b. Raw planes and OME-Zarr with tifffile, zarr-python and ImageJ"
RAWPROBE=$WORK/rawprobe
(cd "$ROOT" && timeout 120 go build -o "$RAWPROBE" ./desktop/rawprobe) >>"$ART/build.log" 2>&1 ||
	fail "6b. build desktop/rawprobe (see build.log)"
# raw_case NAME: tifffile and zarr-python against the generator.
raw_case() {
	local name=$1 sx sy sz sc st pt id out
	read -r sx sy sz sc st pt id < <("$RAWPROBE" "$name" "$WORK/$name.raw" 2>>"$ART/check-output.log")
	if [ -z "${id:-}" ]; then
		fail "6b. rawprobe $name"
		return
	fi
	out=$(timeout 120 /usr/bin/python3 "$DESKTOP/planes.py" "$M/data/images/$id" "$WORK/$name.raw" "$sx" "$sy" "$sz" "$sc" "$st" "$pt" 2>&1)
	local rc=$?
	echo "$out" >>"$ART/check-output.log"
	say "   $name ($sx×$sy, Z $sz, C $sc, T $st, $pt): $(tr '\n' ';' <<<"$out" | tail -c 300)"
	if [ $rc -eq 0 ]; then pass "6b. tifffile and zarr-python read $name ($pt) exactly"; else
		fail "6b. tifffile and zarr-python read $name ($pt) exactly"
	fi
}
raw_case mitosis_01.dv
raw_case beads_float.ome.tiff
raw_case membrane.czi

# ImageJ: Image Sequence of mitosis_01.dv's planes/ (Z 9 × C 3, uint16).
cat >"$WORK/sequence.ijm" <<'IJM'
// Argument: "DIR<TAB>SLICE<TAB>X<TAB>Y…". Prints the slice count, bit depth, size and each pixel.
a = split(getArgument(), "\t");
run("Image Sequence...", "open=[" + a[0] + "] sort");
s = "IJ " + nSlices + " " + bitDepth() + " " + getWidth() + " " + getHeight();
for (i = 1; i < a.length; i += 3) {
	setSlice(parseInt(a[i]));
	s = s + " " + getPixel(parseInt(a[i + 1]), parseInt(a[i + 2]));
}
print(s);
close();
IJM
read -r sx sy sz sc st pt id < <("$RAWPROBE" mitosis_01.dv "$WORK/mitosis.raw" 2>>"$ART/check-output.log")
want=$(/usr/bin/python3 -c '
import sys, numpy as np
w = np.fromfile(sys.argv[1], dtype=">u2").reshape(-1, 192, 256)
print("IJ %d 16 256 192 %d %d %d" % (w.shape[0], w[0, 20, 10], w[13, 100, 128], w[26, 191, 255]))' "$WORK/mitosis.raw" 2>>"$ART/check-output.log")
got=$(LC_ALL=C.UTF-8 timeout -k 5 120 java -jar /usr/share/java/ij.jar -batch "$WORK/sequence.ijm" \
	"$(printf '%s\t' "$M/data/images/$id/planes/" 1 10 20 14 128 100 27 255 191 | sed 's/\t$//')" 2>>"$ART/imagej.log" | grep '^IJ ' | tail -1)
say "   ImageJ Image Sequence of planes/: '${got#IJ }', generator: '${want#IJ }'"
if [ -n "$got" ] && [ "$got" = "$want" ]; then pass "6b. ImageJ Image Sequence of planes/: 27 slices, 16-bit, values of the raw data"; else
	fail "6b. ImageJ Image Sequence of planes/ (ImageJ '$got', want '$want')"
fi

# The pyramid through the pixel-buffer service: a second demo server.
PB_PORT=
for _ in $(seq 40); do
	p=$((RANDOM % 20000 + 30000))
	port_in_use "$p" || {
		PB_PORT=$p
		break
	}
done
if [ -z "$PB_PORT" ]; then
	fail "6b. a free port for the pixel-buffer demo server"
else
	"$BIN" serve-demo --listen "127.0.0.1:$PB_PORT" --public=false --raw pixel-buffer >"$ART/server-pixel-buffer.log" 2>&1 &
	PIDS+=($!)
	SHARED_URL=$URL
	URL=http://127.0.0.1:$PB_PORT
	if wait_for 20 curl -sf "$URL/api/" && mount_demo pixel-buffer "$WORK/home-pixel-buffer"; then
		grep -q 'raw pixels: pixel-buffer service' "$ART/mount-pixel-buffer.log" &&
			pass "6b. the start-up line names the pixel-buffer service" ||
			fail "6b. the start-up line names the pixel-buffer service (see mount-pixel-buffer.log)"
		read -r sx sy sz sc st pt id < <("$RAWPROBE" "Big slide.svs" "$WORK/big4.raw" 4 2>>"$ART/check-output.log")
		out=$(timeout 120 /usr/bin/python3 "$DESKTOP/pyramid.py" "$MNT/data/images/${id:-0}" "$WORK/big4.raw" 4 "$sx" "$sy" "$sz" "$sc" "$st" "$pt" 2>&1)
		rc=$?
		echo "$out" >>"$ART/check-output.log"
		say "   Big slide.svs: $(tail -1 <<<"$out")"
		if [ $rc -eq 0 ]; then pass "6b. zarr-python opens every level of the pyramid's image.ome.zarr, level 4 equal to the raw data"; else
			fail "6b. zarr-python opens every level of the pyramid's image.ome.zarr (see check-output.log)"
		fi
		unmount_demo
	else
		fail "6b. mount the pixel-buffer demo server (see server-pixel-buffer.log, mount-pixel-buffer.log)"
	fi
	URL=$SHARED_URL
fi
