package disk

import (
	"context"
	"sync/atomic"
	"testing"
)

// BenchmarkHit3MiB is a disk cache hit of a rendered 1024×1024 PNG's size:
// open, check length and SHA-256, read (the page cache holds the file).
func BenchmarkHit3MiB(b *testing.B) {
	c, err := Open(b.TempDir(), 1<<30, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	want := object("png", 3<<20)
	var runs atomic.Int64
	if _, err := c.Bytes(context.Background(), "png", int64(len(want)), filler(want, &runs)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(want)))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Bytes(context.Background(), "png", int64(len(want)), filler(want, &runs)); err != nil {
			b.Fatal(err)
		}
	}
	if runs.Load() != 1 {
		b.Fatalf("%d fills", runs.Load())
	}
}
