package fs

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/omerofs/omerofs/cache/disk"
)

// diskSpool puts the disk cache (--cache-dir) in front of the download
// spool for files that never change, the originals: a file that this or
// another mount sharing the directory downloaded before is read from the
// cache, and a download the spool finishes is copied into it for the next
// mounts. The spool still does the downloading, so a reader is answered as
// soon as its bytes arrive. Attachments, which may be replaced, stay in the
// spool only. Keys name the server, and a mount asks only for files of
// images its session listed.
type diskSpool struct {
	*spool
	dc *disk.Cache
	ns string // the server, as for rendered images

	ctx    context.Context // of the copies into the cache; ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	open   map[string]*disk.Entry // cache entries being read, by spool key
	copied map[string]bool        // copies started
}

var _ fileSpool = (*diskSpool)(nil)

// newFileSpool is the data view's spool: the disk cache in front of the
// download spool when the cache is on.
func (r *Root) newFileSpool() fileSpool {
	s := newSpool(r.opts.SpoolDir, r.log)
	if !r.opts.DiskCache.Enabled() {
		return s
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &diskSpool{spool: s, dc: r.opts.DiskCache, ns: r.opts.CacheNamespace, ctx: ctx, cancel: cancel,
		open: map[string]*disk.Entry{}, copied: map[string]bool{}}
}

// immutable reports whether the spool key names a file that never changes.
func immutable(key string) bool {
	return strings.HasPrefix(key, "original-") || strings.HasPrefix(key, "plane-") // raw planes: data_planes_spool.go
}

func (d *diskSpool) diskKey(key string) string { return "spool|" + d.ns + "|" + key }

func (d *diskSpool) readAt(ctx context.Context, key string, size int64, open opener, dest []byte, off int64) (int, error) {
	if !immutable(key) {
		return d.spool.readAt(ctx, key, size, open, dest, off)
	}
	if e := d.cached(key, size); e != nil {
		return e.ReadAt(dest, off)
	}
	n, err := d.spool.readAt(ctx, key, size, open, dest, off)
	if err == nil {
		d.keep(key, size)
	}
	return n, err
}

// cached returns the cache's entry of key, opened once for all readers.
func (d *diskSpool) cached(key string, size int64) *disk.Entry {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.open[key]; e != nil {
		return e
	}
	e, ok := d.dc.Peek(d.diskKey(key), size)
	if !ok {
		return nil
	}
	d.open[key] = e
	return e
}

// keep copies key's download into the cache once it has finished, once.
func (d *diskSpool) keep(key string, size int64) {
	d.mu.Lock()
	if d.copied[key] {
		d.mu.Unlock()
		return
	}
	d.spool.mu.Lock()
	se := d.spool.entries[key]
	d.spool.mu.Unlock()
	if se == nil {
		d.mu.Unlock()
		return
	}
	d.copied[key] = true
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.wg.Done()
		for {
			se.mu.Lock()
			finished, failed, changed, f := se.finished, se.err != nil, se.changed, se.f
			se.mu.Unlock()
			if failed {
				return
			}
			if finished {
				d.store(key, size, f)
				return
			}
			select {
			case <-changed:
			case <-d.ctx.Done():
				return
			}
		}
	}()
}

// store copies a finished spool file into the cache.
func (d *diskSpool) store(key string, size int64, f io.ReaderAt) {
	err := d.dc.Put(d.ctx, d.diskKey(key), size, func(ctx context.Context, w io.Writer) error {
		// The spool may evict the file meanwhile: the copy then fails and
		// nothing is stored.
		_, err := io.Copy(w, io.NewSectionReader(f, 0, size))
		return err
	})
	if err != nil {
		d.log.WithError(err).Debugf("keep %s in the disk cache", key)
	}
}

// abandon closes the cache entry of a file nobody has open any more, and
// lets the spool stop its download.
func (d *diskSpool) abandon(key string) {
	d.mu.Lock()
	if e := d.open[key]; e != nil {
		e.Close()
		delete(d.open, key)
	}
	d.mu.Unlock()
	d.spool.abandon(key)
}

// Close stops the copies, closes the entries and removes the spool.
func (d *diskSpool) Close() error {
	d.cancel()
	d.wg.Wait()
	d.mu.Lock()
	for k, e := range d.open {
		e.Close()
		delete(d.open, k)
	}
	d.mu.Unlock()
	return d.spool.Close()
}
