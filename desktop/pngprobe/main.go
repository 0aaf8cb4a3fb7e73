// Command pngprobe prints a PNG's width, height and the 8-bit RGB value of one
// pixel, decoded with Go's image/png. The desktop tests compare its answer
// with ImageJ's and ImageMagick's for the same file on the mount, so that a
// third, independent decoder settles any disagreement.
//
// Usage: pngprobe X Y FILE   →   "W H R G B"
package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"strconv"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pngprobe:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: pngprobe X Y FILE")
	}
	x, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("x %q: %w", args[0], err)
	}
	y, err := strconv.Atoi(args[1])
	if err != nil {
		return fmt.Errorf("y %q: %w", args[1], err)
	}
	f, err := os.Open(args[2])
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", args[2], err)
	}
	b := img.Bounds()
	if !(inRange(b.Min.X, b.Max.X, x) && inRange(b.Min.Y, b.Max.Y, y)) {
		return fmt.Errorf("pixel (%d,%d) outside %v", x, y, b)
	}
	r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
	_, err = fmt.Fprintf(w, "%d %d %d %d %d\n", b.Dx(), b.Dy(), r>>8, g>>8, bl>>8)
	return err
}

// inRange reports whether v lies in [lo, hi).
func inRange(lo, hi, v int) bool { return v >= 0 && lo+v < hi }
