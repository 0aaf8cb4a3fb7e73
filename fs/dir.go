package fs

import (
	"context"
	"fmt"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/wrappers"
)

// dir is a folder whose children come from OMERO: a top-level category or a
// container (project, dataset, screen, plate, well). It lists lazily, on the
// first Readdir or Lookup, and trusts the listing for --metadata-ttl.
type dir struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	what string // for errors and logs: "projects", "dataset 12"

	mu   sync.Mutex      // guards obj and list, which a newer listing may replace
	obj  wrappers.Object // nil for a top-level category
	list func(ctx context.Context) ([]wrappers.Object, error)

	ra readAhead // of its image files (readahead.go)
	la readAhead // of its folders' listings
}

var (
	_ gofs.NodeGetattrer   = (*dir)(nil)
	_ gofs.NodeReaddirer   = (*dir)(nil)
	_ gofs.NodeLookuper    = (*dir)(nil)
	_ gofs.NodeGetxattrer  = (*dir)(nil)
	_ gofs.NodeListxattrer = (*dir)(nil)
)

// Getattr describes the folder; it never calls the server.
func (d *dir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

// Readdir lists every child (all pages), named by names.go.
func (d *dir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	l, errno := d.listing(ctx)
	if errno != 0 {
		return nil, errno
	}
	d.root.folderThumbnails(d.Path(nil), l)
	d.root.visited(&d.Inode, true)
	entries := make([]fuse.DirEntry, len(l.names))
	for i, name := range l.names {
		obj := l.objs[i]
		if _, ok := obj.(wrappers.ImageObject); ok {
			entries[i] = fuse.DirEntry{Name: name, Mode: syscall.S_IFREG, Ino: imageIno(obj.ID())}
		} else {
			entries[i] = fuse.DirEntry{Name: name, Mode: syscall.S_IFDIR, Ino: dirIno(d.ino, obj.Type(), obj.ID())}
		}
	}
	return gofs.NewListDirStream(entries), 0
}

// Lookup finds a child by its name in the (cached) listing.
func (d *dir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if len(name) > maxNameBytes {
		return nil, syscall.ENAMETOOLONG
	}
	l, errno := d.listing(ctx)
	if errno != 0 {
		return nil, errno
	}
	obj, ok := l.object(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	return d.root.newChild(ctx, &d.Inode, d.ino, name, obj, out)
}

// listing returns the cached listing, fetching it when missing or stale.
func (d *dir) listing(ctx context.Context) (*listing, syscall.Errno) {
	d.mu.Lock()
	list := d.list
	d.mu.Unlock()
	return d.root.listing(ctx, d.ino, d.what, list)
}

// listing returns the cached listing under key, fetching it with list when
// missing or stale. The data view asks with the rendered folder's key, so
// the two views of a folder share one listing.
func (r *Root) listing(ctx context.Context, key uint64, what string, list func(context.Context) ([]wrappers.Object, error)) (*listing, syscall.Errno) {
	l, err := r.listings.Get(ctx, key, r.fetchListing(what, list))
	if err != nil {
		return nil, r.fail(err, "list %s", what)
	}
	return l, 0
}

// fetchListing is the fill of a folder's listing (also of one listed ahead).
func (r *Root) fetchListing(what string, list func(ctx context.Context) ([]wrappers.Object, error)) func(ctx context.Context) (*listing, error) {
	return func(ctx context.Context) (*listing, error) {
		done := progress(r.log, "listing "+what)
		objs, err := list(ctx)
		done(err)
		if err != nil {
			return nil, err
		}
		return newListing(objs), nil
	}
}

// newChild makes (or finds) the inode of obj, named name under the folder
// parent. go-fuse's NewInode always makes a new node, and a lookup that
// returns one for an inode number go-fuse already holds is answered with the
// node it holds, dropping the new one (rawBridge.addNewNode). So the node the
// kernel already has under this name is updated in place with what the newer
// listing says (an image whose size changed on the server), rather than a
// new node made that go-fuse would discard.
func (r *Root) newChild(ctx context.Context, parent *gofs.Inode, parentIno uint64, name string, obj wrappers.Object, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	switch o := obj.(type) {
	case wrappers.ImageObject:
		ino := imageIno(o.ID())
		var f *imageFile
		fresh := false
		if ch := knownChild(parent, name, ino); ch != nil {
			existing, ok := ch.Operations().(*imageFile)
			if !ok {
				return nil, r.fail(fmt.Errorf("inode %d is a %T, not an image file", ino, ch.Operations()), "look up %s", describe(o))
			}
			f = existing
		} else if f = r.held.get(o.ID()); f == nil {
			made := newImageFile(r, o)
			parent.NewInode(ctx, made, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: ino})
			f = r.held.put(o.ID(), made)
			fresh = f == made
		}
		if !fresh && !partial(o) {
			f.update(o)
		}
		r.trackPartial(o, f) // tags.go
		f.fillAttr(&out.Attr)
		return &f.Inode, 0
	case wrappers.Container:
		ino := dirIno(parentIno, o.Type(), o.ID())
		if ch := knownChild(parent, name, ino); ch != nil {
			if existing, ok := ch.Operations().(*dir); ok {
				existing.refresh(o)
				r.fillDirAttr(ino, &out.Attr)
				return ch, 0
			}
		}
		d := &dir{root: r, ino: ino, obj: o, what: describe(o), list: o.ListChildren}
		ch := parent.NewInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
		r.fillDirAttr(ino, &out.Attr)
		return ch, 0
	default:
		r.log.Warnf("%s is neither an image nor a container: not shown", describe(obj))
		return nil, syscall.ENOENT
	}
}

// knownChild is the node go-fuse holds under name in parent, if it is the
// object numbered ino. A node the kernel forgot is no longer a child. An
// image renamed on the server, or already held under another folder, is
// found in Root.held instead (heldimages.go).
func knownChild(parent *gofs.Inode, name string, ino uint64) *gofs.Inode {
	ch := parent.GetChild(name)
	if ch == nil || ch.StableAttr().Ino != ino {
		return nil
	}
	return ch
}

// refresh points an existing folder node at a newer copy of its object.
func (d *dir) refresh(o wrappers.Container) {
	d.mu.Lock()
	d.obj, d.list = o, o.ListChildren
	d.mu.Unlock()
}
