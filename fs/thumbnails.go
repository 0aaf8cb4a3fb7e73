package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omerofs/omerofs/wrappers"
)

// Thumbnails for file managers. A file manager draws a folder of images by
// reading every file whole to make its thumbnails; on our mount that would
// be one full render per image. Instead, when a folder is listed, omerofs
// writes OMERO's own thumbnails (render_thumbnail) into the freedesktop
// thumbnail cache, as the Thumbnail Managing Standard lays it out:
// $XDG_CACHE_HOME/thumbnails/normal/<md5 of the file's URI>.png, a PNG of at
// most 128 pixels with the text chunks Thumb::URI and Thumb::MTime. A file
// manager that finds a thumbnail whose MTime matches the file's uses it
// without reading the file.

// thumbnailSize is the "normal" size of the standard.
const thumbnailSize = 128

// thumbnailer writes thumbnails for listed folders: in batches of 50
// images a request (get_thumbnails), two batches at a time across the
// mount, so that explicit reads are never starved.
type thumbnailer struct {
	dir        string // the "normal" folder of the cache
	mountpoint string // absolute
	root       *Root
	batches    chan struct{} // a slot per batch in flight
	pending    sync.Map      // path → struct{}: queued or being made
}

type thumbJob struct {
	path  string // of the file, relative to the mount
	img   wrappers.ImageObject
	mtime time.Time
}

// thumbnailBatches bounds the thumbnail requests in flight.
const thumbnailBatches = 2

// thumbnailWait is how long the first listing of a folder waits for its
// thumbnails: a file manager looks for them right after the listing, and
// makes its own from the full files when they are not there yet. What is
// not done by then goes on in the background.
const thumbnailWait = 5 * time.Second

func newThumbnailer(r *Root) *thumbnailer {
	if r.opts.ThumbnailDir == "" || r.opts.Mountpoint == "" {
		return nil
	}
	dir := filepath.Join(r.opts.ThumbnailDir, "normal")
	os.MkdirAll(dir, 0o700)
	return &thumbnailer{dir: dir, mountpoint: r.opts.Mountpoint, root: r, batches: make(chan struct{}, thumbnailBatches)}
}

// folder writes the missing or stale thumbnails of a listed folder's
// images, waiting up to thumbnailWait for them.
func (t *thumbnailer) folder(dirPath string, l *listing) {
	var jobs []thumbJob
	for i, name := range l.names {
		img, ok := l.objs[i].(wrappers.ImageObject)
		if !ok {
			continue
		}
		mtime := img.AcquisitionDate()
		if mtime.IsZero() {
			mtime = t.root.mountTime
		}
		j := thumbJob{path: filepath.Join(dirPath, name), img: img, mtime: mtime}
		if t.fresh(j) {
			continue
		}
		if _, busy := t.pending.LoadOrStore(j.path, struct{}{}); busy {
			continue
		}
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for start := 0; start < len(jobs); start += maxThumbnailBatch {
			batch := jobs[start:min(start+maxThumbnailBatch, len(jobs))]
			t.batches <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-t.batches; wg.Done() }()
				if err := t.batch(batch); err != nil {
					t.root.log.WithError(err).Debugf("thumbnails of %s", dirPath)
				}
				for _, j := range batch {
					t.pending.Delete(j.path)
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(thumbnailWait):
	}
}

// maxThumbnailBatch is webgateway's limit of ids per get_thumbnails call.
const maxThumbnailBatch = 50

// batch fetches and writes the thumbnails of up to 50 images.
func (t *thumbnailer) batch(jobs []thumbJob) error {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.img.ID()
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.root.opts.RenderTimeout)
	defer cancel()
	thumbs, err := t.root.client.Thumbnails(ctx, ids, thumbnailSize)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		data, ok := thumbs[j.img.ID()]
		if !ok {
			continue
		}
		if err := t.write(j, data); err != nil {
			return fmt.Errorf("%s: %w", j.path, err)
		}
	}
	return nil
}

// thumbnailURI is the file's URI as GLib writes it (g_filename_to_uri):
// bytes other than letters, digits and !$&'()*+,-./:=@_~ are %-escaped.
func thumbnailURI(abs string) string {
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

// ThumbnailPath is where the standard puts the thumbnail of the file at abs.
func ThumbnailPath(cacheDir, abs string) string {
	sum := md5.Sum([]byte(thumbnailURI(abs)))
	return filepath.Join(cacheDir, "normal", hex.EncodeToString(sum[:])+".png")
}

// target is where a job's thumbnail goes, and its URI and MTime.
func (t *thumbnailer) target(j thumbJob) (dst, uri, mtime string) {
	uri = thumbnailURI(filepath.Join(t.mountpoint, j.path))
	sum := md5.Sum([]byte(uri))
	return filepath.Join(t.dir, hex.EncodeToString(sum[:])+".png"), uri, strconv.FormatInt(j.mtime.Unix(), 10)
}

// fresh reports whether an up-to-date thumbnail is there already.
func (t *thumbnailer) fresh(j thumbJob) bool {
	dst, _, mtime := t.target(j)
	old, err := os.ReadFile(dst)
	return err == nil && bytes.Contains(old, []byte("Thumb::MTime\x00"+mtime))
}

// write stores one thumbnail made from OMERO's JPEG.
func (t *thumbnailer) write(j thumbJob, jpg []byte) error {
	dst, uri, mtime := t.target(j)
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		return fmt.Errorf("thumbnail JPEG: %w", err)
	}
	out, err := thumbnailPNG(img, map[string]string{"Thumb::URI": uri, "Thumb::MTime": mtime, "Software": "omerofs"})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(t.dir, ".omerofs-*.png")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), dst) // atomic: a reader never sees half a thumbnail
}

// thumbnailPNG encodes img as PNG with tEXt chunks after the header
// (image/png writes none).
func thumbnailPNG(img image.Image, text map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	const ihdrEnd = 8 + 25 // signature + IHDR chunk
	out := append([]byte(nil), b[:ihdrEnd]...)
	keys := make([]string, 0, len(text))
	for k := range text {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		data := append(append([]byte(k), 0), text[k]...)
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
		copy(hdr[4:], "tEXt")
		out = append(out, hdr[:]...)
		out = append(out, data...)
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:])
		crc.Write(data)
		out = binary.BigEndian.AppendUint32(out, crc.Sum32())
	}
	return append(out, b[ihdrEnd:]...), nil
}
