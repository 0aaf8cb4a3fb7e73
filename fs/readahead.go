package fs

import (
	"context"
	"sync"

	gofs "github.com/hanwen/go-fuse/v2/fs"

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
// cancels what it started. Folders get the same for their listings: when
// find, du or cp -r list a folder's subfolders one after the other, the
// next --read-ahead subfolders are listed in the background. The requests
// are gateway.Background ones: they queue behind every request a user
// waits for.

// readAhead is one folder's reading state, for its files or its folders.
type readAhead struct {
	mu     sync.Mutex
	list   *listing // the listing the positions refer to
	next   int      // position an in-order visit would be at next; -1: none
	ahead  int      // last position scheduled
	ctx    context.Context
	cancel context.CancelFunc // of what was scheduled; nil when nothing runs
}

// visited notes that node (an image file read from its start, or a folder
// listed) was visited, and schedules work ahead when its folder's entries
// of that kind are visited in order.
func (r *Root) visited(node *gofs.Inode, folder bool) {
	n := r.opts.ReadAhead
	if n <= 0 {
		return
	}
	name, parent := node.Parent()
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
	kind := isImage
	ra := &d.ra
	if folder {
		kind, ra = isFolder, &d.la
	}
	i := int(pos)
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.list != l {
		ra.stop()
		ra.list, ra.next, ra.ahead = l, -1, -1
	}
	inOrder := i == ra.next
	ra.next = nextOf(l, i, kind)
	if !inOrder {
		ra.stop()
		ra.ahead = i
		return
	}
	if ra.cancel == nil {
		ra.ctx, ra.cancel = context.WithCancel(gateway.Background(context.Background()))
	}
	for j, k := i+1, 0; j < len(l.objs) && k < n; j++ {
		if !kind(l.objs[j]) {
			continue
		}
		k++
		if j <= ra.ahead {
			continue
		}
		ra.ahead = j
		if folder {
			r.prefetchListing(ra.ctx, d, l.objs[j].(wrappers.Container))
		} else {
			r.prefetch(ra.ctx, l.objs[j].(wrappers.ImageObject))
		}
	}
}

func isImage(o wrappers.Object) bool { _, ok := o.(wrappers.ImageObject); return ok }

func isFolder(o wrappers.Object) bool {
	_, ok := o.(wrappers.Container)
	return ok && !isImage(o)
}

// stop cancels what was scheduled.
func (ra *readAhead) stop() {
	if ra.cancel != nil {
		ra.cancel()
		ra.ctx, ra.cancel = nil, nil
	}
}

// nextOf is the position of the first entry of a kind after i, or -1.
func nextOf(l *listing, i int, kind func(wrappers.Object) bool) int {
	for j := i + 1; j < len(l.objs); j++ {
		if kind(l.objs[j]) {
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

// prefetchListing lists the folder c of parent into the listing cache in
// the background, unless a listing of it is held already.
func (r *Root) prefetchListing(ctx context.Context, parent *dir, c wrappers.Container) {
	ino := dirIno(parent.ino, c.Type(), c.ID())
	if _, ok := r.listings.Peek(ino); ok {
		return
	}
	r.stats.countListingAhead()
	go func() {
		if _, err := r.listings.Get(ctx, ino, r.fetchListing(describe(c), c.ListChildren)); err != nil && ctx.Err() == nil {
			r.log.WithError(err).Debugf("list ahead %s", describe(c))
		}
	}()
}
