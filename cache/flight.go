// Package cache is the caching layer between the FUSE adaptor and the
// server: a byte-bounded LRU of rendered images (Cache) and a TTL cache of
// folder listings (TTL). Both coalesce concurrent misses of one key into one
// fill, and neither ever stores a failure as data.
package cache

import (
	"context"
	"sync"
)

// flights runs at most one fill per key at a time. The fill runs on a
// context of its own, detached from any one caller: a caller whose context
// ends (an interrupted read) leaves at once, but the fill goes on for the
// others and is cancelled only when every caller has gone.
type flights[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
}

type call[V any] struct {
	waiters int
	cancel  context.CancelFunc
	done    chan struct{}
	val     V
	err     error
}

// waiting returns how many callers wait on key's fill (for tests).
func (f *flights[K, V]) waiting(key K) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}

// do returns fn's result for key, sharing a running fill. finish runs once
// with the result before any caller is released (so a cache can store it).
func (f *flights[K, V]) do(ctx context.Context, key K, fn func(context.Context) (V, error), finish func(V, error)) (V, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[K]*call[V]{}
	}
	c := f.calls[key]
	if c == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call[V]{cancel: cancel, done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			defer cancel()
			v, err := fn(fctx)
			finish(v, err)
			f.mu.Lock()
			delete(f.calls, key)
			c.val, c.err = v, err
			f.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		f.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			c.cancel()
		}
		f.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}
