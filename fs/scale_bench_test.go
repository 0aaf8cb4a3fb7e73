package fs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/testserver"
)

// Benchmarks of round trips and of the scale features (make bench; figures
// in docs/benchmarks.md).

// BenchmarkOpenCloseCached is open+close of an image file whose bytes are
// cached: the kernel asks us OPEN and RELEASE (FLUSH is spared by
// FOPEN_NOFLUSH), nothing else.
func BenchmarkOpenCloseCached(b *testing.B) {
	m := mountTestServer(b, mountConfig{})
	p := m.path(mitosisDir, "histology.tif.png")
	if _, err := os.ReadFile(p); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkOpenCloseTmpfs is the same on a local file, for comparison.
func BenchmarkOpenCloseTmpfs(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f.png")
	os.WriteFile(p, []byte("x"), 0o644)
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkStatCached is a stat within --metadata-ttl: answered by the
// kernel's attribute cache, no round trip.
func BenchmarkStatCached(b *testing.B) {
	m := mountTestServer(b, mountConfig{})
	p := m.path(mitosisDir, "histology.tif.png")
	os.Stat(p)
	b.ResetTimer()
	for range b.N {
		if _, err := os.Stat(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIoctl is an ioctl a file manager or lsattr makes
// (FS_IOC_GETFLAGS): go-fuse answers ENOTTY at once, one round trip.
func BenchmarkIoctl(b *testing.B) {
	m := mountTestServer(b, mountConfig{})
	f, err := os.Open(m.path(mitosisDir, "histology.tif.png"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ResetTimer()
	const fsIocGetflags = 0x80086601 // FS_IOC_GETFLAGS on 64-bit Linux
	var flags int64
	for range b.N {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fsIocGetflags, uintptr(unsafe.Pointer(&flags))); errno != syscall.ENOTTY {
			b.Fatalf("ioctl: %v, want ENOTTY", errno)
		}
	}
}

// BenchmarkFirstReadDiskCache is the first read of a 1024×1024 image on a
// fresh mount whose disk cache holds it (imgData, then the entry read and
// checked) against the render it saves (disk=off).
func BenchmarkFirstReadDiskCache(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("disk=%v", on), func(b *testing.B) {
			cacheDir := b.TempDir()
			data := testserver.SyntheticDataset(1, 1024, 1024, 3, "uint16")
			var opts Options
			if on {
				opts = Options{DiskCache: openDisk(b, cacheDir), CacheNamespace: "bench"}
				m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: data}, fsOpts: opts})
				if _, err := os.ReadFile(m.path("projects", "Benchmark", "Benchmark", "image_00000.tif.png")); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if on {
					opts.DiskCache = openDisk(b, cacheDir)
				}
				m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: data}, fsOpts: opts})
				p := m.path("projects", "Benchmark", "Benchmark", "image_00000.tif.png")
				os.Stat(p)
				b.StartTimer()
				if _, err := os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCopyReadAhead copies a folder of 16 small images, in listing
// order as cp does, from a server that takes 100 ms per render: without
// reading ahead the copy waits for each render in turn; with 4 ahead it
// runs at the server's parallel speed.
func BenchmarkCopyReadAhead(b *testing.B) {
	// A server taking 200 ms a render behind gunicorn's default 5 workers.
	server := func() testserver.Options {
		return testserver.Options{Data: testserver.SyntheticDataset(16, 256, 256, 1, "uint8"), RenderLatency: 200 * time.Millisecond, Workers: 5}
	}
	dir := filepath.Join("projects", "Benchmark", "Benchmark")
	for _, ahead := range []int{0, 4} {
		b.Run(fmt.Sprintf("read-ahead=%d", ahead), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				m := mountTestServer(b, mountConfig{serverOpts: server(), fsOpts: Options{ReadAhead: ahead}})
				names := dirOrder(b, m, dir)
				b.StartTimer()
				for _, n := range names {
					if _, err := os.ReadFile(m.path(dir, n)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	// The reference: the same renders (imgData, render_image, decode, PNG)
	// fetched directly, without FUSE, as many at once as a copy with 4 ahead
	// has in flight (the reader's own and 4 ahead).
	b.Run("direct-5-at-once", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			m := mountTestServer(b, mountConfig{serverOpts: server()})
			names := dirOrder(b, m, dir)
			ids := make([]int64, 0, len(names))
			for _, n := range names {
				var id int64
				buf := make([]byte, 32)
				k, err := syscall.Getxattr(m.path(dir, n), "user.omero.id", buf)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fmt.Sscan(string(buf[:k]), &id); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, id)
			}
			b.StartTimer()
			ctx := context.Background()
			var g errgroup.Group
			g.SetLimit(5)
			for _, id := range ids {
				g.Go(func() error {
					img, err := m.root.client.Image(ctx, id)
					if err != nil {
						return err
					}
					px := img.Pixels()
					_, err = render.RenderPNG(ctx, img, px.SizeX, px.SizeY)
					return err
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFindReadAhead is find over 40 datasets of 500 images on a fresh
// mount, from a server that takes 100 ms per list request: without reading
// ahead each folder's listing waits for the one before; with 4 ahead the
// next folders are listed while find reads.
func BenchmarkFindReadAhead(b *testing.B) {
	for _, ahead := range []int{0, 4} {
		b.Run(fmt.Sprintf("read-ahead=%d", ahead), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				m := mountTestServer(b, mountConfig{
					serverOpts: testserver.Options{Data: testserver.SyntheticTree(40, 500, 64, 64, 1, "uint8"), ListLatency: 100 * time.Millisecond},
					fsOpts:     Options{ReadAhead: ahead},
				})
				b.StartTimer()
				out, err := exec.Command("find", m.path("projects"), "-type", "f").Output()
				if err != nil || bytes.Count(out, []byte("\n")) != 40*500 {
					b.Fatalf("find: %d files, %v", bytes.Count(out, []byte("\n")), err)
				}
			}
		})
	}
}
