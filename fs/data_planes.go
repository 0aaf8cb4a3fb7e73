package fs

import (
	"context"
	"fmt"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/render/ijroi"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/wrappers"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// planes/ of an image folder (design.md): one uncompressed TIFF per raw
// plane, t<T>_z<Z>_c<C>.tif, in the image's own pixel type, and the
// image's ROIs (rois.json, RoiSet.zip when it has any; data_rois.go). Names and
// sizes come from the listing's dimensions; the pixels are read, a band of
// rows at a time, when a file is read, at any offset.

// planesDir is planes/.
type planesDir struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	what string

	mu  sync.Mutex // guards img, which a newer listing replaces
	img wrappers.ImageObject
}

var (
	_ gofs.NodeGetattrer = (*planesDir)(nil)
	_ gofs.NodeReaddirer = (*planesDir)(nil)
	_ gofs.NodeLookuper  = (*planesDir)(nil)
)

// planeIno numbers a plane file by its image and (z, c, t).
func planeIno(id int64, z, c, t int) uint64 {
	return dataFileIno(fmt.Sprintf("plane/%d/%d/%d", z, c, t), id)
}

func (d *planesDir) image() wrappers.ImageObject {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.img
}

func (d *planesDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

// Readdir lists the planes with C running fastest, then Z, then T: the
// order of their names, and of Fiji's Image Sequence import.
func (d *planesDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	img := d.image()
	im, ok := d.root.rawImage(img)
	if !ok {
		return gofs.NewListDirStream(nil), 0
	}
	entries := make([]fuse.DirEntry, 0, im.SizeT*im.SizeZ*im.SizeC)
	for t := 0; t < im.SizeT; t++ {
		for z := 0; z < im.SizeZ; z++ {
			for c := 0; c < im.SizeC; c++ {
				entries = append(entries, fuse.DirEntry{Name: raw.PlaneName(im, z, c, t), Mode: syscall.S_IFREG, Ino: planeIno(im.ID, z, c, t)})
			}
		}
	}
	// The image's ROIs beside its planes (data_rois.go): a failed ROI
	// listing costs RoiSet.zip, not the planes.
	entries = append(entries, fuse.DirEntry{Name: roisJSONName, Mode: syscall.S_IFREG, Ino: dataFileIno("roisjson", im.ID)})
	if ok, err := d.root.hasRoiSet(ctx, img); err != nil {
		d.root.log.WithError(err).Warnf("list the ROIs of %s: planes/ shows no %s", d.what, ijroi.SetName)
	} else if ok {
		entries = append(entries, fuse.DirEntry{Name: ijroi.SetName, Mode: syscall.S_IFREG, Ino: dataFileIno("roiset", im.ID)})
	}
	return gofs.NewListDirStream(entries), 0
}

func (d *planesDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	img := d.image()
	im, ok := d.root.rawImage(img)
	if !ok {
		return nil, syscall.ENOENT
	}
	switch name {
	case ijroi.SetName:
		return d.root.lookupRoiSet(ctx, &d.Inode, img, out)
	case roisJSONName:
		return d.root.lookupROIFile(ctx, &d.Inode, img, name, out)
	}
	z, c, t, ok := raw.ParsePlaneName(im, name)
	if !ok {
		return nil, syscall.ENOENT
	}
	size, err := tiff.PlaneSize(im.SizeX, im.SizeY, im.Type)
	if err != nil {
		return nil, d.root.fail(err, "plane %s of %s", name, d.what)
	}
	f := &planeFile{root: d.root, ino: planeIno(im.ID, z, c, t), z: z, c: c, t: t, size: size, img: img,
		what: "plane " + name + " of " + d.what}
	ch := d.NewInode(ctx, f, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: f.ino})
	if existing, ok := ch.Operations().(*planeFile); ok && existing != f {
		existing.mu.Lock()
		existing.img, existing.size, existing.src = img, size, nil // a newer listing: lay out again
		existing.mu.Unlock()
	}
	d.root.fillFileAttr(f.ino, size, d.root.mountTime, &out.Attr)
	return ch, 0
}

// planeFile is one plane's TIFF.
type planeFile struct {
	gofs.Inode
	readOnly

	root    *Root
	ino     uint64
	z, c, t int
	what    string

	mu   sync.Mutex
	img  wrappers.ImageObject
	size int64
	src  *planeSource // made on first read
}

var (
	_ gofs.NodeGetattrer = (*planeFile)(nil)
	_ gofs.NodeOpener    = (*planeFile)(nil)
	_ gofs.NodeReader    = (*planeFile)(nil)
	_ gofs.NodeReleaser  = (*planeFile)(nil)
)

func (f *planeFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	size := f.size
	f.mu.Unlock()
	f.root.fillFileAttr(f.ino, size, f.root.mountTime, &out.Attr)
	return 0
}

// Open lets the kernel keep the page cache: raw planes never change.
func (f *planeFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return f.root.openCounted(flags, true)
}

func (f *planeFile) Release(ctx context.Context, fh gofs.FileHandle) syscall.Errno {
	return f.root.releaseCounted()
}

// source is the plane's layout and reader, made on first read with the
// listing's pixel size.
func (f *planeFile) source() (*planeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.src != nil {
		return f.src, nil
	}
	im, ok := f.root.rawImage(f.img)
	if !ok {
		return nil, fmt.Errorf("image %d: %w", f.img.ID(), raw.ErrNoRoute)
	}
	src, err := f.root.newPlaneSource(f.img, im, f.z, f.c, f.t)
	if err != nil {
		return nil, err
	}
	if src.prep.Size() != f.size {
		return nil, fmt.Errorf("plane file of %d bytes, listed as %d", src.prep.Size(), f.size)
	}
	f.src = src
	return src, nil
}

// Read serves any offset: the header from the layout, the pixels from
// the spooled file or the rows that range covers (data_planes_spool.go).
func (f *planeFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	src, err := f.source()
	if err != nil {
		return nil, f.root.fail(err, "read %s", f.what)
	}
	n, err := src.readAt(ctx, dest, off)
	if err != nil {
		return nil, f.root.fail(err, "read %s", f.what)
	}
	return fuse.ReadResultData(dest[:n]), 0
}
