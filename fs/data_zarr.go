package fs

import (
	"context"
	"errors"
	"path"
	"strconv"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/render/ngff"
	"github.com/omerofs/omerofs/wrappers"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// image.ome.zarr/ of an image folder (design.md): the image as OME-NGFF
// 0.4 (Zarr v2), laid out by render/ngff: every level the route reads,
// uncompressed chunks of exact sizes, big-endian values. Chunks are built
// from the raw reader's regions when read and kept in the image cache, so
// the 128 KiB reads of one chunk cost one fetch.

// zarrImage describes the folder: dimensions from the listing, levels and
// rendering settings from imgData.
func (r *Root) zarrImage(ctx context.Context, img wrappers.ImageObject) (*ngff.Image, error) {
	im, ok := r.rawImage(img)
	if !ok {
		return nil, raw.ErrNoRoute
	}
	info, err := r.imageInfo(ctx, img)
	if err != nil {
		return nil, err
	}
	p := img.Pixels()
	z := &ngff.Image{ID: im.ID, Name: img.Name(), SizeX: im.SizeX, SizeY: im.SizeY, SizeZ: im.SizeZ, SizeC: im.SizeC, SizeT: im.SizeT,
		Type: im.Type, PhysicalSizeX: micrometres(p.PhysicalSizeX), PhysicalSizeY: micrometres(p.PhysicalSizeY),
		PhysicalSizeZ: micrometres(p.PhysicalSizeZ), DefaultZ: info.Settings.Z, DefaultT: info.Settings.T, Model: info.Settings.Model}
	if r.raw.routes.Choose(im) == raw.PixelBuffer && info.Tiled && len(info.Resolutions) > 0 {
		// Only the pixel-buffer service reads the levels below full size,
		// and only imgData's resolutions (OMERO.web 5.31+) give their exact
		// sizes: zoomLevelScaling's may be a pixel off.
		for _, s := range render.LevelSizes(info) {
			z.Levels = append(z.Levels, ngff.Level{SizeX: s.Width, SizeY: s.Height})
		}
		if len(z.Levels) > 0 && (z.Levels[0].SizeX != im.SizeX || z.Levels[0].SizeY != im.SizeY) {
			z.Levels = nil // imgData disagrees with the listing: the full size only
		}
	}
	for _, ch := range info.Settings.Channels {
		z.Channels = append(z.Channels, ngff.Channel{Label: ch.Label, Color: ch.Color.Hex(), Active: ch.Active, Inverted: ch.Inverted,
			Family: ch.Family, Coefficient: ch.Coefficient, Min: ch.Min, Max: ch.Max, Start: ch.Start, End: ch.End})
	}
	if err := z.Check(); err != nil {
		return nil, err
	}
	return z, nil
}

// zarrDir is image.ome.zarr/ or a folder below it.
type zarrDir struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	path string // inside image.ome.zarr ("" for itself)
	what string

	mu  sync.Mutex
	img wrappers.ImageObject
}

var (
	_ gofs.NodeGetattrer = (*zarrDir)(nil)
	_ gofs.NodeReaddirer = (*zarrDir)(nil)
	_ gofs.NodeLookuper  = (*zarrDir)(nil)
)

func (d *zarrDir) image() wrappers.ImageObject {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.img
}

