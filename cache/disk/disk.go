// Package disk is the on-disk cache of immutable objects (rendered PNGs,
// raw planes, spooled originals) shared by every mount that points at one
// directory, on one machine or across a cluster filesystem.
//
// Its rules: an entry is written whole under a temporary name in its final
// directory and renamed into place; every read checks its length and
// SHA-256 (a bad entry is deleted and filled again, never served); the
// directory is bounded by evicting the least recently used entries, where
// "used" is the entry's mtime, which a hit moves forward (atime and flock
// are unreliable on NFS); no process holds a lock another could be left
// waiting on, so a crashed mount wedges nothing; its temporary files are
// removed by the next Open. A failing disk never fails a read: a fill that
// cannot be stored is served from memory.
package disk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/omerofs/omerofs/cache/flight"
	"github.com/sirupsen/logrus"
)

// Fill writes an object's bytes to w. It runs once per miss, however many
// callers wait for the key in this process.
type Fill func(ctx context.Context, w io.Writer) error

// Stats count what a Cache did.
type Stats struct {
	Hits, Misses, Fills, FillErrors, Corrupt, Evictions, StaleTemps, MemoryFallbacks int64
	Bytes                                                                            int64 // estimate of the directory's bytes
}

const (
	// layout is the subdirectory that holds this format's entries, so that
	// a later format can live next to it.
	layout = "v1"
	// touchAfter: a hit moves an entry's mtime forward at most this often
	// (one metadata write a minute, not one per read, on NFS).
	touchAfter = time.Minute
	// staleAfter: a temporary file this old whose writer we cannot ask is
	// left over from a crash (a live fill writes its temp continuously).
	staleAfter = 10 * time.Minute
	// fullPause: after a full disk, fills go to memory for this long
	// before the disk is tried again.
	fullPause = 10 * time.Second
)

// Cache is a directory of cached objects. A nil or disabled Cache still
// serves every Get from its fill.
type Cache struct {
	root     string // <dir>/v1
	max      int64
	log      logrus.FieldLogger
	host     string
	dirMode  os.FileMode
	fileMode os.FileMode

	// test knobs
	touchAfter time.Duration
	staleAfter time.Duration
	fullPause  time.Duration

	disabled atomic.Bool
	roWarned atomic.Bool

	mu        sync.Mutex
	scanned   int64 // bytes in the directory at the last scan, after eviction
	sinceScan int64 // bytes this process added since then
	scanning  bool
	idle      *sync.Cond // broadcast when a scan ends
	again     bool
	fullUntil time.Time
	fullWarn  bool
	closed    bool
	stats     Stats

	// flights coalesces the fills of one key in this process. Across
	// processes two fills of one key may race; both write their own
	// temporary file and either rename wins, which is fine for immutable
	// objects.
	flights flight.Group[string, filled]
	wg      sync.WaitGroup
}

// Open returns the cache in dir, bounded by maxBytes; maxBytes 0 turns it
// off (every Get fills). dir is created mode 0700. A directory that cannot
// be written disables the cache with one warning rather than failing: the
// mount works without it. Open scans the directory in the background to
// learn its size and to remove temporary files left by a crashed mount.
func Open(dir string, maxBytes int64, log logrus.FieldLogger) (*Cache, error) {
	if log == nil {
		log = logrus.StandardLogger()
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("disk cache size %d: must be 0 (off) or more", maxBytes)
	}
	c := &Cache{root: filepath.Join(dir, layout), max: maxBytes, log: log.WithField("cache_dir", dir),
		touchAfter: touchAfter, staleAfter: staleAfter, fullPause: fullPause, dirMode: 0o700, fileMode: 0o600}
	c.host = hostname()
	c.idle = sync.NewCond(&c.mu)
	if maxBytes == 0 {
		c.disabled.Store(true)
		return c, nil
	}
	if dir == "" {
		return nil, errors.New("disk cache: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		c.disable("create the cache directory", err)
		return c, nil
	}
	// Subdirectories and files follow the top directory's permissions, so
	// that an administrator can share one cache with a group.
	if fi, err := os.Stat(dir); err == nil {
		c.dirMode = fi.Mode().Perm() | 0o700
		c.fileMode = c.dirMode.Perm() & 0o666
	}
	if err := os.MkdirAll(c.root, c.dirMode); err != nil {
		c.disable("create the cache directory", err)
		return c, nil
	}
	probe, err := os.CreateTemp(c.root, ".probe-*")
	if err != nil {
		c.disable("write in the cache directory", err)
		return c, nil
	}
	probe.Close()
	os.Remove(probe.Name())
	c.kick()
	return c, nil
}

// Enabled reports whether entries are kept on disk.
func (c *Cache) Enabled() bool { return c != nil && !c.disabled.Load() }

// Stats returns what the cache did so far.
func (c *Cache) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Bytes = c.scanned + c.sinceScan
	return s
}

// Close waits for background scans; Gets after Close still work.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// Key helpers.

// RenderKey is the key of a rendered image file: the server, the image, a
// hash of its rendering settings (so that changed settings are never
// served stale) and the file's pixel size.
func RenderKey(server string, imageID int64, settings string, w, h int) string {
	sum := sha256.Sum256([]byte(settings))
	return fmt.Sprintf("render|%s|%d|%s|%dx%d", server, imageID, hex.EncodeToString(sum[:16]), w, h)
}

// path is where key's entry lives: <root>/<2 hex>/<64 hex>.
func (c *Cache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(c.root, name[:2], name)
}

