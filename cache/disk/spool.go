package disk

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"time"
)

// spool is the writer a fill writes to: a temporary file, hashed on the
// way. When the disk refuses a write (full, quota, I/O error) it takes back
// what reached the file and goes on in memory, so the fill's bytes are
// never lost to a disk problem.
type spool struct {
	f        *os.File
	h        hash.Hash
	n        int64
	mem      *bytes.Buffer
	werr     error // the disk error that sent the spool to memory
	diskOnly bool  // Put: a disk error ends the fill instead
}

func (s *spool) Write(p []byte) (int, error) {
	if s.mem == nil {
		n, err := s.f.Write(p)
		s.h.Write(p[:n])
		s.n += int64(n)
		if err == nil {
			return n, nil
		}
		if s.diskOnly {
			s.werr = err
			return n, fmt.Errorf("%w: %w", ErrNotStored, err)
		}
		if merr := s.toMemory(err); merr != nil {
			return n, merr
		}
		p = p[n:]
	}
	s.mem.Write(p)
	s.n += int64(len(p))
	return len(p), nil
}

// toMemory reads back the s.n bytes already written and continues in memory.
func (s *spool) toMemory(cause error) error {
	s.werr = cause
	b := make([]byte, s.n, max(s.n, 64<<10))
	if _, err := s.f.ReadAt(b, 0); err != nil && s.n > 0 {
		return fmt.Errorf("disk cache write failed (%v) and reading back its start failed: %w", cause, err)
	}
	s.mem = bytes.NewBuffer(b)
	return nil
}

// fill runs one fill and stores its result under key's path.
// With diskOnly (Put) nothing goes to memory: a fill the disk cannot take
// fails with ErrNotStored.
func (c *Cache) fill(ctx context.Context, key string, size int64, fill Fill, diskOnly bool) (filled, error) {
	memory := func() (filled, error) {
		if diskOnly {
			return filled{}, ErrNotStored
		}
		return c.fillMemory(ctx, size, fill)
	}
	// An object larger than the bound would only push everything else
	// out and then go itself.
	if !c.Enabled() || c.pausedFull() || size > c.max {
		return memory()
	}
	final := c.path(key)
	if err := os.MkdirAll(filepath.Dir(final), c.dirMode); err != nil {
		c.diskFailed(err)
		return memory()
	}
	tmp := tempName(final, c.host)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, c.fileMode)
	if err != nil {
		c.diskFailed(err)
		return memory()
	}
	discard := func() { f.Close(); os.Remove(tmp) }
	sp := &spool{f: f, h: sha256.New(), diskOnly: diskOnly}
	if err := fill(ctx, sp); err != nil {
		discard()
		if sp.werr != nil {
			c.diskFailed(sp.werr)
		}
		return filled{}, err
	}
	if size >= 0 && sp.n != size {
		discard()
		return filled{}, fmt.Errorf("fill of %q wrote %d bytes, want %d", key, sp.n, size)
	}
	if sp.mem == nil {
		if _, err := f.Write(trailer(sp.n, sp.h.Sum(nil))); err != nil {
			if diskOnly {
				discard()
				c.diskFailed(err)
				return filled{}, fmt.Errorf("%w: %w", ErrNotStored, err)
			}
			if err := sp.toMemory(err); err != nil {
				discard()
				return filled{}, err
			}
		}
	}
	if sp.mem != nil {
		discard()
		c.diskFailed(sp.werr)
		c.count(func(s *Stats) { s.MemoryFallbacks++ })
		return filled{mem: sp.mem.Bytes()}, nil
	}
	if err := os.Rename(tmp, final); err != nil {
		// Our temporary file was taken for a crashed mount's (or the
		// directory went): serve the bytes from the open file.
		c.log.WithError(err).Debug("disk cache: rename entry")
		defer discard()
		if diskOnly {
			return filled{}, fmt.Errorf("%w: %w", ErrNotStored, err)
		}
		b := make([]byte, sp.n)
		if _, err := f.ReadAt(b, 0); err != nil && sp.n > 0 {
			return filled{}, fmt.Errorf("read back %q after a failed rename: %w", key, err)
		}
		c.count(func(s *Stats) { s.MemoryFallbacks++ })
		return filled{mem: b}, nil
	}
	if err := f.Close(); err != nil {
		// A network filesystem reports a failed write only now: the entry
		// may be bad. Check it; serve and keep it only if good.
		g, oerr := os.Open(final)
		if oerr == nil {
			_, b, verr := verify(g, sp.n+int64(trailerLen), sp.n, !diskOnly)
			g.Close()
			if verr == nil {
				c.added(sp.n + int64(trailerLen))
				return filled{mem: b}, nil
			}
		}
		os.Remove(final)
		c.diskFailed(err)
		return filled{}, fmt.Errorf("write cache entry of %q: %w", key, err)
	}
	c.wrote()
	c.added(sp.n + int64(trailerLen))
	return filled{path: final}, nil
}

// fillMemory runs a fill without the disk.
func (c *Cache) fillMemory(ctx context.Context, size int64, fill Fill) (filled, error) {
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size))
	}
	if err := fill(ctx, &buf); err != nil {
		return filled{}, err
	}
	if size >= 0 && int64(buf.Len()) != size {
		return filled{}, fmt.Errorf("fill wrote %d bytes, want %d", buf.Len(), size)
	}
	return filled{mem: buf.Bytes()}, nil
}

// tempName is final's temporary name: it says which host and process
// write it, so that the next Open on this host can tell a crashed writer's
// file from a live one's.
func tempName(final, host string) string {
	var r [6]byte
	rand.Read(r[:])
	return fmt.Sprintf("%s.tmp_%s_%d_%s", final, host, os.Getpid(), hex.EncodeToString(r[:]))
}

// diskFailed handles a write the disk refused: a read-only directory turns
// the cache off; a full one (or another I/O error) sends fills to memory
// for a while and evicts. Each warns once, not once per read.
func (c *Cache) diskFailed(err error) {
	if isReadOnly(err) {
		c.disable("write in the cache directory", err)
		return
	}
	c.mu.Lock()
	c.fullUntil = time.Now().Add(c.fullPause)
	warn := !c.fullWarn
	c.fullWarn = true
	c.mu.Unlock()
	if warn {
		if isFull(err) {
			c.log.WithError(err).Warn("disk cache: the disk is full; images are served from memory until there is room again")
		} else {
			c.log.WithError(err).Warn("disk cache: cannot write; images are served from memory meanwhile")
		}
	}
	c.kick()
}

// wrote notes a stored entry, ending a full-disk episode.
func (c *Cache) wrote() {
	c.mu.Lock()
	was := c.fullWarn
	c.fullWarn = false
	c.mu.Unlock()
	if was {
		c.log.Info("disk cache: writing entries again")
	}
}

func (c *Cache) pausedFull() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Before(c.fullUntil)
}
