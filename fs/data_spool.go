package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
)

// The spool keeps downloaded files (originals, attachments) on local disk,
// because the server streams them only from the start (no Range). One
// download per file fills it, however many readers wait; a reader is
// answered as soon as the bytes it asks for have arrived, so a sequential
// reader streams while a seeking one waits only for the part it needs. A
// download that fails leaves nothing behind: the next read starts afresh.
//
// It sits behind fileSpool so that a shared disk cache can replace it.
type fileSpool interface {
	readAt(ctx context.Context, key string, size int64, open opener, dest []byte, off int64) (int, error)
	// abandon stops the download of key if it is not finished: its last
	// open file was closed (head -c, a file manager's peek), so nobody
	// waits for the rest.
	abandon(key string)
	Close() error
}

// opener starts a download: the body and its announced length.
type opener func(ctx context.Context) (io.ReadCloser, int64, error)

// errRefusedStart marks a download the server failed before its first
// byte with a server error: what a refusal by its policy looks like.
var errRefusedStart = errors.New("the download failed before its first byte")

// defaultSpoolBytes bounds the spool: finished files beyond it are removed,
// least recently read first.
const defaultSpoolBytes = 4 << 30

type spool struct {
	log  logrus.FieldLogger
	base string // where to make the spool's folder; "" = the system's temp dir
	max  int64

	mu      sync.Mutex
	dir     string // made on first use, mode 0700
	entries map[string]*spoolEntry
	done    int64 // bytes of finished entries
}

type spoolEntry struct {
	key  string
	path string
	size int64

	mu       sync.Mutex
	f        *os.File
	have     int64
	err      error
	finished bool
	readers  int
	waiting  int // readers waiting for bytes: progress wakes them
	lastRead time.Time
	changed  chan struct{} // closed and replaced on progress that someone waits for
	cancel   context.CancelFunc

	// The newest bytes are also kept in memory, so that a reader that
	// keeps up with the download (cp, a sequential read) is served from
	// there and not from the spool file it was just written to: bytes
	// [curOff, have) are in cur, not yet in the file; [prevOff, curOff)
	// in prev and in the file; below prevOff in the file only. Both are
	// read-only once replaced, so a reader copies from them unlocked.
	cur, prev       []byte
	curOff, prevOff int64
}

// spoolChunk is how many bytes the download gathers in memory before it
// writes them to the spool file (in one write).
const spoolChunk = 256 << 10

var _ fileSpool = (*spool)(nil)

func newSpool(base string, log logrus.FieldLogger) *spool {
	return &spool{log: log, base: base, max: defaultSpoolBytes, entries: map[string]*spoolEntry{}}
}

// readAt reads len(dest) bytes at off of the file key (of size bytes),
// starting its download if none runs.
func (s *spool) readAt(ctx context.Context, key string, size int64, open opener, dest []byte, off int64) (int, error) {
	e, err := s.entry(key, size, open)
	if err != nil {
		return 0, err
	}
	defer func() {
		e.mu.Lock()
		e.readers--
		e.mu.Unlock()
	}()
	want := min(off+int64(len(dest)), size)
	n := 0
	for {
		e.mu.Lock()
		if e.err != nil {
			err := e.err
			e.mu.Unlock()
			return n, err
		}
		pos := off + int64(n)
		if e.have >= want && pos >= e.prevOff {
			// In memory: copied under the lock, as the download reuses
			// the chunks.
			for pos < want {
				var k int
				if pos >= e.curOff {
					k = copy(dest[n:want-off], e.cur[pos-e.curOff:])
				} else {
					k = copy(dest[n:want-off], e.prev[pos-e.prevOff:])
				}
				if k == 0 { // never: the chunks cover [prevOff, have)
					e.mu.Unlock()
					return n, fmt.Errorf("spool %s: no bytes at %d in memory", e.path, pos)
				}
				n += k
				pos = off + int64(n)
			}
			e.mu.Unlock()
			return n, nil
		}
		if e.have >= want || pos < e.prevOff {
			// The part below prevOff is in the file for good.
			f, end := e.f, min(want, e.prevOff)
			e.mu.Unlock()
			k, err := f.ReadAt(dest[n:end-off], pos)
			n += k
			if int64(k) < end-pos {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return n, fmt.Errorf("spool %s: %w", f.Name(), err)
			}
			if off+int64(n) == want {
				return n, nil
			}
			continue
		}
		e.waiting++
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		e.mu.Lock()
		e.waiting--
		e.mu.Unlock()
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// progress publishes the download's state and wakes the readers waiting
// for it. The caller holds e.mu.
func (e *spoolEntry) progress() {
	if e.waiting > 0 {
		close(e.changed)
		e.changed = make(chan struct{})
	}
}

// entry returns the file's entry, starting its download when it has none.
func (s *spool) entry(key string, size int64, open opener) (*spoolEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil {
		e.mu.Lock()
		usable := e.err == nil && e.size == size
		if usable {
			e.readers++
			e.lastRead = time.Now()
		} else if e.finished && e.readers == 0 {
			// An attachment replaced by one of another size: drop the old bytes.
			e.f.Close()
			os.Remove(e.path)
			s.done -= e.size
		}
		e.mu.Unlock()
		if usable {
			return e, nil
		}
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.base, "omerofs-spool-") // 0700
		if err != nil {
			return nil, fmt.Errorf("make the download spool: %w", err)
		}
		s.dir = dir
	}
	f, err := os.CreateTemp(s.dir, "file-")
	if err != nil {
		return nil, fmt.Errorf("make a spool file: %w", err)
	}
	// The file's blocks at once: on ext4 this halves the cost of the
	// writes that follow, and a file the disk cannot hold fails here,
	// before any download. (A file system without fallocate is fine.)
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, size); errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("make a spool file of %d bytes in %s: %w", size, s.dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &spoolEntry{key: key, path: f.Name(), size: size, f: f, readers: 1, lastRead: time.Now(), changed: make(chan struct{}), cancel: cancel}
	s.entries[key] = e
	go s.fill(ctx, e, open)
	return e, nil
}

func (s *spool) abandon(key string) {
	s.mu.Lock()
	e := s.entries[key]
	s.mu.Unlock()
	if e == nil {
		return
	}
	e.mu.Lock()
	if !e.finished && e.err == nil {
		e.cancel() // the fill fails with context.Canceled and removes its file
	}
	e.mu.Unlock()
}

// fill downloads the file into its entry. It runs apart from any reader
// (they may come and go) and ends at the end of the file or at the
// server's silence (the gateway's timeout), or when abandoned.
func (s *spool) fill(ctx context.Context, e *spoolEntry, open opener) {
	defer e.cancel()
	err := s.download(ctx, e, open)
	if err != nil && !errors.Is(err, errRefusedStart) && !errors.Is(err, gateway.ErrForbidden) && !errors.Is(err, context.Canceled) {
		// One line for the failure, however many readers share it
		// (refusals get theirs from the file, which can name it).
		s.log.WithError(err).Errorf("download %s", e.key)
		err = logged(err)
	}
	e.mu.Lock()
	if err != nil {
		e.err = err
	} else {
		e.finished = true
	}
	e.cur, e.prev = nil, nil // all in the file now (or nowhere)
	e.curOff, e.prevOff = e.have, e.have
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// Never keep a partial file: readers that hold it see the error.
		if s.entries[e.key] == e {
			delete(s.entries, e.key)
		}
		e.f.Close()
		os.Remove(e.path)
		return
	}
	s.done += e.size
	s.evict()
}

