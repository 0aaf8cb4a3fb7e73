// Command rawprobe writes the raw pixels the demo server holds for one of
// its images, so that the desktop checks can compare what real clients
// (tifffile, zarr-python, ImageJ) read from planes/ and image.ome.zarr/
// with the truth: every plane in planes/ order (C fastest, then Z, then T),
// big-endian, in the image's pixel type, to OUT. It prints "SizeX SizeY
// SizeZ SizeC SizeT type id".
package main

import (
	"fmt"
	"os"

	"github.com/omerofs/omerofs/testserver"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rawprobe IMAGE-NAME OUT")
		os.Exit(2)
	}
	d := testserver.DemoData()
	ids := d.ImageIDs(func(im testserver.Image) bool { return im.Name != nil && *im.Name == os.Args[1] })
	if len(ids) == 0 {
		fmt.Fprintf(os.Stderr, "rawprobe: no demo image named %q\n", os.Args[1])
		os.Exit(1)
	}
	im, _ := d.Image(ids[0])
	out, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawprobe:", err)
		os.Exit(1)
	}
	for t := 0; t < im.SizeT; t++ {
		for z := 0; z < im.SizeZ; z++ {
			for c := 0; c < im.SizeC; c++ {
				b, err := testserver.RawRegion(im, 0, z, c, t, 0, 0, im.SizeX, im.SizeY)
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
	fmt.Println(im.SizeX, im.SizeY, im.SizeZ, im.SizeC, im.SizeT, im.PixelsType, im.ID)
}
