package fs

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"strings"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/wrappers"
)

// The data view, data/ (design.md, "The data view"): the containers of the
// rendered view with each image a folder of its data. A data folder shares
// its listing with the rendered folder of the same path (one cache entry,
// keyed by the rendered folder's inode number), so listing both costs the
// server one request.

// dataFileInoBase marks the data view's files: metadata.json, originals
// and attachments, numbered by what they hold (not by path), so a file
// reached by several paths is one inode, as an image's PNG is.
const dataFileInoBase = uint64(3) << 62

// dataFileIno is the inode number of a data-view file of kind for id.
func dataFileIno(kind string, id int64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(id))
	h.Write(b[:])
	h.Write([]byte(kind))
	return dataFileInoBase | (h.Sum64() & inoMask)
}

var dataRootIno = dirIno(rootIno, "data", 0)

// dataView holds what the data view's nodes share.
type dataView struct {
	// anns caches the annotations of every image of a listing, keyed by
	// the listing's key: one request per 200 images serves a folder.
	anns *cache.TTL[uint64, map[int64]*wrappers.Annotations]
	// meta caches metadata.json by image id.
	meta  *cache.TTL[int64, []byte]
	spool fileSpool
	// warned notes refused downloads already logged (one line each).
	warned sync.Map
	// mu guards the fields of data-view nodes that a newer listing replaces.
	mu sync.Mutex
}

func (r *Root) dataMu() *sync.Mutex { return &r.data.mu }

func newDataView(r *Root) *dataView {
	opts := cache.TTLOptions{TTL: r.opts.MetadataTTL, Logger: r.log}
	return &dataView{
		anns:  cache.NewTTL[uint64, map[int64]*wrappers.Annotations](opts),
		meta:  cache.NewTTL[int64, []byte](opts),
		spool: r.newFileSpool(),
	}
}

// dataRoot is data/: the categories of the rendered view, and images/.
type dataRoot struct {
	gofs.Inode
	readOnly
	root *Root
}

var (
	_ gofs.NodeGetattrer = (*dataRoot)(nil)
	_ gofs.NodeReaddirer = (*dataRoot)(nil)
	_ gofs.NodeLookuper  = (*dataRoot)(nil)
)

var dataImagesIno = dirIno(dataRootIno, "images", 0)

func dataCategoryIno(i int) uint64 { return dirIno(dataRootIno, "category", int64(i)) }

func (d *dataRoot) OnAdd(ctx context.Context) {
	r := d.root
	for i, c := range categories {
		list := c.list
		dd := &dataDir{root: r, ino: dataCategoryIno(i), listKey: uint64(2 + i), what: "data/" + c.name,
			list: func(ctx context.Context) ([]wrappers.Object, error) { return list(r.client, ctx) }}
		d.AddChild(c.name, d.NewPersistentInode(ctx, dd, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: dd.ino}), false)
	}
	d.AddChild("images", d.NewPersistentInode(ctx, &imagesDir{root: r, ino: dataImagesIno, child: r.dataImageByID}, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: dataImagesIno}), false)
}

func (d *dataRoot) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(dataRootIno, &out.Attr)
	return 0
}

func (d *dataRoot) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	var entries []fuse.DirEntry
	for i, c := range categories {
		entries = append(entries, fuse.DirEntry{Name: c.name, Mode: syscall.S_IFDIR, Ino: dataCategoryIno(i)})
	}
	entries = append(entries, fuse.DirEntry{Name: "images", Mode: syscall.S_IFDIR, Ino: dataImagesIno})
	return gofs.NewListDirStream(entries), 0
}

func (d *dataRoot) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return d.root.fixedChild(&d.Inode, name, out)
}

// dataDir is a category or container of the data view.
type dataDir struct {
	gofs.Inode
	readOnly

	root    *Root
	ino     uint64 // its own number
	listKey uint64 // the number of the rendered folder of the same path: the listing's key
	what    string

	mu   sync.Mutex
	obj  wrappers.Object // nil for a category
	list func(ctx context.Context) ([]wrappers.Object, error)
}

var (
	_ gofs.NodeGetattrer   = (*dataDir)(nil)
	_ gofs.NodeReaddirer   = (*dataDir)(nil)
	_ gofs.NodeLookuper    = (*dataDir)(nil)
	_ gofs.NodeGetxattrer  = (*dataDir)(nil)
	_ gofs.NodeListxattrer = (*dataDir)(nil)
)

