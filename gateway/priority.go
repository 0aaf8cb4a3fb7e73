package gateway

import (
	"context"
	"sync"
)

// Requests no user waits for (reading ahead) are marked on their context.
// They queue behind every request a user waits for and never take the last
// free slot of --max-requests, so that prefetching never delays the file a
// program asked for.

type backgroundKey struct{}

// Background marks ctx's requests as background work.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// slots bounds the requests in flight, user requests first.
type slots struct {
	mu       sync.Mutex
	max      int // requests in flight at once
	bgMax    int // of which background ones at most
	inUse    int
	bgInUse  int
	user, bg []*waiter // FIFO queues
}

type waiter struct {
	ch      chan struct{}
	granted bool
}

func newSlots(n int) *slots {
	return &slots{max: n, bgMax: max(1, n-1)}
}

func (s *slots) free(bg bool) bool {
	if s.inUse >= s.max {
		return false
	}
	if !bg {
		return true
	}
	return len(s.user) == 0 && s.bgInUse < s.bgMax
}

func (s *slots) take(bg bool) {
	s.inUse++
	if bg {
		s.bgInUse++
	}
}

// acquire waits for a slot, or for ctx to end.
func (s *slots) acquire(ctx context.Context, bg bool) error {
	s.mu.Lock()
	queue := &s.user
	if bg {
		queue = &s.bg
	}
	if len(*queue) == 0 && s.free(bg) {
		s.take(bg)
		s.mu.Unlock()
		return nil
	}
	w := &waiter{ch: make(chan struct{})}
	*queue = append(*queue, w)
	s.mu.Unlock()

	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		if w.granted {
			s.mu.Unlock()
			s.release(bg)
		} else {
			for i, x := range *queue {
				if x == w {
					*queue = append((*queue)[:i], (*queue)[i+1:]...)
					break
				}
			}
			s.grant() // a user waiter gone may let a background one in
			s.mu.Unlock()
		}
		return ctx.Err()
	}
}

// release frees a slot and hands it on, user requests first.
func (s *slots) release(bg bool) {
	s.mu.Lock()
	s.inUse--
	if bg {
		s.bgInUse--
	}
	s.grant()
	s.mu.Unlock()
}

func (s *slots) grant() {
	for {
		switch {
		case len(s.user) > 0 && s.free(false):
			w := s.user[0]
			s.user = s.user[1:]
			s.take(false)
			w.granted = true
			close(w.ch)
		case len(s.bg) > 0 && s.free(true):
			w := s.bg[0]
			s.bg = s.bg[1:]
			s.take(true)
			w.granted = true
			close(w.ch)
		default:
			return
		}
	}
}

// inFlight returns the requests in flight, all and background (for tests).
func (s *slots) inFlight() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inUse, s.bgInUse
}
