package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/omerofs/omerofs/cache"
)

// The mount sets a soft memory limit so that the heap stays near the image
// cache rather than growing to twice it between collections. But what else
// the mount holds grows with the tree it shows: the listings of a million
// images take hundreds of megabytes. A fixed limit below the live heap
// makes the collector run without pause (up to half the CPU), so the limit
// follows the live heap: the cache's bound, plus whatever is live besides
// the cache beyond memorySlack, plus the headroom. The slack keeps the
// buffers of renders in flight (a few MiB each) from raising the limit
// of a mount that shows little: only lasting growth, listings above all,
// does; and as it is smaller than the headroom, the limit stays above
// the live heap.

// memorySlack is what may be live besides the image cache before the
// limit grows with it.
const memorySlack = 32 << 20

// memoryLimit is the soft limit for a live heap of live bytes of which
// held are the image cache's values, with the cache bounded by cacheSize.
func memoryLimit(cacheSize, live, held int64) int64 {
	other := max(live-held-memorySlack, 0)
	return cacheSize + other + memoryHeadroom
}

// tuneMemoryLimit sets the limit now and again every interval until ctx ends.
func tuneMemoryLimit(ctx context.Context, cacheSize int64, images *cache.Cache, interval time.Duration) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		var live int64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		debug.SetMemoryLimit(memoryLimit(cacheSize, live, images.Stats().Bytes))
	}
	set()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				set()
			}
		}
	}()
}