func (d *zarrDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

func zarrFileIno(id int64, p string) uint64 { return dataFileIno("zarr/"+p, id) }

func (d *zarrDir) entries(ctx context.Context) (*ngff.Image, []ngff.Entry, syscall.Errno) {
	z, err := d.root.zarrImage(ctx, d.image())
	if err != nil {
		return nil, nil, d.root.fail(err, "lay out image.ome.zarr of %s", d.what)
	}
	ents, err := z.List(d.path)
	if errors.Is(err, ngff.ErrNotExist) {
		return nil, nil, syscall.ENOENT // the image changed: this folder is gone
	}
	if err != nil {
		return nil, nil, d.root.fail(err, "list image.ome.zarr/%s of %s", d.path, d.what)
	}
	return z, ents, 0
}

func (d *zarrDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	z, ents, errno := d.entries(ctx)
	if errno != 0 {
		return nil, errno
	}
	out := make([]fuse.DirEntry, len(ents))
	for i, e := range ents {
		if e.Dir {
			out[i] = fuse.DirEntry{Name: e.Name, Mode: syscall.S_IFDIR, Ino: dirIno(d.ino, "zarr:"+e.Name, 0)}
		} else {
			out[i] = fuse.DirEntry{Name: e.Name, Mode: syscall.S_IFREG, Ino: zarrFileIno(z.ID, path.Join(d.path, e.Name))}
		}
	}
	return gofs.NewListDirStream(out), 0
}

func (d *zarrDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	z, ents, errno := d.entries(ctx)
	if errno != 0 {
		return nil, errno
	}
	img := d.image()
	for _, e := range ents {
		if e.Name != name {
			continue
		}
		p := path.Join(d.path, name)
		if e.Dir {
			ino := dirIno(d.ino, "zarr:"+name, 0)
			sub := &zarrDir{root: d.root, ino: ino, path: p, what: d.what, img: img}
			ch := d.NewInode(ctx, sub, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
			if existing, ok := ch.Operations().(*zarrDir); ok && existing != sub {
				existing.mu.Lock()
				existing.img = img
				existing.mu.Unlock()
			}
			d.root.fillDirAttr(ino, &out.Attr)
			return ch, 0
		}
		f := &zarrFile{root: d.root, ino: zarrFileIno(z.ID, p), path: p, what: "image.ome.zarr/" + p + " of " + d.what, chunk: e.Chunk != nil}
		f.set(img, e.Size)
		ch := d.NewInode(ctx, f, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: f.ino})
		if existing, ok := ch.Operations().(*zarrFile); ok && existing != f {
			existing.set(img, e.Size)
		}
		d.root.fillFileAttr(f.ino, e.Size, d.root.mountTime, &out.Attr)
		return ch, 0
	}
	return nil, syscall.ENOENT
}

// zarrFile is a metadata file (.zattrs, .zgroup, .zarray) or a chunk.
type zarrFile struct {
	gofs.Inode
	readOnly

	root  *Root
	ino   uint64
	path  string
	what  string
	chunk bool

	mu   sync.Mutex
	img  wrappers.ImageObject
	size int64
}

var (
	_ gofs.NodeGetattrer = (*zarrFile)(nil)
	_ gofs.NodeOpener    = (*zarrFile)(nil)
	_ gofs.NodeReader    = (*zarrFile)(nil)
	_ gofs.NodeReleaser  = (*zarrFile)(nil)
)

func (f *zarrFile) set(img wrappers.ImageObject, size int64) {
	f.mu.Lock()
	f.img, f.size = img, size
	f.mu.Unlock()
}

func (f *zarrFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.mu.Lock()
	size := f.size
	f.mu.Unlock()
	f.root.fillFileAttr(f.ino, size, f.root.mountTime, &out.Attr)
	return 0
}

// Open keeps the page cache of chunks (raw pixels never change), not of
// .zattrs, whose rendering block follows the settings.
func (f *zarrFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	return f.root.openCounted(flags, f.chunk)
}

func (f *zarrFile) Release(ctx context.Context, fh gofs.FileHandle) syscall.Errno {
	return f.root.releaseCounted()
}

func (f *zarrFile) content(ctx context.Context) ([]byte, error) {
	f.mu.Lock()
	img := f.img
	f.mu.Unlock()
	z, err := f.root.zarrImage(ctx, img)
	if err != nil {
		return nil, err
	}
	e, err := z.Lookup(f.path)
	if err != nil {
		return nil, err
	}
	if e.Chunk == nil {
		return z.File(f.path)
	}
	key := "zarr/" + strconv.FormatInt(z.ID, 10) + "/" + f.path
	return f.root.images.Get(ctx, key, func(ctx context.Context) ([]byte, error) {
		_, im, done, err := f.root.pixels(ctx, img)
		if err != nil {
			return nil, err
		}
		done() // the source takes the reader for each read
		src := rawSource{f.root, img, im}
		return z.ChunkBytes(*e.Chunk, func(l, zz, c, t, x, y, w, h int, b []byte) error {
			return src.ReadRegion(ctx, l, zz, c, t, x, y, w, h, b)
		})
	})
}

func (f *zarrFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	b, err := f.content(ctx)
	if errors.Is(err, ngff.ErrNotExist) {
		return nil, syscall.ENOENT
	}
	if err != nil {
		return nil, f.root.fail(err, "read %s", f.what)
	}
	return readAt(b, dest, off), 0
}
