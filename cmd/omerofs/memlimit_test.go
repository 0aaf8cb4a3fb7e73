package main

import "testing"

// TestMemoryLimitFollowsTheLiveHeap: with only the cache live the limit is
// the cache's bound plus the headroom (as before); listings or anything
// else live raise it by their size, so it never falls below the live heap.
func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	const cache = 512 << 20
	for _, c := range []struct{ live, held, want int64 }{
		{0, 0, cache + memoryHeadroom},
		{300 << 20, 300 << 20, cache + memoryHeadroom},
		{1 << 30, 200 << 20, cache + (1<<30 - 200<<20 - memorySlack) + memoryHeadroom},
		{300<<20 + 20<<20, 300 << 20, cache + memoryHeadroom}, // renders in flight: within the slack
		{100, 200, cache + memoryHeadroom},                    // held counted after the sample: never negative
	} {
		got := memoryLimit(cache, c.live, c.held)
		if got != c.want {
			t.Errorf("memoryLimit(live %d, held %d) = %d, want %d", c.live, c.held, got, c.want)
		}
		if got < c.live+memoryHeadroom-memorySlack {
			t.Errorf("limit %d below the live heap %d plus headroom", got, c.live)
		}
	}
}
