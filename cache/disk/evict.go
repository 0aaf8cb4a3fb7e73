package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Eviction: every process keeps an estimate of the directory's bytes (its
// last scan plus what it wrote since). When the estimate passes the bound,
// or when it wrote a twentieth of the bound since its last scan (so that
// what other mounts wrote meanwhile is seen soon), it scans the directory
// and deletes the oldest entries (by mtime) until it is at nine tenths of
// the bound. Many processes may do this at once: a file another one
// deleted first is simply gone. No lock is taken, so none can be left
// behind by a crash.

// added counts n bytes written by this process and starts a scan if due.
func (c *Cache) added(n int64) {
	c.mu.Lock()
	c.sinceScan += n
	due := c.scanned+c.sinceScan > c.max || c.sinceScan > c.max/20
	far := c.scanned+c.sinceScan > c.max+c.max/10
	c.mu.Unlock()
	if due {
		c.kick()
	}
	if far {
		// Writers faster than eviction wait for it, so that the bound
		// holds within a tenth.
		c.mu.Lock()
		for c.scanning {
			c.idle.Wait()
		}
		c.mu.Unlock()
	}
}

// kick starts a background scan, or asks the running one to go again.
func (c *Cache) kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.max == 0 {
		return
	}
	if c.scanning {
		c.again = true
		return
	}
	c.scanning = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			c.scan()
			c.mu.Lock()
			if !c.again || c.closed {
				c.scanning = false
				c.idle.Broadcast()
				c.mu.Unlock()
				return
			}
			c.again = false
			c.mu.Unlock()
		}
	}()
}

type record struct {
	path  string
	mtime int64
	size  int64
}

// scan measures the directory, removes stale temporary files and evicts
// down to nine tenths of the bound when over it.
func (c *Cache) scan() {
	c.mu.Lock()
	base := c.sinceScan
	c.mu.Unlock()

	shards, err := os.ReadDir(c.root)
	if err != nil {
		c.log.WithError(err).Debug("disk cache: scan")
		return
	}
	var recs []record
	var total, stale int64
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue
		}
		dir := filepath.Join(c.root, sh.Name())
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			p := filepath.Join(dir, name)
			if i := strings.Index(name, ".tmp_"); i >= 0 {
				if c.staleTemp(name[i+len(".tmp_"):], info.ModTime()) && os.Remove(p) == nil {
					stale++
				}
				continue
			}
			if len(name) != 64 {
				continue
			}
			recs = append(recs, record{p, info.ModTime().UnixNano(), info.Size()})
			total += info.Size()
		}
	}
	var evicted int64
	if total > c.max {
		slices.SortFunc(recs, func(a, b record) int { return int(min(max(a.mtime-b.mtime, -1), 1)) })
		target := c.max - c.max/10
		for _, r := range recs {
			if total <= target {
				break
			}
			// An entry used since the scan saw it stays.
			if fi, err := os.Stat(r.path); err == nil && fi.ModTime().UnixNano() != r.mtime {
				continue
			}
			err := os.Remove(r.path)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				total -= r.size
			}
			if err == nil {
				evicted++
			}
		}
	}
	c.mu.Lock()
	c.scanned = total
	c.sinceScan = max(c.sinceScan-base, 0)
	c.stats.Evictions += evicted
	c.stats.StaleTemps += stale
	c.mu.Unlock()
	if evicted > 0 || stale > 0 {
		c.log.WithField("evicted", evicted).WithField("stale_temps", stale).WithField("bytes", total).Debug("disk cache: scanned")
	}
}

// staleTemp reports whether a temporary file (its name's tail
// "<host>_<pid>_<random>") was left by a dead writer: one on this host
// whose process is gone, or any that has not been written for staleAfter.
func (c *Cache) staleTemp(tail string, mtime time.Time) bool {
	if time.Since(mtime) > c.staleAfter {
		return true
	}
	parts := strings.Split(tail, "_")
	if len(parts) != 3 || parts[0] != c.host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !alive(pid)
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
