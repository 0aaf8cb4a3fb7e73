package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/render/ijroi"
	"github.com/omerofs/omerofs/wrappers"
)

// An image's ROIs in the data view: ImageJ's RoiSet.zip and rois.json,
// which belong beside the planes (docs/design.md) and are offered here for
// the planes/ folder to add: hasRoiSet for its listing (RoiSet.zip only
// when the image has ROIs; rois.json always, "[]" when none), and
// lookupRoiSet and lookupROIFile for its lookups. Both files come from one
// ROI listing of the image, trusted for --metadata-ttl; their sizes are
// exact once it is in, so the first stat fetches it. They are not in the
// image's own folder: there a listing of 1,200 folders (ls -lR) would cost
// 1,200 ROI requests.

// roiSource is what an image wrapper offers for its ROIs (wrappers.Image
// does; a custom wrapper may not, and then has no ROI files).
type roiSource interface {
	ROIFiles(ctx context.Context) (roisJSON, roiSet []byte, shapes int, err error)
}

// roiFiles are both files of one image, built from one listing.
type roiFiles struct {
	json, set []byte
	shapes    int // in the set; 0: no RoiSet.zip
}

func newROICache(r *Root) *cache.TTL[int64, *roiFiles] {
	return cache.NewTTL[int64, *roiFiles](cache.TTLOptions{TTL: r.opts.MetadataTTL, Logger: r.log})
}

// roiFilesOf gets (or builds) an image's ROI files.
func (r *Root) roiFilesOf(ctx context.Context, img wrappers.ImageObject) (*roiFiles, error) {
	src, ok := img.(roiSource)
	if !ok {
		return &roiFiles{json: []byte("[]\n")}, nil
	}
	return r.rois.Get(ctx, img.ID(), func(ctx context.Context) (*roiFiles, error) {
		j, set, n, err := src.ROIFiles(ctx)
		if err != nil {
			return nil, err
		}
		return &roiFiles{json: j, set: set, shapes: n}, nil
	})
}

// hasRoiSet reports whether the image's folder of planes shows RoiSet.zip.
func (r *Root) hasRoiSet(ctx context.Context, img wrappers.ImageObject) (bool, error) {
	f, err := r.roiFilesOf(ctx, img)
	return err == nil && f.shapes > 0, err
}

// lookupRoiSet makes the RoiSet.zip node of img under parent; ENOENT when
// the image has no ROIs.
func (r *Root) lookupRoiSet(ctx context.Context, parent *gofs.Inode, img wrappers.ImageObject, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return r.lookupROIFile(ctx, parent, img, ijroi.SetName, out)
}

// roisJSONName is the name of the ROIs' JSON file.
const roisJSONName = "rois.json"

// lookupROIFile makes the node of rois.json or RoiSet.zip (name).
func (r *Root) lookupROIFile(ctx context.Context, parent *gofs.Inode, img wrappers.ImageObject, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	f := &roiFile{root: r, img: img, zip: name == ijroi.SetName, what: name + " of " + describe(img)}
	b, errno := f.content(ctx)
	if errno != 0 {
		return nil, errno
	}
	if f.zip && len(b) == 0 {
		return nil, syscall.ENOENT
	}
	ch := parent.NewInode(ctx, f, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: f.ino()})
	r.fillFileAttr(f.ino(), int64(len(b)), r.mountTime, &out.Attr)
	return ch, 0
}

// roiFile is rois.json or RoiSet.zip.
type roiFile struct {
	gofs.Inode
	readOnly

	root *Root
	img  wrappers.ImageObject
	zip  bool
	what string
}

var (
	_ gofs.NodeGetattrer = (*roiFile)(nil)
	_ gofs.NodeOpener    = (*roiFile)(nil)
	_ gofs.NodeReader    = (*roiFile)(nil)
)

func (f *roiFile) ino() uint64 {
	if f.zip {
		return dataFileIno("roiset", f.img.ID())
	}
	return dataFileIno("roisjson", f.img.ID())
}

// content is the file's bytes; a RoiSet.zip of an image without ROIs is
// empty (and not listed).
func (f *roiFile) content(ctx context.Context) ([]byte, syscall.Errno) {
	files, err := f.root.roiFilesOf(ctx, f.img)
	if err != nil {
		return nil, f.root.fail(err, "%s", f.what)
	}
	if !f.zip {
		return files.json, 0
	}
	if files.shapes == 0 {
		return nil, 0
	}
	return files.set, 0
}

func (f *roiFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	b, errno := f.content(ctx)
	if errno != 0 {
		return errno
	}
	f.root.fillFileAttr(f.ino(), int64(len(b)), f.root.mountTime, &out.Attr)
	return 0
}

// Open drops the page cache (no KEEP_CACHE): the content follows the TTL.
func (f *roiFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return openReadOnly(flags, false)
}

func (f *roiFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	b, errno := f.content(ctx)
	if errno != 0 {
		return nil, errno
	}
	return readAt(b, dest, off), 0
}
