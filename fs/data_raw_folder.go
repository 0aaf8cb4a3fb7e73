package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/wrappers"
)

// The raw entries of an image folder: planes/ and image.ome.zarr/, shown
// only where a raw route reaches the image.

func (f *imageFolder) rawEntries(img wrappers.ImageObject) []fuse.DirEntry {
	if _, ok := f.root.rawImage(img); !ok {
		return nil
	}
	return []fuse.DirEntry{
		{Name: "planes", Mode: syscall.S_IFDIR, Ino: dirIno(f.ino, "planes", 0)},
		{Name: "image.ome.zarr", Mode: syscall.S_IFDIR, Ino: dirIno(f.ino, "image.ome.zarr", 0)},
	}
}

func (f *imageFolder) lookupRaw(ctx context.Context, img wrappers.ImageObject, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if _, ok := f.root.rawImage(img); !ok {
		return nil, syscall.ENOENT
	}
	ino := dirIno(f.ino, name, 0)
	var node gofs.InodeEmbedder
	switch name {
	case "planes":
		node = &planesDir{root: f.root, ino: ino, what: describe(img), img: img}
	default:
		node = &zarrDir{root: f.root, ino: ino, what: describe(img), img: img}
	}
	ch := f.NewInode(ctx, node, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
	switch existing := ch.Operations().(type) {
	case *planesDir:
		existing.mu.Lock()
		existing.img = img
		existing.mu.Unlock()
	case *zarrDir:
		existing.mu.Lock()
		existing.img = img
		existing.mu.Unlock()
	}
	f.root.fillDirAttr(ino, &out.Attr)
	return ch, 0
}
