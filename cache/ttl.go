package cache

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/sirupsen/logrus"
)

// TTLOptions configure a TTL cache.
type TTLOptions struct {
	TTL time.Duration // how long a value is trusted (--metadata-ttl)
	// ServeStale says whether a failed refresh may fall back to the expired
	// value (a listing still shown while the server is down). Nil: always.
	ServeStale func(err error) bool
	// MaxEntries bounds the values held, least recently used out first
	// (--max-listings); 0: no bound.
	MaxEntries int

	// Revalidate serves an expired value at once while one refresh runs in
	// the background (stale-while-revalidate), so that a folder of a
	// million images is never waited for twice.
	Revalidate bool
	Logger     logrus.FieldLogger
	Now        func() time.Time // clock, for tests
}

// TTL caches values for a time, with one fill per key at a time. When a
// refresh fails, the expired value is served instead (if ServeStale
// allows) and the failure logged, so cached folders stay readable while
// the server is away. Failures are never stored.
type TTL[K comparable, V any] struct {
	opts       TTLOptions
	mu         sync.Mutex
	entries    *simplelru.LRU[K, ttlEntry[V]]
	refreshing map[K]bool // background refreshes running
	fills      flights[K, V]
	wg         sync.WaitGroup
	weightOf   func(V) int // nil: values weigh nothing (WeighedBy)
	maxWeight  int
	weight     int // of the values held
}

// WeighedBy bounds the values held by their total weight as well (a
// listing weighs its entries: --max-listed-objects), so that a few huge
// folders cannot hold what many small ones may: least recently used out
// first, though the newest value always stays. Call it before any Get.
func (t *TTL[K, V]) WeighedBy(weight func(V) int, max int) *TTL[K, V] {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.weightOf, t.maxWeight = weight, max
	return t
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
	size := opts.MaxEntries
	if size <= 0 {
		size = math.MaxInt32
	}
	t := &TTL[K, V]{opts: opts, refreshing: map[K]bool{}}
	// Called under t.mu, by the LRU's own evictions and removals.
	t.entries, _ = simplelru.NewLRU[K, ttlEntry[V]](size, func(_ K, e ttlEntry[V]) { t.weight -= t.weigh(e.val) })
	return t
}

// Get returns the value of key, filling it when missing or expired.
func (t *TTL[K, V]) Get(ctx context.Context, key K, fill func(ctx context.Context) (V, error)) (V, error) {
	t.mu.Lock()
	e, ok := t.entries.Get(key)
	if ok && t.opts.Now().Sub(e.fetched) < t.opts.TTL {
		t.mu.Unlock()
		return e.val, nil
	}
	if ok && t.opts.Revalidate {
		if !t.refreshing[key] {
			t.refreshing[key] = true
			t.wg.Add(1)
			go t.refresh(context.WithoutCancel(ctx), key, fill)
		}
		t.mu.Unlock()
		return e.val, nil
	}
	t.mu.Unlock()
	v, err := t.fills.do(ctx, key, fill, func(v V, err error) { t.store(key, v, err) })
	if err != nil && ok && ctx.Err() == nil && t.serveStale(err) {
		t.opts.Logger.WithError(err).Warn("refresh failed: serving the last listing")
		return e.val, nil
	}
	return v, err
}

// refresh runs one background refresh of key. On failure the expired value
// stays (and is served until a refresh succeeds) unless ServeStale says the
// object is gone, in which case the next Get fills and fails itself.
func (t *TTL[K, V]) refresh(ctx context.Context, key K, fill func(ctx context.Context) (V, error)) {
	defer t.wg.Done()
	_, err := t.fills.do(ctx, key, fill, func(v V, err error) { t.store(key, v, err) })
	t.mu.Lock()
	delete(t.refreshing, key)
	if err != nil && !t.serveStale(err) {
		t.entries.Remove(key)
	}
	t.mu.Unlock()
	if err != nil && t.serveStale(err) {
		t.opts.Logger.WithError(err).Warn("refresh failed: serving the last listing")
	}
}

func (t *TTL[K, V]) store(key K, v V, err error) {
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.entries.Peek(key); ok {
		t.weight -= t.weigh(old.val) // Add replaces it without an eviction
	}
	t.entries.Add(key, ttlEntry[V]{val: v, fetched: t.opts.Now()})
	t.weight += t.weigh(v)
	for t.maxWeight > 0 && t.weight > t.maxWeight && t.entries.Len() > 1 {
		t.entries.RemoveOldest()
	}
}

// weigh is v's weight, 0 without WeighedBy.
func (t *TTL[K, V]) weigh(v V) int {
	if t.weightOf == nil {
		return 0
	}
	return t.weightOf(v)
}

// Weight is the total weight of the values held.
func (t *TTL[K, V]) Weight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.weight
}

func (t *TTL[K, V]) serveStale(err error) bool {
	return t.opts.ServeStale == nil || t.opts.ServeStale(err)
}

// Peek returns key's value, fresh or expired, without filling it or
// marking it used.
func (t *TTL[K, V]) Peek(key K) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries.Peek(key)
	return e.val, ok
}

// Wait waits for the background refreshes running (for tests and shutdown).
func (t *TTL[K, V]) Wait() { t.wg.Wait() }

// Len is the number of values held.
func (t *TTL[K, V]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.entries.Len()
}
