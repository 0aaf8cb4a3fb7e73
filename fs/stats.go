package fs

import (
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// Stats are what the mount did, for --metrics-addr: render latencies and
// the errors it answered, by errno.
type Stats struct {
	mu         sync.Mutex
	renderHist []int64 // counts per RenderBuckets bucket, plus +Inf
	renderSum  time.Duration
	renders    int64
	errnos     map[string]int64
	readAheads int64
	listAheads int64
}

// RenderBuckets are the upper bounds (seconds) of the render latency
// histogram.
var RenderBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

func (s *Stats) observeRender(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.renderHist == nil {
		s.renderHist = make([]int64, len(RenderBuckets)+1)
	}
	i := sort.SearchFloat64s(RenderBuckets, d.Seconds())
	s.renderHist[i]++
	s.renderSum += d
	s.renders++
}

func (s *Stats) countErrno(e syscall.Errno) {
	if e == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errnos == nil {
		s.errnos = map[string]int64{}
	}
	s.errnos[errnoName(e)]++
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EIO:
		return "EIO"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EINTR:
		return "EINTR"
	case syscall.EROFS:
		return "EROFS"
	}
	return e.Error()
}

// RenderHistogram returns the cumulative bucket counts (Prometheus style,
// the last one +Inf), the sum of latencies and the count.
func (s *Stats) RenderHistogram() (cumulative []int64, sum time.Duration, count int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cumulative = make([]int64, len(RenderBuckets)+1)
	var acc int64
	for i := range cumulative {
		if i < len(s.renderHist) {
			acc += s.renderHist[i]
		}
		cumulative[i] = acc
	}
	return cumulative, s.renderSum, s.renders
}

func (s *Stats) countReadAhead() {
	s.mu.Lock()
	s.readAheads++
	s.mu.Unlock()
}

func (s *Stats) countListingAhead() {
	s.mu.Lock()
	s.listAheads++
	s.mu.Unlock()
}

// ListingsAhead returns how many folder listings reading ahead started.
func (s *Stats) ListingsAhead() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listAheads
}

// ReadAheads returns how many renders reading ahead started.
func (s *Stats) ReadAheads() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readAheads
}

// Errnos returns the errors answered, by errno name.
func (s *Stats) Errnos() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.errnos))
	for k, v := range s.errnos {
		out[k] = v
	}
	return out
}

// slowAfter is when a listing or render is reported as still under way.
const slowAfter = time.Second

// progress logs, at info level, that a slow operation is still going after
// slowAfter, and then how long it took; fast ones log nothing. Call the
// returned function when the operation ends.
func progress(log logrus.FieldLogger, what string) func(err error) {
	start := time.Now()
	t := time.AfterFunc(slowAfter, func() { log.Infof("%s: still working…", what) })
	return func(err error) {
		if t.Stop() {
			return
		}
		if err != nil {
			log.Infof("%s: failed after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		log.Infof("%s: done in %v", what, time.Since(start).Round(time.Millisecond))
	}
}
