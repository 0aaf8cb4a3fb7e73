package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The kernel reads our folders with READDIRPLUS, and go-fuse answers each
// entry of it with a Lookup: a node per file for every folder listed, held
// until the kernel forgets the inode (under memory pressure only). A find
// over a million images made a million nodes, about half the mount's
// memory, for attributes find never asked for. So a folder's handle answers
// READDIRPLUS's lookups of image files with no node (the kernel then keeps
// the plain entry, fuse_direntplus_link: a zero nodeid is not ENOENT); a
// program that does stat them (ls -l, du) looks each one up, from the
// listing held, and only those get nodes. Subfolders are few: they are
// still looked up with the listing.

// dirHandle is an open folder of OMERO objects.
type dirHandle struct {
	d    *dir
	ds   gofs.DirStream // made at the first read, as go-fuse's own handle does
	last fuse.DirEntry  // the entry READDIRPLUS's Lookup is about
}

var (
	_ gofs.NodeOpendirHandler = (*dir)(nil)
	_ gofs.FileReaddirenter   = (*dirHandle)(nil)
	_ gofs.FileSeekdirer      = (*dirHandle)(nil)
	_ gofs.FileReleasedirer   = (*dirHandle)(nil)
	_ gofs.FileLookuper       = (*dirHandle)(nil)
)

// OpendirHandle opens the folder; its listing is read at the first read.
func (d *dir) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{d: d}, 0, 0
}

func (h *dirHandle) stream(ctx context.Context) syscall.Errno {
	if h.ds != nil {
		return 0
	}
	ds, errno := h.d.Readdir(ctx)
	if errno != 0 {
		return errno
	}
	h.ds = ds
	return 0
}

// Readdirent gives the next entry.
func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if errno := h.stream(ctx); errno != 0 {
		return nil, errno
	}
	if !h.ds.HasNext() {
		return nil, 0
	}
	e, errno := h.ds.Next()
	h.last = e
	return &e, errno
}

// Seekdir moves to the entry at off (a rewinddir, or a read resumed).
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	if errno := h.stream(ctx); errno != 0 {
		return errno
	}
	if sd, ok := h.ds.(gofs.FileSeekdirer); ok {
		return sd.Seekdir(ctx, off)
	}
	return syscall.ENOTSUP
}

// Releasedir closes the stream.
func (h *dirHandle) Releasedir(ctx context.Context, releaseFlags uint32) {
	if h.ds != nil {
		h.ds.Close()
	}
}

// readdirplusNodes is how many image nodes the mount may hold before
// READDIRPLUS stops making them: below it, `ls -l` of a folder of 10,000
// images finds every file's node made by the listing (one LOOKUP each
// spared, about 28 µs a file); above it, a walk over a million images adds
// no node that nobody stats. 50,000 nodes are about 25 MB.
const readdirplusNodes = 50_000

// Lookup is READDIRPLUS's lookup of the entry just read: the folder's own
// Lookup for a subfolder, and for an image file while the mount holds fewer
// than readdirplusNodes image nodes; past that, none (the errno only tells
// go-fuse to send the entry without a node).
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if name == h.last.Name && h.last.Mode&syscall.S_IFMT == syscall.S_IFREG && int64(h.d.root.held.count()) >= h.d.root.readdirplusNodes.Load() {
		return nil, syscall.ENOENT
	}
	return h.d.Lookup(ctx, name, out)
}
