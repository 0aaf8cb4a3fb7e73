// Package cache is the caching layer between the FUSE adaptor and the
// server: a byte-bounded LRU of rendered images (Cache) and a TTL cache of
// folder listings (TTL). Both coalesce concurrent misses of one key into one
// fill, and neither ever stores a failure as data.
package cache

import (
	"context"

	"github.com/omerofs/omerofs/cache/flight"
)

// flights runs at most one fill per key at a time; see flight.Group for how
// callers that leave early are handled.
type flights[K comparable, V any] struct {
	g flight.Group[K, V]
}

// waiting returns how many callers wait on key's fill (for tests).
func (f *flights[K, V]) waiting(key K) int { return f.g.Waiting(key) }

// do returns fn's result for key, sharing a running fill. finish runs once
// with the result before any caller is released (so a cache can store it).
func (f *flights[K, V]) do(ctx context.Context, key K, fn func(context.Context) (V, error), finish func(V, error)) (V, error) {
	return f.g.Do(ctx, key, fn, finish)
}
