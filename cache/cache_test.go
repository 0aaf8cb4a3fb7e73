package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func value(n int, b byte) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = b
	}
	return v
}

func TestByteBoundAndLRUOrder(t *testing.T) {
	c := New(Options{MaxBytes: 100})
	ctx := context.Background()
	get := func(k string, n int) {
		if _, err := c.Get(ctx, k, func(context.Context) ([]byte, error) { return value(n, k[0]), nil }); err != nil {
			t.Fatal(err)
		}
	}
	get("a", 40)
	get("b", 40)
	get("a", 40) // a is now the most recent
	get("c", 40) // 120 > 100: b, the least recent, goes
	if _, ok := c.peek("b"); ok {
		t.Error("b should have been evicted")
	}
	if _, ok := c.peek("a"); !ok {
		t.Error("a was used recently and must stay")
	}
	if s := c.Stats(); s.Bytes != 80 || s.Entries != 2 || s.Evictions != 1 || s.Hits != 1 {
		t.Errorf("stats %+v", s)
	}
	for i := 0; i < 200; i++ { // churn
		get(fmt.Sprint("k", i), 1+i%60)
		if s := c.Stats(); s.Bytes > 100 {
			t.Fatalf("bound broken: %d bytes", s.Bytes)
		}
	}
	big, err := c.Get(ctx, "big", func(context.Context) ([]byte, error) { return value(500, 'x'), nil })
	if err != nil || len(big) != 500 {
		t.Fatal("a value over the bound must still be returned")
	}
	if _, ok := c.peek("big"); ok {
		t.Error("a value over the bound must not be kept")
	}
}

func TestOneFillForConcurrentGets(t *testing.T) {
	c := New(Options{MaxBytes: 1 << 20})
	var fills atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(context.Background(), "img", func(context.Context) ([]byte, error) {
				fills.Add(1)
				<-release
				return []byte("png"), nil
			})
			if err != nil || string(v) != "png" {
				t.Errorf("got %q, %v", v, err)
			}
		}()
	}
	// Late arrivals either join the fill or, once it is stored, hit the
	// cache: there is no moment at which a second fill could start.
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := fills.Load(); n != 1 {
		t.Fatalf("%d fills for 16 concurrent gets, want 1", n)
	}
}