func (d *dataDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

func (d *dataDir) Getxattr(ctx context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	d.mu.Lock()
	o := d.obj
	d.mu.Unlock()
	return d.root.getxattr(ctx, d.what, objectXattrs(o), name, dest)
}

func (d *dataDir) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	d.mu.Lock()
	o := d.obj
	d.mu.Unlock()
	return listxattr(objectXattrs(o), dest)
}

// listing is the rendered folder's listing (the same cache entry).
func (d *dataDir) listing(ctx context.Context) (*listing, syscall.Errno) {
	d.mu.Lock()
	list := d.list
	d.mu.Unlock()
	return d.root.listing(ctx, d.listKey, d.what, list)
}

// folderName is an image's folder: its PNG's name without ".png".
func folderName(pngName string) string { return strings.TrimSuffix(pngName, ".png") }

func (d *dataDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	l, errno := d.listing(ctx)
	if errno != 0 {
		return nil, errno
	}
	entries := make([]fuse.DirEntry, len(l.names))
	for i, name := range l.names {
		obj := l.objs[i]
		if _, ok := obj.(wrappers.ImageObject); ok {
			entries[i] = fuse.DirEntry{Name: folderName(name), Mode: syscall.S_IFDIR, Ino: dirIno(d.ino, "Image", obj.ID())}
		} else {
			entries[i] = fuse.DirEntry{Name: name, Mode: syscall.S_IFDIR, Ino: dirIno(d.ino, obj.Type(), obj.ID())}
		}
	}
	return gofs.NewListDirStream(entries), 0
}

func (d *dataDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if len(name) > maxNameBytes {
		return nil, syscall.ENAMETOOLONG
	}
	l, errno := d.listing(ctx)
	if errno != 0 {
		return nil, errno
	}
	if obj, ok := l.object(name + ".png"); ok {
		if img, ok := obj.(wrappers.ImageObject); ok {
			key := d.listKey
			anns := func(ctx context.Context) (*wrappers.Annotations, error) {
				return d.root.listingAnnotations(ctx, key, l, img.ID())
			}
			return d.root.newImageFolder(ctx, &d.Inode, dirIno(d.ino, "Image", img.ID()), img, anns, out)
		}
	}
	obj, ok := l.object(name)
	if !ok {
		return nil, syscall.ENOENT
	}
	c, ok := obj.(wrappers.Container)
	if !ok {
		return nil, syscall.ENOENT
	}
	ino := dirIno(d.ino, c.Type(), c.ID())
	dd := &dataDir{root: d.root, ino: ino, listKey: dirIno(d.listKey, c.Type(), c.ID()), what: "data " + describe(c), obj: c, list: c.ListChildren}
	ch := d.NewInode(ctx, dd, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
	if existing, ok := ch.Operations().(*dataDir); ok && existing != dd {
		existing.mu.Lock()
		existing.obj, existing.list = c, c.ListChildren
		existing.mu.Unlock()
	}
	d.root.fillDirAttr(ino, &out.Attr)
	return ch, 0
}

// listingAnnotations returns the annotations of image id, fetching those
// of every image of the listing at once (and again after --metadata-ttl).
func (r *Root) listingAnnotations(ctx context.Context, key uint64, l *listing, id int64) (*wrappers.Annotations, error) {
	all, err := r.data.anns.Get(ctx, key, func(ctx context.Context) (map[int64]*wrappers.Annotations, error) {
		var ids []int64
		for _, o := range l.objs {
			if img, ok := o.(wrappers.ImageObject); ok {
				ids = append(ids, img.ID())
			}
		}
		return r.client.AnnotationsOf(ctx, "image", ids)
	})
	if err != nil {
		return nil, err
	}
	if a := all[id]; a != nil {
		return a, nil
	}
	// Not in that listing (it changed since): ask for this image alone.
	one, err := r.client.AnnotationsOf(ctx, "image", []int64{id})
	if err != nil {
		return nil, err
	}
	return one[id], nil
}

// dataImageByID is the folder of img in data/images/ (an imagesDir).
func (r *Root) dataImageByID(ctx context.Context, parent *gofs.Inode, _ string, img wrappers.ImageObject, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	id := img.ID()
	ino := dirIno(dataImagesIno, "Image", id)
	anns := func(ctx context.Context) (*wrappers.Annotations, error) {
		all, err := r.data.anns.Get(ctx, ino, func(ctx context.Context) (map[int64]*wrappers.Annotations, error) {
			return r.client.AnnotationsOf(ctx, "image", []int64{id})
		})
		if err != nil {
			return nil, err
		}
		return all[id], nil
	}
	return r.newImageFolder(ctx, parent, ino, img, anns, out)
}
