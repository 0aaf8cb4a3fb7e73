package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// imagesDir is images/: any image by its id, as images/<id>.png. It is never
// listed (a server may hold millions of images); a name is looked up only
// when asked for, and a name that cannot be an id is refused without asking
// the server.
type imagesDir struct {
	gofs.Inode
	readOnly

	root *Root
}

var (
	_ gofs.NodeGetattrer = (*imagesDir)(nil)
	_ gofs.NodeReaddirer = (*imagesDir)(nil)
	_ gofs.NodeLookuper  = (*imagesDir)(nil)
)

func (d *imagesDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(imagesDirIno, &out.Attr)
	return 0
}

// Readdir is empty on purpose: see the type's comment.
func (d *imagesDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	return gofs.NewListDirStream(nil), 0
}

func (d *imagesDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	id, ok := ParseImageFileName(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	img, err := d.root.client.Image(ctx, id)
	if err != nil {
		return nil, d.root.fail(err, "look up image %d", id)
	}
	return d.root.newChild(ctx, &d.Inode, imagesDirIno, name, img, out)
}
