// Command rawprobe writes the raw pixels the demo server holds for one of
// its images, so that the desktop checks can compare what real clients
// (tifffile, zarr-python, ImageJ) read from planes/ and image.ome.zarr/
// with the truth: every plane in planes/ order (C fastest, then Z, then T),
// big-endian, in the image's pixel type, to OUT. It prints "SizeX SizeY
// SizeZ SizeC SizeT type id". With LEVEL, the planes of that pyramid
// level, and its size.
package main

import (
	"fmt"
	"os"

	"github.com/omerofs/omerofs/testserver"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: rawprobe IMAGE-NAME OUT [LEVEL]")
		os.Exit(2)
	}
	level := 0
	if len(os.Args) == 4 {
		if _, err := fmt.Sscanf(os.Args[3], "%d", &level); err != nil {
			fmt.Fprintln(os.Stderr, "rawprobe: LEVEL:", err)
			os.Exit(2)
		}
	}
	d := testserver.DemoData()
	ids := d.ImageIDs(func(im testserver.Image) bool { return im.Name != nil && *im.Name == os.Args[1] })
	if len(ids) == 0 {
		fmt.Fprintf(os.Stderr, "rawprobe: no demo image named %q\n", os.Args[1])
		os.Exit(1)
	}
	im, _ := d.Image(ids[0])
	sx, sy := levelSize(im, level)
	if sx == 0 {
		fmt.Fprintf(os.Stderr, "rawprobe: %s has no level %d\n", os.Args[1], level)
		os.Exit(1)
	}
	out, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawprobe:", err)
		os.Exit(1)
	}
	for t := 0; t < im.SizeT; t++ {
		for z := 0; z < im.SizeZ; z++ {
			for c := 0; c < im.SizeC; c++ {
				b, err := testserver.RawRegion(im, level, z, c, t, 0, 0, sx, sy)
				if err == nil {
					_, err = out.Write(b)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "rawprobe:", err)
					os.Exit(1)
				}
			}
		}
	}
	if err := out.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "rawprobe:", err)
		os.Exit(1)
	}
	fmt.Println(sx, sy, im.SizeZ, im.SizeC, im.SizeT, im.PixelsType, im.ID)
}

// levelSize finds a level's size from the stand-in itself: the widest and
// tallest regions RawRegion serves (0, 0 when there is no such level).
func levelSize(im testserver.Image, level int) (int, int) {
	largest := func(ok func(n int) bool, hi int) int {
		lo := 0 // ok(lo) holds, or lo is 0
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if ok(mid) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo
	}
	w := largest(func(n int) bool { _, err := testserver.RawRegion(im, level, 0, 0, 0, 0, 0, n, 1); return err == nil }, im.SizeX)
	h := largest(func(n int) bool { _, err := testserver.RawRegion(im, level, 0, 0, 0, 0, 0, 1, n); return err == nil }, im.SizeY)
	if w == 0 || h == 0 {
		return 0, 0
	}
	return w, h
}
