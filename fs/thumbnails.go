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

// thumbnailer makes thumbnails in the background, a few at a time, so that
// explicit reads are never starved.
type thumbnailer struct {
	dir        string // the "normal" folder of the cache
	mountpoint string // absolute
	root       *Root
	work       chan thumbJob
	once       sync.Once
	pending    sync.Map // path → struct{}: queued or being made
}

type thumbJob struct {
	path  string // of the file, relative to the mount
	img   wrappers.ImageObject
	mtime time.Time
}

// thumbnailWorkers bounds the thumbnail requests in flight.
const thumbnailWorkers = 2

func newThumbnailer(r *Root) *thumbnailer {
	if r.opts.ThumbnailDir == "" || r.opts.Mountpoint == "" {
		return nil
	}
	return &thumbnailer{dir: filepath.Join(r.opts.ThumbnailDir, "normal"), mountpoint: r.opts.Mountpoint, root: r, work: make(chan thumbJob, 4096)}
}

// start launches the workers once.
func (t *thumbnailer) start() {
	t.once.Do(func() {
		os.MkdirAll(t.dir, 0o700)
		for i := 0; i < thumbnailWorkers; i++ {
			go func() {
				for j := range t.work {
					if err := t.make(j); err != nil {
						t.root.log.WithError(err).Debugf("thumbnail of %s", j.path)
					}
					t.pending.Delete(j.path)
				}
			}()
		}
	})
}

// folder queues the thumbnails of a listed folder's images.
func (t *thumbnailer) folder(dirPath string, l *listing) {
	if t == nil {
		return
	}
	t.start()
	for _, name := range l.names {
		img, ok := l.byName[name].(wrappers.ImageObject)
		if !ok {
			continue
		}
		p := filepath.Join(dirPath, name)
		if _, busy := t.pending.LoadOrStore(p, struct{}{}); busy {
			continue
		}
		mtime := img.AcquisitionDate()
		if mtime.IsZero() {
			mtime = t.root.mountTime
		}
		select {
		case t.work <- thumbJob{path: p, img: img, mtime: mtime}:
		default:
			t.pending.Delete(p) // the queue is full: a later listing will ask again
		}
	}
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

type thumbnailSource interface {
	Thumbnail(ctx context.Context, size int) ([]byte, error)
}

// make writes one thumbnail, unless an up-to-date one is there.
func (t *thumbnailer) make(j thumbJob) error {
	abs := filepath.Join(t.mountpoint, j.path)
	uri := thumbnailURI(abs)
	sum := md5.Sum([]byte(uri))
	dst := filepath.Join(t.dir, hex.EncodeToString(sum[:])+".png")
	mtime := strconv.FormatInt(j.mtime.Unix(), 10)
	if old, err := os.ReadFile(dst); err == nil && bytes.Contains(old, []byte("Thumb::MTime\x00"+mtime)) {
		return nil
	}
	src, ok := j.img.(thumbnailSource)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.root.opts.RenderTimeout)
	defer cancel()
	data, err := src.Thumbnail(ctx, thumbnailSize)
	if err != nil {
		return err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
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
