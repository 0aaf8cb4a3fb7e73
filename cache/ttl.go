package cache

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// TTLOptions configure a TTL cache.
type TTLOptions struct {
	TTL time.Duration // how long a value is trusted (--metadata-ttl)
	// ServeStale says whether a failed refresh may fall back to the expired
	// value (a listing still shown while the server is down). Nil: always.
	ServeStale func(err error) bool
	Logger     logrus.FieldLogger
	Now        func() time.Time // clock, for tests
}

// TTL caches values for a time, with one fill per key at a time. When a
// refresh fails, the expired value is served instead (if ServeStale
// allows) and the failure logged, so cached folders stay readable while
// the server is away. Failures are never stored.
type TTL[K comparable, V any] struct {
	opts    TTLOptions
	mu      sync.Mutex
	entries map[K]ttlEntry[V]
	fills   flights[K, V]
}

type ttlEntry[V any] struct {
	val     V
	fetched time.Time
}

// NewTTL returns an empty TTL cache.
func NewTTL[K comparable, V any](opts TTLOptions) *TTL[K, V] {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	return &TTL[K, V]{opts: opts, entries: map[K]ttlEntry[V]{}}
}

// Get returns the value of key, filling it when missing or expired.
func (t *TTL[K, V]) Get(ctx context.Context, key K, fill func(ctx context.Context) (V, error)) (V, error) {
	t.mu.Lock()
	e, ok := t.entries[key]
	t.mu.Unlock()
	if ok && t.opts.Now().Sub(e.fetched) < t.opts.TTL {
		return e.val, nil
	}
	v, err := t.fills.do(ctx, key, fill, func(v V, err error) {
		if err == nil {
			t.mu.Lock()
			t.entries[key] = ttlEntry[V]{val: v, fetched: t.opts.Now()}
			t.mu.Unlock()
		}
	})
	if err != nil && ok && ctx.Err() == nil && (t.opts.ServeStale == nil || t.opts.ServeStale(err)) {
		t.opts.Logger.WithError(err).Warn("refresh failed: serving the last listing")
		return e.val, nil
	}
	return v, err
}
