package fs

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/wrappers"
)

// imageFile is an image shown as a PNG. Its size is known from the listing
// (the rendered dimensions fix the PNG's length), so stat never renders; the
// bytes are rendered on the first read and then served from the cache.
type imageFile struct {
	gofs.Inode
	readOnly

	root *Root

	mu   sync.Mutex // guards the fields below, which a newer listing may replace
	img  wrappers.ImageObject
	w, h int
	key  string // of the rendering in the image cache, made once per update rather than per read
}

var (
	_ gofs.NodeGetattrer   = (*imageFile)(nil)
	_ gofs.NodeOpener      = (*imageFile)(nil)
	_ gofs.NodeReader      = (*imageFile)(nil)
	_ gofs.NodeGetxattrer  = (*imageFile)(nil)
	_ gofs.NodeListxattrer = (*imageFile)(nil)
	_ gofs.NodeReleaser    = (*imageFile)(nil)
)

func newImageFile(r *Root, img wrappers.ImageObject) *imageFile {
	f := &imageFile{root: r}
	f.update(img)
	return f
}

// update takes what a listing says of the image.
func (f *imageFile) update(img wrappers.ImageObject) {
	px := img.Pixels()
	w, h := render.TargetSize(px.SizeX, px.SizeY, f.root.opts.MaxRenderSize)
	key := imageKey(img.ID(), w, h)
	f.mu.Lock()
	f.img, f.w, f.h, f.key = img, w, h, key
	f.mu.Unlock()
}

// id is the image's OMERO id.
func (f *imageFile) id() int64 {
	img, _, _ := f.state()
	return img.ID()
}

// state returns the image and its rendered dimensions.
func (f *imageFile) state() (wrappers.ImageObject, int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.img, f.w, f.h
}

// fillAttr describes the file: its exact PNG length, without rendering.
func (f *imageFile) fillAttr(out *fuse.Attr) {
	img, w, h := f.state()
	mtime := img.AcquisitionDate()
	if mtime.IsZero() {
		mtime = f.root.mountTime
	}
	f.root.fillFileAttr(imageIno(img.ID()), render.PNGSize(w, h), mtime, out)
}

// Getattr never calls the server.
func (f *imageFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.fillAttr(&out.Attr)
	return 0
}

// Open refuses writers and lets the kernel keep the page cache across opens:
// an image's rendering is stable for the mount.
func (f *imageFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return f.root.openCounted(flags, true)
}

// Release counts the file closed (see Root.OpenFiles).
func (f *imageFile) Release(ctx context.Context, fh gofs.FileHandle) syscall.Errno {
	return f.root.releaseCounted()
}

// Read serves any offset and length from the rendered bytes.
func (f *imageFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	if off == 0 {
		f.root.visited(&f.Inode, false)
	}
	data, err := f.content(ctx)
	if err != nil {
		errno := f.root.fail(err, "read image %d", f.id())
		if errno == syscall.EAGAIN {
			// Some readers retry EAGAIN at once (Go's runtime polls FUSE
			// files, and they always poll ready): pause so that a pending
			// pyramid costs a retry a second, not a spinning core.
			pauseBeforeRetry(ctx)
		}
		return nil, errno
	}
	return readAt(data, dest, off), 0
}

// content returns the PNG, rendering it at most once however many readers
// ask at the same time.
func (f *imageFile) content(ctx context.Context) ([]byte, error) {
	f.mu.Lock()
	img, w, h, key := f.img, f.w, f.h, f.key
	f.mu.Unlock()
	return f.root.imagePNG(ctx, img, w, h, key)
}

// imageKey is the image cache's key of img's PNG at w×h.
func imageKey(id int64, w, h int) string { return fmt.Sprintf("image/%d/%dx%d", id, w, h) }

// imagePNG returns img's PNG at w×h from the image cache, filling it from
// the disk cache or a render (diskcache.go).
func (r *Root) imagePNG(ctx context.Context, img wrappers.ImageObject, w, h int, key string) ([]byte, error) {
	return r.images.Get(ctx, key, func(ctx context.Context) ([]byte, error) {
		done := progress(r.log, "rendering "+describe(img))
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, r.opts.RenderTimeout)
		data, err := r.renderCached(rctx, r.renderer(img), w, h)
		cancel()
		done(err)
		if err == nil {
			took := time.Since(start)
			r.stats.observeRender(took)
			r.log.WithField("image", img.ID()).WithField("took", took).Debug("rendered")
		}
		if err != nil && ctx.Err() == nil {
			// Logged here, once per render, not once per read sharing it.
			r.log.WithError(err).Errorf("render %s", describe(img))
			err = logged(err)
		}
		return data, err
	})
}
