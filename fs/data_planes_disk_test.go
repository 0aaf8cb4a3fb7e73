package fs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

// Raw planes never change: a plane read by one mount is in the disk cache
// (no expiry) for every mount sharing it, and a second mount reads it, and
// renders the image from it, without a pixel or render request.
func TestPlanesSharedThroughTheDiskCache(t *testing.T) {
	cacheDir := t.TempDir()
	cfg := func() mountConfig {
		return mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif",
			fsOpts: Options{DiskCache: openDisk(t, cacheDir), CacheNamespace: "test-server"}}
	}
	c1 := cfg()
	m1 := mountTestServer(t, c1)
	dir := m1.imageDir(t, "histology.tif")
	var want [3][]byte
	for c := range want {
		b, err := os.ReadFile(filepath.Join(dir, "planes", "t1_z1_c"+string(rune('1'+c))+".tif"))
		if err != nil {
			t.Fatal(err)
		}
		want[c] = b
	}
	deadline := time.Now().Add(30 * time.Second)
	for c1.fsOpts.DiskCache.Stats().Fills < 3 { // the copies into the cache run in the background
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 planes reached the disk cache", c1.fsOpts.DiskCache.Stats().Fills)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c1.fsOpts.DiskCache.Close()

	m2 := mountTestServer(t, cfg())
	dir = m2.imageDir(t, "histology.tif")
	m2.server.ResetCounters()
	for c := range want {
		got, err := os.ReadFile(filepath.Join(dir, "planes", "t1_z1_c"+string(rune('1'+c))+".tif"))
		if err != nil || !bytes.Equal(got, want[c]) {
			t.Fatalf("plane c%d from the second mount: %v", c+1, err)
		}
	}
	png := readPNG(t, filepath.Join(dir, "image.png"))
	if n := m2.server.Requests("pixel_buffer_tile") + m2.server.Requests("render_image"); n != 0 {
		t.Errorf("second mount: %d pixel or render requests for planes in the disk cache", n)
	}
	ti := testImage(t, m2, "histology.tif")
	if exp, _ := m2.server.RenderExpected(ti.ID); !bytes.Equal(png.Pix, exp.Pix) {
		t.Error("the rendering from cached planes differs from the stand-in's")
	}
}