func (s *spool) download(ctx context.Context, e *spoolEntry, open opener) error {
	body, length, err := open(ctx)
	if err != nil {
		if errors.Is(err, gateway.ErrServer) {
			return fmt.Errorf("%w: %w", errRefusedStart, err)
		}
		return err
	}
	defer body.Close()
	if length >= 0 && length != e.size {
		return fmt.Errorf("the server sends %d bytes where it listed %d: %w", length, e.size, gateway.ErrBadResponse)
	}
	// Bytes gather in a chunk in memory (readers are served from it as
	// they arrive) and go to the file a chunk at a time; two chunks take
	// turns, so the one written last stays readable in memory.
	var start int64 // where the chunk begins
	size := min(spoolChunk, e.size+1)
	chunk, other := make([]byte, size), make([]byte, size)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		if _, err := e.f.WriteAt(chunk[:n], start); err != nil {
			return fmt.Errorf("spool %s: %w", e.path, err)
		}
		e.mu.Lock()
		e.prev, e.prevOff = chunk[:n], start
		start += int64(n)
		e.cur, e.curOff = other[:0], start
		e.mu.Unlock()
		chunk, other = other, chunk
		n = 0
		return nil
	}
	for {
		k, rerr := body.Read(chunk[n:])
		if k > 0 {
			if start+int64(n+k) > e.size {
				return fmt.Errorf("the server sends more than the %d bytes it listed: %w", e.size, gateway.ErrBadResponse)
			}
			n += k
			e.mu.Lock()
			e.cur, e.curOff = chunk[:n], start
			e.have = start + int64(n)
			e.progress()
			e.mu.Unlock()
			if n == len(chunk) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return rerr
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if start != e.size {
		return fmt.Errorf("the download ended after %d of %d bytes: %w", start, e.size, gateway.ErrBadResponse)
	}
	return nil
}

// evict removes finished files nobody reads, least recently read first,
// until the spool is within its bound. The caller holds s.mu.
func (s *spool) evict() {
	if s.done <= s.max {
		return
	}
	var idle []*spoolEntry
	for _, e := range s.entries {
		e.mu.Lock()
		if e.finished && e.readers == 0 {
			idle = append(idle, e)
		}
		e.mu.Unlock()
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].lastRead.Before(idle[j].lastRead) })
	for _, e := range idle {
		if s.done <= s.max {
			return
		}
		delete(s.entries, e.key)
		e.f.Close()
		os.Remove(e.path)
		s.done -= e.size
	}
}

// Close removes the spool and everything in it.
func (s *spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		e.cancel() // downloads still running stop
		e.f.Close()
	}
	s.entries = map[string]*spoolEntry{}
	if s.dir == "" {
		return nil
	}
	err := os.RemoveAll(s.dir)
	s.dir = ""
	return err
}
