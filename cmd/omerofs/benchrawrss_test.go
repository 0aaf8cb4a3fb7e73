package main

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

// TestBenchRawPlaneRSS measures the peak RSS (VmHWM) of `omerofs mount`,
// a process of its own, while one plane of a 50000×30000 uint16 pyramid
// (a 3 GB plane file, read through the pixel-buffer service a band of
// rows at a time) is read out of planes/ as cp does: the rows the raw
// readers keep share one budget, so the mount's memory stays near its
// --cache-size however large the plane (docs/benchmarks.md). The stand-in
// runs in this test's process, so its memory is not in the figure. It
// asserts nothing about time; it runs only when OMEROFS_BENCH is set.
func TestBenchRawPlaneRSS(t *testing.T) {
	benchSet(t, "OMEROFS_BENCH", "make bench", "", "")
	const sizeX, sizeY = 50000, 30000
	const cacheSize = 256 << 20
	d := testserver.DemoData()
	big := d.Images[d.ImageNamed(t, "Big slide.svs")]
	big.SizeX, big.SizeY, big.SizeC, big.PixelsType = sizeX, sizeY, 1, "uint16"
	hs := testserver.Start(t, testserver.Options{Data: d, PixelBuffer: true})

	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	mount, mountLog, unmount := startBenchMount(t, hs.URL, dir, "--cache-size", "256MiB", "--read-ahead", "0",
		"--cache-dir", filepath.Join(t.TempDir(), "cache"))
	defer unmount()

	p := filepath.Join(dir, "data", "images", strconv.FormatInt(big.ID, 10), "planes", "t1_z1_c1.tif")
	size, _ := tiff.PlaneSize(sizeX, sizeY, tiff.Uint16)
	if st, err := os.Stat(p); err != nil || st.Size() != size {
		t.Fatalf("stat %s: %v (log: %s)", p, err, mountLog())
	}
	before := vmHWM(t, mount.Process.Pid)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 128<<10))
	f.Close()
	if err != nil || n != size {
		t.Fatalf("read: %d bytes, %v", n, err)
	}
	elapsed := time.Since(start)
	peak := vmHWM(t, mount.Process.Pid)
	t.Logf("one 50000×30000 uint16 plane (%d MB) in %v (%.0f MB/s), %d tile requests; mount VmHWM %d MiB before the read, %d MiB after; target ≤ cache %d MiB + 128 MiB = %d MiB",
		size/1e6, elapsed.Round(time.Second), float64(size)/1e6/elapsed.Seconds(), hs.Server.Requests("pixel_buffer_tile"),
		before>>20, peak>>20, cacheSize>>20, (cacheSize>>20)+128)
	if peak > cacheSize+128<<20 {
		t.Errorf("mount VmHWM %d MiB, above the target of %d MiB", peak>>20, (cacheSize>>20)+128)
	}
}