func TestErrorsAreNotData(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	c := New(Options{MaxBytes: 1 << 20, NegativeTTL: 2 * time.Second, Now: clk.Now})
	boom := errors.New("server down")
	var fills atomic.Int64
	failing := func(context.Context) ([]byte, error) { fills.Add(1); return nil, boom }
	for i := 0; i < 3; i++ {
		if _, err := c.Get(context.Background(), "k", failing); !errors.Is(err, boom) {
			t.Fatalf("get %d: %v", i, err)
		}
	}
	if fills.Load() != 1 {
		t.Fatalf("%d fills within the negative TTL, want 1", fills.Load())
	}
	if _, ok := c.peek("k"); ok {
		t.Fatal("an error was stored as data")
	}
	clk.Add(3 * time.Second)
	v, err := c.Get(context.Background(), "k", func(context.Context) ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(v) != "ok" {
		t.Fatalf("after the negative TTL: %q, %v", v, err)
	}
	if s := c.Stats(); s.FillErrors != 1 || s.NegativeHits != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestCallerCancelDoesNotCancelOthers: one waiter leaves, the fill goes on
// for the other; when every waiter leaves, the fill is cancelled.
func TestCallerCancelDoesNotCancelOthers(t *testing.T) {
	c := New(Options{MaxBytes: 1 << 20})
	release := make(chan struct{})
	fillCtx := make(chan context.Context, 1)
	fill := func(ctx context.Context) ([]byte, error) {
		fillCtx <- ctx
		select {
		case <-release:
			return []byte("done"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	res1 := make(chan error, 1)
	go func() { _, err := c.Get(ctx1, "k", fill); res1 <- err }()
	fctx := <-fillCtx
	res2 := make(chan []byte, 1)
	go func() { v, _ := c.Get(context.Background(), "k", fill); res2 <- v }()
	for c.fills.waiting("k") < 2 { // both callers on the one fill
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-res1; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	if fctx.Err() != nil {
		t.Fatal("the fill was cancelled while another caller waited")
	}
	close(release)
	if v := <-res2; string(v) != "done" {
		t.Fatalf("second caller got %q", v)
	}

	// Everyone leaves: the fill's context ends, and nothing is cached.
	ctx3, cancel3 := context.WithCancel(context.Background())
	done3 := make(chan struct{})
	block := func(ctx context.Context) ([]byte, error) {
		fillCtx <- ctx
		<-ctx.Done()
		return nil, ctx.Err()
	}
	go func() { c.Get(ctx3, "other", block); close(done3) }()
	f3 := <-fillCtx
	cancel3()
	<-done3
	select {
	case <-f3.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("fill not cancelled after every caller left")
	}
	time.Sleep(10 * time.Millisecond)
	if _, ok := c.peek("other"); ok {
		t.Fatal("an abandoned fill was cached")
	}
}

func TestTTLServesStaleOnFailure(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	notFound := errors.New("gone")
	tc := NewTTL[int, string](TTLOptions{TTL: time.Minute, Now: clk.Now, ServeStale: func(err error) bool { return !errors.Is(err, notFound) }})
	ctx := context.Background()
	var fills atomic.Int64
	ok := func(v string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { fills.Add(1); return v, nil }
	}
	if v, _ := tc.Get(ctx, 1, ok("v1")); v != "v1" {
		t.Fatal(v)
	}
	if v, _ := tc.Get(ctx, 1, ok("v2")); v != "v1" || fills.Load() != 1 {
		t.Fatalf("within the TTL: %q after %d fills", v, fills.Load())
	}
	clk.Add(2 * time.Minute)
	if v, _ := tc.Get(ctx, 1, ok("v2")); v != "v2" {
		t.Fatalf("after the TTL: %q", v)
	}
	clk.Add(2 * time.Minute)
	v, err := tc.Get(ctx, 1, func(context.Context) (string, error) { return "", errors.New("timeout") })
	if err != nil || v != "v2" {
		t.Fatalf("failed refresh must serve the stale value: %q, %v", v, err)
	}
	if _, err := tc.Get(ctx, 1, func(context.Context) (string, error) { return "", notFound }); !errors.Is(err, notFound) {
		t.Fatalf("a vanished object must not be served stale: %v", err)
	}
	if _, err := tc.Get(ctx, 2, func(context.Context) (string, error) { return "", errors.New("x") }); err == nil {
		t.Fatal("no stale value: the error must come through")
	}
}

func BenchmarkGetHit(b *testing.B) {
	c := New(Options{MaxBytes: 1 << 30})
	c.Get(context.Background(), "k", func(context.Context) ([]byte, error) { return value(1<<20, 1), nil })
	b.ReportAllocs()
	for b.Loop() {
		c.Get(context.Background(), "k", nil)
	}
}

func TestTTLBoundedByEntries(t *testing.T) {
	tc := NewTTL[int, string](TTLOptions{TTL: time.Minute, MaxEntries: 3})
	ctx := context.Background()
	var fills atomic.Int64
	get := func(k int) {
		if _, err := tc.Get(ctx, k, func(context.Context) (string, error) { fills.Add(1); return fmt.Sprint(k), nil }); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 3 {
		get(k)
	}
	get(0) // 0 is now the most recently used; 1 the least
	get(3) // evicts 1
	if tc.Len() != 3 {
		t.Fatalf("len %d, want the bound 3", tc.Len())
	}
	fills.Store(0)
	get(0)
	get(2)
	get(3)
	if fills.Load() != 0 {
		t.Fatalf("%d fills for values that should be held", fills.Load())
	}
	get(1)
	if fills.Load() != 1 {
		t.Fatal("the least recently used value was kept instead")
	}
}

// TestTTLBoundedByWeight: values weigh their length; the total stays under
// the bound, least recently used out first, a value heavier than the bound
// alone is still held, and a value replaced by a refresh counts once.
func TestTTLBoundedByWeight(t *testing.T) {
	now := time.Unix(0, 0)
	tc := NewTTL[int, string](TTLOptions{TTL: time.Minute, Now: func() time.Time { return now }}).
		WeighedBy(func(v string) int { return len(v) }, 10)
	ctx := context.Background()
	var fills atomic.Int64
	get := func(k int, v string) {
		t.Helper()
		if _, err := tc.Get(ctx, k, func(context.Context) (string, error) { fills.Add(1); return v, nil }); err != nil {
			t.Fatal(err)
		}
	}
	get(1, "aaaa")
	get(2, "bbbb")
	get(1, "aaaa") // 2 is now the least recently used
	get(3, "cccc") // 12 > 10: 2 goes
	if tc.Len() != 2 || tc.Weight() != 8 {
		t.Fatalf("%d values weighing %d, want 2 weighing 8", tc.Len(), tc.Weight())
	}
	fills.Store(0)
	get(1, "aaaa")
	get(3, "cccc")
	if fills.Load() != 0 {
		t.Fatalf("%d fills of values that should be held", fills.Load())
	}
	now = now.Add(2 * time.Minute) // expired: the next Get fills again
	get(3, "cc")
	if tc.Len() != 2 || tc.Weight() != 6 {
		t.Fatalf("after a refresh: %d values weighing %d, want 2 weighing 6", tc.Len(), tc.Weight())
	}
	get(4, "dddddddddddddddd") // heavier than the bound: the others go, it stays
	if tc.Len() != 1 || tc.Weight() != 16 {
		t.Fatalf("%d values weighing %d, want only the heavy one", tc.Len(), tc.Weight())
	}
}

func TestTTLRevalidatesInTheBackground(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	notFound := errors.New("gone")
	tc := NewTTL[int, string](TTLOptions{TTL: time.Minute, Now: clk.Now, Revalidate: true,
		ServeStale: func(err error) bool { return !errors.Is(err, notFound) }})
	ctx := context.Background()
	if v, _ := tc.Get(ctx, 1, func(context.Context) (string, error) { return "v1", nil }); v != "v1" {
		t.Fatal(v)
	}
	clk.Add(2 * time.Minute)
	release := make(chan struct{})
	var fills atomic.Int64
	slow := func(context.Context) (string, error) { fills.Add(1); <-release; return "v2", nil }
	// Expired: served at once, however many ask, with one refresh running.
	for range 5 {
		if v, err := tc.Get(ctx, 1, slow); v != "v1" || err != nil {
			t.Fatalf("expired value not served at once: %q, %v", v, err)
		}
	}
	close(release)
	tc.Wait()
	if fills.Load() != 1 {
		t.Fatalf("%d refreshes; want 1", fills.Load())
	}
	if v, _ := tc.Get(ctx, 1, slow); v != "v2" {
		t.Fatalf("after the refresh: %q", v)
	}
	// A failed refresh keeps the old value; a vanished object drops it.
	clk.Add(2 * time.Minute)
	tc.Get(ctx, 1, func(context.Context) (string, error) { return "", errors.New("timeout") })
	tc.Wait()
	if v, err := tc.Get(ctx, 1, func(context.Context) (string, error) { return "", notFound }); v != "v2" || err != nil {
		t.Fatalf("after a failed refresh: %q, %v; want the stale value", v, err)
	}
	tc.Wait()
	if _, err := tc.Get(ctx, 1, func(context.Context) (string, error) { return "", notFound }); !errors.Is(err, notFound) {
		t.Fatalf("a vanished object is still served: %v", err)
	}
}

// peek returns a cached value without changing its recency.
func (c *Cache) peek(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Peek(key)
}
