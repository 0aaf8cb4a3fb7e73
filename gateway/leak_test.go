package gateway

import (
	"runtime"
	"time"
)

// stableGoroutines counts goroutines once the count stops falling (idle
// connections and finished requests take a moment to go).
func stableGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n && i > 5 {
			break
		}
		n = m
	}
	return n
}
