// Package thumbnails writes OMERO's thumbnails of a mount's images into the
// freedesktop thumbnail cache, so that file managers need no full renders.
//
// A file manager draws a folder of images by reading every file whole to
// make its thumbnails; on an omerofs mount that would be one full render per
// image. Instead, when a folder is listed, a Writer fetches OMERO's own
// thumbnails (webgateway get_thumbnails, a batch of images a request) and
// stores them as the Thumbnail Managing Standard lays them out:
// $XDG_CACHE_HOME/thumbnails/normal/<md5 of the file's URI>.png, a PNG of at
// most 128 pixels with the text chunks Thumb::URI and Thumb::MTime. A file
// manager that finds a thumbnail whose MTime matches the file's uses it
// without reading the file.
//
// The package knows nothing of FUSE: it is given paths, image ids and
// modification times, and a Source of JPEG thumbnails.
package thumbnails

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render"
)

// Size is the longest side asked of get_thumbnails: the one OMERO's
// thumbnail service keeps (any other size costs the server a render per
// image, docs/omero-web.md), within the standard's "normal" (at most 128).
const Size = 96

// Source gives OMERO's thumbnails of at most gateway.MaxThumbnailBatch
// images in one request, as JPEG bytes by image id (missing ids: none).
// *wrappers.Client is one.
type Source interface {
	Thumbnails(ctx context.Context, imageIDs []int64, size int) (map[int64][]byte, error)
}

// Image is one file of a listed folder.
type Image struct {
	Path  string // of the file, relative to the mountpoint
	ID    int64  // of the OMERO image
	MTime time.Time
}

// Options configure a Writer.
type Options struct {
	CacheDir   string // the thumbnail cache, $XDG_CACHE_HOME/thumbnails
	Mountpoint string // absolute path of the mount, for the files' URIs
	Source     Source
	// Timeout bounds one batch request; default 2 minutes.
	Timeout time.Duration
	// Wait is how long Folder waits for the thumbnails before it lets the
	// rest go on in the background; default 5 seconds (see Folder).
	Wait   time.Duration
	Logger logrus.FieldLogger
}

// Writer writes thumbnails for listed folders, in batches of
// gateway.MaxThumbnailBatch images a request, at most batchesInFlight
// batches at a time, so that explicit reads are never starved. Its
// background work ends with the context it was made with, or with Close.
type Writer struct {
	dir  string // the "normal" folder of the cache
	opts Options

	ctx     context.Context
	cancel  context.CancelFunc
	batches chan struct{} // a slot per batch in flight
	pending sync.Map      // path → struct{}: queued or being made

	mu     sync.Mutex // guards closed and the Add of wg
	closed bool
	wg     sync.WaitGroup
}

// batchesInFlight bounds the thumbnail requests in flight.
const batchesInFlight = 2