// filled is what one fill left: a path on disk or the bytes in memory.
type filled struct {
	path string
	mem  []byte
}

// Get returns key's object, size bytes long (size < 0: any length), from
// disk when a good entry is there, else from one fill that is stored on
// the way. The caller closes the Entry. When the disk cannot take the
// object (off, read-only, full, larger than the bound) it is served from
// memory: for objects too large for that, use Peek and Put.
func (c *Cache) Get(ctx context.Context, key string, size int64, fill Fill) (*Entry, error) {
	return c.get(ctx, key, size, fill, false)
}

// Peek returns key's entry when a good one is on disk, without filling
// it; the caller closes it.
func (c *Cache) Peek(key string, size int64) (*Entry, bool) {
	if !c.Enabled() {
		return nil, false
	}
	e, ok := c.lookup(key, size, false)
	if ok {
		c.count(func(s *Stats) { s.Hits++ })
	}
	return e, ok
}

// ErrNotStored is Put's answer when the cache cannot take an object (off,
// read-only, full, or the object larger than the bound).
var ErrNotStored = errors.New("not stored in the disk cache")

// Put stores key's object from fill when it is not there yet, and never
// holds it in memory: for an object the caller has elsewhere already (a
// finished download) and may be too large for memory.
func (c *Cache) Put(ctx context.Context, key string, size int64, fill Fill) error {
	if !c.Enabled() {
		return ErrNotStored
	}
	if e, ok := c.lookup(key, size, false); ok {
		return e.Close()
	}
	_, err := c.flights.Do(ctx, key, func(ctx context.Context) (filled, error) {
		c.count(func(s *Stats) { s.Fills++ })
		r, err := c.fill(ctx, key, size, fill, true)
		if err != nil {
			c.count(func(s *Stats) { s.FillErrors++ })
		}
		return r, err
	}, nil)
	return err
}

// Bytes is Get for small objects (rendered PNGs): the whole object in
// memory, read and checked in one pass.
func (c *Cache) Bytes(ctx context.Context, key string, size int64, fill Fill) ([]byte, error) {
	e, err := c.get(ctx, key, size, fill, true)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return e.Bytes()
}

func (c *Cache) get(ctx context.Context, key string, size int64, fill Fill, inMemory bool) (*Entry, error) {
	if c == nil {
		c = &Cache{}
		c.disabled.Store(true)
	}
	// A file that vanishes between its rename and our open (evicted by
	// another mount in that instant) costs another round.
	for range 3 {
		if c.Enabled() {
			if e, ok := c.lookup(key, size, inMemory); ok {
				c.count(func(s *Stats) { s.Hits++ })
				return e, nil
			}
		}
		c.count(func(s *Stats) { s.Misses++ })
		r, err := c.flights.Do(ctx, key, func(ctx context.Context) (filled, error) {
			c.count(func(s *Stats) { s.Fills++ })
			r, err := c.fill(ctx, key, size, fill, false)
			if err != nil {
				c.count(func(s *Stats) { s.FillErrors++ })
			}
			return r, err
		}, nil)
		if err != nil {
			return nil, err
		}
		if r.path == "" {
			return &Entry{mem: r.mem, size: int64(len(r.mem))}, nil
		}
		f, err := os.Open(r.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open cache entry: %w", err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("stat cache entry: %w", err)
		}
		// Just written and renamed by this process: its checksum was made
		// from the bytes written, so it is not read back here.
		e := &Entry{f: f, size: fi.Size() - int64(trailerLen)}
		if inMemory {
			b, err := e.Bytes()
			f.Close()
			if err != nil {
				return nil, err
			}
			return &Entry{mem: b, size: int64(len(b))}, nil
		}
		return e, nil
	}
	return nil, fmt.Errorf("cache entry %q: evicted as soon as written, three times", key)
}

// lookup opens and checks key's entry. A bad entry is deleted.
func (c *Cache) lookup(key string, size int64, inMemory bool) (*Entry, bool) {
	p := c.path(key)
	f, err := os.Open(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.log.WithError(err).Debug("disk cache: open entry")
		}
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false
	}
	n, b, err := verify(f, fi.Size(), size, inMemory)
	if err != nil {
		f.Close()
		c.count(func(s *Stats) { s.Corrupt++ })
		c.log.WithError(err).WithField("entry", p).Warn("disk cache: bad entry removed; filling it again")
		// Remove only the file we checked, not a good one another mount
		// renamed into its place meanwhile.
		if cur, err := os.Stat(p); err == nil && os.SameFile(cur, fi) {
			os.Remove(p)
		}
		return nil, false
	}
	if time.Since(fi.ModTime()) > c.touchAfter {
		now := time.Now()
		if err := os.Chtimes(p, now, now); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.log.WithError(err).Debug("disk cache: touch entry")
		}
	}
	if inMemory {
		f.Close()
		return &Entry{mem: b, size: n}, true
	}
	return &Entry{f: f, size: n}, true
}

func (c *Cache) count(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// disable turns the cache off after a directory it cannot write, once.
func (c *Cache) disable(what string, err error) {
	c.disabled.Store(true)
	if c.roWarned.CompareAndSwap(false, true) {
		c.log.WithError(err).Warnf("disk cache off: cannot %s; images are served without it", what)
	}
}

// isFull reports a full disk or quota.
func isFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}

// isReadOnly reports a directory this process may not write.
func isReadOnly(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	b := []byte(h)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			b[i] = '-'
		}
	}
	return string(b)
}
