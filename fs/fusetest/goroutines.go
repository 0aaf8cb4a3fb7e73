package fusetest

import (
	"runtime"
	"testing"
	"time"
)

// SteadyGoroutines returns the goroutine count once it has stopped falling
// (connections closing, timers firing), waiting at most a few seconds: the
// baseline of a leak check.
func SteadyGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 30; i++ {
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return min(m, n)
		}
		n = m
	}
	return n
}

// WaitGoroutines waits (for at most 10s) until no more than limit
// goroutines run, and fails the test with every goroutine's stack if they
// do not come down: a leak. It returns the last count.
func WaitGoroutines(t testing.TB, limit int) int {
	t.Helper()
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); n > limit && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(50 * time.Millisecond)
	}
	if n > limit {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, at most %d expected: a leak\n%s", n, limit, buf[:runtime.Stack(buf, true)])
	}
	return n
}
