// Package flight coalesces concurrent fills of one key into one run, for
// the in-memory caches (package cache) and the disk cache (cache/disk)
// alike.
package flight

import (
	"context"
	"sync"
)

// Group runs at most one fill per key at a time in this process. The fill
// runs on a context of its own, detached from any one caller: a caller whose
// context ends (an interrupted read) leaves at once, but the fill goes on for
// the others and is cancelled only when every caller has gone. The zero
// Group is ready to use.
type Group[K comparable, V any] struct {
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

// Do returns fn's result for key, sharing a running fill. finish, when not
// nil, runs once with the result before any caller is released (so a cache
// can store it first).
func (g *Group[K, V]) Do(ctx context.Context, key K, fn func(context.Context) (V, error), finish func(V, error)) (V, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[K]*call[V]{}
	}
	c := g.calls[key]
	if c == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call[V]{cancel: cancel, done: make(chan struct{})}
		g.calls[key] = c
		go func() {
			defer cancel()
			v, err := fn(fctx)
			if finish != nil {
				finish(v, err)
			}
			g.mu.Lock()
			delete(g.calls, key)
			c.val, c.err = v, err
			g.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	g.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			c.cancel()
		}
		g.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}

// Waiting returns how many callers wait on key's fill (for tests).
func (g *Group[K, V]) Waiting(key K) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}
