package cache

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/sirupsen/logrus"
)

// Options configure a Cache.
type Options struct {
	MaxBytes    int64         // bound on the bytes of values held (--cache-size)
	NegativeTTL time.Duration // how long a failed fill is remembered; default 2s
	Logger      logrus.FieldLogger
	Now         func() time.Time // clock, for tests
}

// Stats count what a Cache did.
type Stats struct {
	Hits, Misses, Fills, FillErrors, NegativeHits, Evictions int64
	Bytes                                                    int64
	Entries                                                  int
}

// Cache is a byte-bounded LRU of immutable byte slices (rendered PNGs).
// Values handed out are shared between readers and must not be modified.
type Cache struct {
	opts Options

	mu    sync.Mutex
	lru   *simplelru.LRU[string, []byte]
	bytes int64
	neg   map[string]negative
	stats Stats

	fills flights[string, []byte]
}

type negative struct {
	err   error
	until time.Time
}

// New returns an empty cache.
func New(opts Options) *Cache {
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	c := &Cache{opts: opts, neg: map[string]negative{}}
	// The LRU keeps order; the bound is in bytes, enforced in add.
	c.lru, _ = simplelru.NewLRU[string, []byte](math.MaxInt32, func(_ string, v []byte) {
		c.bytes -= int64(len(v))
		c.stats.Evictions++
	})
	return c
}

// Get returns the value of key, filling it on a miss. Concurrent Gets of
// one key share one fill. A fill's error goes to every waiter, is not
// stored as data, and is returned again without a fill for NegativeTTL, so
// that a dead server is not asked again at once by every reader.
func (c *Cache) Get(ctx context.Context, key string, fill func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if v, ok := c.lru.Get(key); ok {
		c.stats.Hits++
		c.mu.Unlock()
		return v, nil
	}
	if n, ok := c.neg[key]; ok {
		if c.opts.Now().Before(n.until) {
			c.stats.NegativeHits++
			c.mu.Unlock()
			return nil, n.err
		}
		delete(c.neg, key)
	}
	c.stats.Misses++
	c.mu.Unlock()

	return c.fills.do(ctx, key, func(ctx context.Context) ([]byte, error) {
		c.mu.Lock()
		c.stats.Fills++
		c.mu.Unlock()
		return fill(ctx)
	}, func(v []byte, err error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case err == nil:
			c.add(key, v)
		case errors.Is(err, context.Canceled):
			// Everyone left: nothing is known about the key.
		default:
			c.stats.FillErrors++
			c.neg[key] = negative{err: err, until: c.opts.Now().Add(c.opts.NegativeTTL)}
		}
	})
}

// add stores v and evicts the least recently used values until the bound
// holds. A value larger than the bound is not kept. c.mu is held.
func (c *Cache) add(key string, v []byte) {
	if int64(len(v)) > c.opts.MaxBytes {
		return
	}
	if old, ok := c.lru.Peek(key); ok {
		c.bytes -= int64(len(old))
	}
	c.lru.Add(key, v)
	c.bytes += int64(len(v))
	for c.bytes > c.opts.MaxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// Contains reports whether key's value is held, without marking it used
// (reading ahead skips what is there already).
func (c *Cache) Contains(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Contains(key)
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Bytes, s.Entries = c.bytes, c.lru.Len()
	return s
}
