package fs

import (
	"context"
	"sync"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/wrappers"
)

// Reading ahead (docs/design.md): when a program reads a folder's files one
// after the other in listing order (cp -r, rsync, tar, an image-sequence
// import), the next --read-ahead images are rendered in the background, so
// that a copy runs at the server's parallel speed instead of one render at
// a time. The signal is the first read (offset 0) of a file that reaches
// us: two in a row in listing order start it; any other order stops it and
// cancels what it started. Its requests are gateway.Background ones: they
// queue behind every request a user waits for.

// readAhead is one folder's reading state.
type readAhead struct {
	mu     sync.Mutex
	list   *listing // the listing the positions refer to
	next   int      // position an in-order read would be at next; -1: none
	ahead  int      // last position scheduled
	ctx    context.Context
	cancel context.CancelFunc // of what was scheduled; nil when nothing runs
}

// readingFrom notes that f is read from its start and schedules renders
// ahead when its folder is read in order.
func (r *Root) readingFrom(f *imageFile) {
	n := r.opts.ReadAhead
	if n <= 0 {
		return
	}
	name, parent := f.Parent()
	if parent == nil {
		return
	}
	d, ok := parent.Operations().(*dir)
	if !ok {
		return
	}
	l, ok := r.listings.Peek(d.ino)
	if !ok {
		return
	}
	pos, ok := l.index[name]
	if !ok {
		return
	}
	i := int(pos)
	ra := &d.ra
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.list != l {
		ra.stop()
		ra.list, ra.next, ra.ahead = l, -1, -1
	}
	inOrder := i == ra.next
	ra.next = nextImage(l, i)
	if !inOrder {
		ra.stop()
		ra.ahead = i
		return
	}
	if ra.cancel == nil {
		ra.ctx, ra.cancel = context.WithCancel(gateway.Background(context.Background()))
	}
	for j, k := i+1, 0; j < len(l.objs) && k < n; j++ {
		img, ok := l.objs[j].(wrappers.ImageObject)
		if !ok {
			continue
		}
		k++
		if j <= ra.ahead {
			continue
		}
		ra.ahead = j
		r.prefetch(ra.ctx, img)
	}
}

// stop cancels what was scheduled.
func (ra *readAhead) stop() {
	if ra.cancel != nil {
		ra.cancel()
		ra.ctx, ra.cancel = nil, nil
	}
}

// nextImage is the position of the first image after i, or -1.
func nextImage(l *listing, i int) int {
	for j := i + 1; j < len(l.objs); j++ {
		if _, ok := l.objs[j].(wrappers.ImageObject); ok {
			return j
		}
	}
	return -1
}

// prefetch renders img into the image cache in the background, unless it
// is there already.
func (r *Root) prefetch(ctx context.Context, img wrappers.ImageObject) {
	px := img.Pixels()
	w, h := render.TargetSize(px.SizeX, px.SizeY, r.opts.MaxRenderSize)
	key := imageKey(img.ID(), w, h)
	if r.images.Contains(key) {
		return
	}
	r.stats.countReadAhead()
	go func() {
		if _, err := r.imagePNG(ctx, img, w, h, key); err != nil && ctx.Err() == nil {
			r.log.WithError(err).Debugf("read ahead %s", describe(img))
		}
	}()
}
