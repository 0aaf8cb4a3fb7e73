package disk

import (
	"context"
	"sync"
)

// flights runs at most one fill per key at a time in this process. The fill
// runs on a context of its own, detached from any one caller: a caller whose
// context ends leaves at once, but the fill goes on for the others and is
// cancelled only when every caller has gone. (Across processes two fills of
// one key may race; both write their own temporary file and either rename
// wins, which is fine for immutable objects.)
type flights struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	waiters int
	cancel  context.CancelFunc
	done    chan struct{}
	val     filled
	err     error
}

func (f *flights) do(ctx context.Context, key string, fn func(context.Context) (filled, error)) (filled, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*call{}
	}
	c := f.calls[key]
	if c == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call{cancel: cancel, done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			defer cancel()
			v, err := fn(fctx)
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
		return filled{}, ctx.Err()
	}
}

// waiting returns how many callers wait on key's fill (for tests).
func (f *flights) waiting(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}
