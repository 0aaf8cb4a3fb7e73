package fs

import (
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// What the file nodes of both views share.

// openCounted refuses writers and counts the file open until its Release
// (see Root.OpenFiles). keepCache lets the kernel keep the page cache
// across opens, for content that never changes in the mount's life.
// NOFLUSH always: there is nothing to flush on close, so spare the round
// trip.
func (r *Root) openCounted(flags uint32, keepCache bool) (gofs.FileHandle, uint32, syscall.Errno) {
	fh, fl, errno := openReadOnly(flags, keepCache)
	if errno == 0 {
		r.openFiles.Add(1)
	}
	return fh, fl, errno
}

// releaseCounted is the Release of a file opened with openCounted.
func (r *Root) releaseCounted() syscall.Errno {
	r.openFiles.Add(-1)
	return 0
}

// openReadOnly refuses writers and gives the open flags, without counting
// the file open: for files served whole from memory (metadata.json, the ROI
// files), which need no OMERO session while open.
func openReadOnly(flags uint32, keepCache bool) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&writeFlags != 0 {
		return nil, 0, syscall.EROFS
	}
	if keepCache {
		return nil, fuse.FOPEN_KEEP_CACHE | fuse.FOPEN_NOFLUSH, 0
	}
	return nil, fuse.FOPEN_NOFLUSH, 0
}

// readAt answers a read of len(dest) bytes at off (off >= 0) from content
// b held whole: short at the end, empty past it.
func readAt(b, dest []byte, off int64) fuse.ReadResult {
	if off >= int64(len(b)) {
		return fuse.ReadResultData(nil)
	}
	return fuse.ReadResultData(b[off:min(off+int64(len(dest)), int64(len(b)))])
}
