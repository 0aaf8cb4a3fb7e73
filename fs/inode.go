package fs

import (
	"encoding/binary"
	"hash/fnv"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Inode numbers. They must be stable for an object during the mount (tools
// such as find, du, rsync and tar key on them), so none is handed out
// sequentially.
//
//   - An image has one number wherever it appears (a dataset, orphaned/, a
//     well, images/): the same object, the same bytes, so the kernel may share
//     its page cache between the paths, as for hard links.
//   - A directory's number also depends on its parent, because a dataset can
//     be linked into several projects and the kernel does not allow one
//     directory inode under two names.
const (
	rootIno      = 1
	imageInoBase = uint64(1) << 62
	dirInoBase   = uint64(2) << 62
	inoMask      = imageInoBase - 1
)

// imageIno is the inode number of the image with this OMERO id.
func imageIno(id int64) uint64 { return imageInoBase | (uint64(id) & inoMask) }

// dirIno is the inode number of a directory for object (typ, id) under the
// directory numbered parent.
func dirIno(parent uint64, typ string, id int64) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], parent)
	binary.LittleEndian.PutUint64(b[8:], uint64(id))
	h.Write(b[:])
	h.Write([]byte(typ))
	return dirInoBase | (h.Sum64() & inoMask)
}

// fillDirAttr describes a directory: read-only, owned by the mounting user.
func (r *Root) fillDirAttr(ino uint64, out *fuse.Attr) {
	out.Ino = ino
	out.Mode = syscall.S_IFDIR | 0o555
	out.Nlink = 2
	out.Owner = fuse.Owner{Uid: r.opts.UID, Gid: r.opts.GID}
	setTimes(out, r.mountTime)
	out.Blksize = blockSize
}

// fillFileAttr describes an image file of size bytes.
func (r *Root) fillFileAttr(ino uint64, size int64, mtime time.Time, out *fuse.Attr) {
	out.Ino = ino
	out.Mode = syscall.S_IFREG | 0o444
	out.Nlink = 1
	out.Size = uint64(size)
	out.Blocks = (uint64(size) + 511) / 512
	out.Blksize = blockSize
	out.Owner = fuse.Owner{Uid: r.opts.UID, Gid: r.opts.GID}
	setTimes(out, mtime)
}

// blockSize is the I/O size we suggest to readers: large reads mean fewer
// round trips through the kernel.
const blockSize = 128 << 10

func setTimes(out *fuse.Attr, t time.Time) {
	sec, nsec := uint64(t.Unix()), uint32(t.Nanosecond())
	if t.Unix() < 0 {
		sec, nsec = 0, 0
	}
	out.Mtime, out.Mtimensec = sec, nsec
	out.Atime, out.Atimensec = sec, nsec
	out.Ctime, out.Ctimensec = sec, nsec
}