// New makes a Writer whose work stops when ctx ends (the mount's life) or
// Close is called; it creates the cache's "normal" folder.
func New(ctx context.Context, opts Options) (*Writer, error) {
	if opts.CacheDir == "" || !filepath.IsAbs(opts.Mountpoint) || opts.Source == nil {
		return nil, errors.New("thumbnails: need a cache folder, an absolute mountpoint and a source")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Wait <= 0 {
		opts.Wait = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	dir := filepath.Join(opts.CacheDir, "normal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("thumbnails: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Writer{dir: dir, opts: opts, ctx: ctx, cancel: cancel, batches: make(chan struct{}, batchesInFlight)}, nil
}

// Close stops the background work and waits for it to end. Later Folder
// calls do nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
	return nil
}

// Folder writes the missing or stale thumbnails of a listed folder's
// images. A file manager looks for them right after the listing and makes
// its own from the full files when they are not there yet, so Folder waits
// for them up to Options.Wait; what is not done by then goes on in the
// background.
func (w *Writer) Folder(images []Image) {
	var jobs []Image
	for _, im := range images {
		if w.fresh(im) {
			continue
		}
		if _, busy := w.pending.LoadOrStore(im.Path, struct{}{}); busy {
			continue
		}
		jobs = append(jobs, im)
	}
	if len(jobs) == 0 {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		for _, j := range jobs {
			w.pending.Delete(j.Path)
		}
		return
	}
	w.wg.Add(1)
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer w.wg.Done()
		defer close(done)
		w.run(jobs)
	}()
	t := time.NewTimer(w.opts.Wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-w.ctx.Done():
	}
}

// run fetches and writes jobs batch by batch, batchesInFlight at a time.
func (w *Writer) run(jobs []Image) {
	var wg sync.WaitGroup
	for start := 0; start < len(jobs); start += gateway.MaxThumbnailBatch {
		batch := jobs[start:min(start+gateway.MaxThumbnailBatch, len(jobs))]
		select {
		case w.batches <- struct{}{}:
		case <-w.ctx.Done():
			for _, j := range jobs[start:] {
				w.pending.Delete(j.Path)
			}
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-w.batches; wg.Done() }()
			if err := w.batch(batch); err != nil && w.ctx.Err() == nil {
				w.opts.Logger.WithError(err).Debugf("thumbnails of %s", filepath.Dir(batch[0].Path))
			}
			for _, j := range batch {
				w.pending.Delete(j.Path)
			}
		}()
	}
	wg.Wait()
}

// batch fetches and writes the thumbnails of up to
// gateway.MaxThumbnailBatch images.
func (w *Writer) batch(jobs []Image) error {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	ctx, cancel := context.WithTimeout(w.ctx, w.opts.Timeout)
	defer cancel()
	thumbs, err := w.opts.Source.Thumbnails(ctx, ids, Size)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		data, ok := thumbs[j.ID]
		if !ok {
			continue
		}
		if err := w.write(j, data); err != nil {
			return fmt.Errorf("%s: %w", j.Path, err)
		}
	}
	return nil
}

// URI is the file's URI as GLib writes it (g_filename_to_uri): bytes other
// than letters, digits and !$&'()*+,-./:=@_~ are %-escaped.
func URI(abs string) string {
	var b strings.Builder
	b.WriteString("file://")
	for i := 0; i < len(abs); i++ {
		c := abs[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!$&'()*+,-./:=@_~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Path is where the standard puts the thumbnail of the file at abs, in
// the thumbnail cache cacheDir.
func Path(cacheDir, abs string) string {
	sum := md5.Sum([]byte(URI(abs)))
	return filepath.Join(cacheDir, "normal", hex.EncodeToString(sum[:])+".png")
}

// target is where an image's thumbnail goes, and its URI and MTime.
func (w *Writer) target(im Image) (dst, uri, mtime string) {
	uri = URI(filepath.Join(w.opts.Mountpoint, im.Path))
	sum := md5.Sum([]byte(uri))
	return filepath.Join(w.dir, hex.EncodeToString(sum[:])+".png"), uri, strconv.FormatInt(im.MTime.Unix(), 10)
}

// fresh reports whether an up-to-date thumbnail is there already.
func (w *Writer) fresh(im Image) bool {
	dst, _, mtime := w.target(im)
	old, err := os.ReadFile(dst)
	return err == nil && bytes.Contains(old, []byte("Thumb::MTime\x00"+mtime))
}

// write stores one thumbnail made from OMERO's JPEG.
func (w *Writer) write(im Image, jpg []byte) error {
	dst, uri, mtime := w.target(im)
	img, err := decodeJPEG(jpg)
	if err != nil {
		return err
	}
	out, err := render.PNGWithText(img, map[string]string{"Thumb::URI": uri, "Thumb::MTime": mtime, "Software": "omerofs"})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(w.dir, ".omerofs-*.png")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), dst) // atomic: a reader never sees half a thumbnail
}

// decodeJPEG decodes a server's JPEG thumbnail, never panicking on bad data.
func decodeJPEG(data []byte) (img *render.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("thumbnail JPEG: decoder failed: %v", p)
		}
	}()
	dec, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("thumbnail JPEG: %w", err)
	}
	return render.FromImage(dec), nil
}
