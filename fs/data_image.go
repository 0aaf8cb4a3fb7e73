package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/wrappers"
)

// An image's folder in the data view: image.png (the rendered view's very
// file), metadata.json, original/ and attachments/.

// metadataBuilder is what an image wrapper offers to make metadata.json
// (wrappers.Image does; a custom wrapper may not, and then has none).
type metadataBuilder interface {
	Metadata(ctx context.Context, anns *wrappers.Annotations) ([]byte, error)
}

type imageFolder struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	img  wrappers.ImageObject
	anns func(ctx context.Context) (*wrappers.Annotations, error)
}

var (
	_ gofs.NodeGetattrer   = (*imageFolder)(nil)
	_ gofs.NodeReaddirer   = (*imageFolder)(nil)
	_ gofs.NodeLookuper    = (*imageFolder)(nil)
	_ gofs.NodeGetxattrer  = (*imageFolder)(nil)
	_ gofs.NodeListxattrer = (*imageFolder)(nil)
)

// newImageFolder makes (or refreshes) the folder of img under parent.
func (r *Root) newImageFolder(ctx context.Context, parent *gofs.Inode, ino uint64, img wrappers.ImageObject,
	anns func(ctx context.Context) (*wrappers.Annotations, error), out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	f := &imageFolder{root: r, ino: ino, img: img, anns: anns}
	ch := parent.NewInode(ctx, f, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
	existing, ok := ch.Operations().(*imageFolder)
	if !ok {
		return nil, syscall.EIO
	}
	if existing != f {
		// Known already: take the newer listing's image. The children keep
		// their own copies until they are looked up again.
		existing.root.dataMu().Lock()
		existing.img, existing.anns = img, anns
		existing.root.dataMu().Unlock()
	}
	r.fillDirAttr(ino, &out.Attr)
	return ch, 0
}

func (f *imageFolder) state() (wrappers.ImageObject, func(context.Context) (*wrappers.Annotations, error)) {
	f.root.dataMu().Lock()
	defer f.root.dataMu().Unlock()
	return f.img, f.anns
}

func (f *imageFolder) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.root.fillDirAttr(f.ino, &out.Attr)
	return 0
}

func (f *imageFolder) Getxattr(ctx context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	img, _ := f.state()
	return f.root.getxattr(ctx, describe(img), objectXattrs(img), name, dest)
}

func (f *imageFolder) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	img, _ := f.state()
	return listxattr(objectXattrs(img), dest)
}

func (f *imageFolder) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	img, _ := f.state()
	entries := []fuse.DirEntry{{Name: "image.png", Mode: syscall.S_IFREG, Ino: imageIno(img.ID())}}
	if _, ok := img.(metadataBuilder); ok {
		entries = append(entries, fuse.DirEntry{Name: "metadata.json", Mode: syscall.S_IFREG, Ino: dataFileIno("metadata", img.ID())})
	}
	entries = append(entries,
		fuse.DirEntry{Name: "original", Mode: syscall.S_IFDIR, Ino: dirIno(f.ino, "original", 0)},
		fuse.DirEntry{Name: "attachments", Mode: syscall.S_IFDIR, Ino: dirIno(f.ino, "attachments", 0)})
	entries = append(entries, f.rawEntries(img)...) // data_raw_folder.go
	return gofs.NewListDirStream(entries), 0
}

func (f *imageFolder) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	img, anns := f.state()
	switch name {
	case "image.png":
		return f.root.newChild(ctx, &f.Inode, f.ino, name, img, out)
	case "metadata.json":
		b, ok := img.(metadataBuilder)
		if !ok {
			return nil, syscall.ENOENT
		}
		m := &metadataFile{root: f.root, id: img.ID(), build: b, anns: anns, what: describe(img)}
		ch := f.NewInode(ctx, m, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: dataFileIno("metadata", img.ID())})
		if existing, ok := ch.Operations().(*metadataFile); ok && existing != m {
			f.root.dataMu().Lock()
			existing.build, existing.anns = b, anns
			f.root.dataMu().Unlock()
			m = existing
		}
		// The exact size, so the bytes are built now (design.md: exact from
		// the first stat).
		if errno := m.fillAttr(ctx, &out.Attr); errno != 0 {
			return nil, errno
		}
		return ch, 0
	case "original":
		ino := dirIno(f.ino, "original", 0)
		d := &originalDir{root: f.root, ino: ino, imageID: img.ID(), what: describe(img)}
		ch := f.NewInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
		f.root.fillDirAttr(ino, &out.Attr)
		return ch, 0
	case "attachments":
		ino := dirIno(f.ino, "attachments", 0)
		d := &attachmentsDir{root: f.root, ino: ino, anns: anns, what: describe(img)}
		ch := f.NewInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
		if existing, ok := ch.Operations().(*attachmentsDir); ok && existing != d {
			f.root.dataMu().Lock()
			existing.anns = anns
			f.root.dataMu().Unlock()
		}
		f.root.fillDirAttr(ino, &out.Attr)
		return ch, 0
	case "planes", "image.ome.zarr":
		return f.lookupRaw(ctx, img, name, out) // data_raw_folder.go
	}
	return nil, syscall.ENOENT
}

// metadataFile is metadata.json: built from imgData, the single image and
// the folder's annotations, trusted for --metadata-ttl.
type metadataFile struct {
	gofs.Inode
	readOnly

	root  *Root
	id    int64
	what  string
	build metadataBuilder
	anns  func(ctx context.Context) (*wrappers.Annotations, error)
}

var (
	_ gofs.NodeGetattrer = (*metadataFile)(nil)
	_ gofs.NodeOpener    = (*metadataFile)(nil)
	_ gofs.NodeReader    = (*metadataFile)(nil)
)

func (m *metadataFile) content(ctx context.Context) ([]byte, error) {
	m.root.dataMu().Lock()
	build, anns := m.build, m.anns
	m.root.dataMu().Unlock()
	return m.root.data.meta.Get(ctx, m.id, func(ctx context.Context) ([]byte, error) {
		a, err := anns(ctx)
		if err != nil {
			return nil, err
		}
		return build.Metadata(ctx, a)
	})
}

func (m *metadataFile) fillAttr(ctx context.Context, out *fuse.Attr) syscall.Errno {
	b, err := m.content(ctx)
	if err != nil {
		return m.root.fail(err, "metadata.json of %s", m.what)
	}
	m.root.fillFileAttr(dataFileIno("metadata", m.id), int64(len(b)), m.root.mountTime, out)
	return 0
}

func (m *metadataFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	return m.fillAttr(ctx, &out.Attr)
}

// Open drops the page cache (no KEEP_CACHE): the content follows the TTL.
func (m *metadataFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openReadOnly(flags, false)
}

func (m *metadataFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	b, err := m.content(ctx)
	if err != nil {
		return nil, m.root.fail(err, "read metadata.json of %s", m.what)
	}
	return readAt(b, dest, off), 0
}
