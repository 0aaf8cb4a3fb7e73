package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/wrappers"
)

// imagesDir is a folder of any image by its id: images/ (<id>.png, the
// rendered PNG) and data/images/ (<id>, the image's data folder). It is
// never listed (a server may hold millions of images); a name is looked up
// only when asked for, and a name that cannot be an id is refused without
// asking the server.
type imagesDir struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	// png says its names end in ".png"; otherwise they are bare ids.
	png bool
	// child makes the node of img under parent, by the name looked up.
	child func(ctx context.Context, parent *gofs.Inode, name string, img wrappers.ImageObject, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno)
}

var (
	_ gofs.NodeGetattrer = (*imagesDir)(nil)
	_ gofs.NodeReaddirer = (*imagesDir)(nil)
	_ gofs.NodeLookuper  = (*imagesDir)(nil)
)

func (d *imagesDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

// Readdir is empty on purpose: see the type's comment.
func (d *imagesDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	return gofs.NewListDirStream(nil), 0
}

func (d *imagesDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if !d.png {
		name += ".png"
	}
	id, ok := ParseImageFileName(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	img, err := d.root.client.Image(ctx, id)
	if err != nil {
		return nil, d.root.fail(err, "look up image %d", id)
	}
	return d.child(ctx, &d.Inode, name, img, out)
}
