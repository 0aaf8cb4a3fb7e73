// Package fs is the FUSE adaptor of omerofs: it shows OMERO containers as
// read-only directories and images as PNG files. It stays thin. Listing goes
// through wrappers, names through names.go, rendered bytes through the cache
// package, rendering through one call (render.RenderPNG) and file-manager
// thumbnails through fs/thumbnails; this package only maps them onto go-fuse
// nodes, and every failure onto an errno in one place (errno.go: Root.fail).
package fs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/fs/thumbnails"
	"github.com/omerofs/omerofs/wrappers"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// The defaults of Options' zero values (design.md); the command's flags
// show the same.
const (
	DefaultMetadataTTL   = 60 * time.Second
	DefaultMaxRenderSize = 4096
	DefaultRenderTimeout = 2 * time.Minute
)

// Options tune the tree. Zero values get the defaults above.
type Options struct {
	MetadataTTL   time.Duration // how long a listing is trusted
	MaxRenderSize int           // longest side of a rendered PNG
	RenderTimeout time.Duration // bound on one render, all requests included
	UID, GID      uint32        // owner shown for every entry
	Logger        logrus.FieldLogger
	// ThumbnailDir, when set with Mountpoint, is the freedesktop thumbnail
	// cache ($XDG_CACHE_HOME/thumbnails) that listed folders' images get
	// OMERO's thumbnails written into (package thumbnails).
	ThumbnailDir string
	Mountpoint   string // absolute path of the mount, for thumbnail URIs
	// DiskCache, when enabled, keeps rendered PNGs across mounts and
	// between mounts sharing its directory (diskcache.go); entries are keyed
	// under CacheNamespace (the server) by image, rendering settings and size.
	DiskCache      *disk.Cache
	CacheNamespace string
	// ReadAhead is how many files after the one being read, in listing
	// order, are rendered in the background while a folder is read in order
	// (--read-ahead; readahead.go). 0: none.
	ReadAhead int
	// MaxListings bounds the folder listings held, least recently used out
	// first (--max-listings; default 256).
	MaxListings int
	// MaxListedObjects bounds the objects of all listings held, so that a
	// few folders of 100,000 images cannot hold what 256 small ones may
	// (--max-listed-objects; default DefaultMaxListedObjects).
	MaxListedObjects int
	// SpoolDir is where data/ keeps downloaded originals and attachments
	// (in a 0700 folder of its own, removed by Close); "" = the temp dir.
	SpoolDir string
	// Raw are the raw pixel routes the server offers (wrappers/raw.Probe):
	// planes/ and image.ome.zarr/ of the data view, and local rendering.
	// Nil: none.
	Raw *raw.Routes
	// Render is RenderAuto (""), RenderServer or RenderLocal (--render).
	Render string
}

func (o *Options) setDefaults() {
	if o.MetadataTTL <= 0 {
		o.MetadataTTL = DefaultMetadataTTL
	}
	if o.MaxRenderSize <= 0 {
		o.MaxRenderSize = DefaultMaxRenderSize
	}
	if o.RenderTimeout <= 0 {
		o.RenderTimeout = DefaultRenderTimeout
	}
	if o.Logger == nil {
		o.Logger = logrus.StandardLogger()
	}
	if o.Render == "" {
		o.Render = RenderAuto
	}
	if o.MaxListings <= 0 {
		o.MaxListings = DefaultMaxListings
	}
	if o.MaxListedObjects <= 0 {
		o.MaxListedObjects = DefaultMaxListedObjects
	}
}

// DefaultMaxListings is --max-listings' default: folders whose listings are
// held at once. A listed image costs about 400 bytes (its object and its
// entry), so 256 folders of 1,000 images hold about 100 MB: a walk over a
// larger tree lists again what it comes back to, rather than holding every
// listing it saw (docs/benchmarks.md, "Scale").
const DefaultMaxListings = 256

// DefaultMaxListedObjects is --max-listed-objects' default: at about 400
// bytes an object, 262,144 objects of the listings held are about 100 MB,
// the same bound as 256 folders of 1,000 images, whatever the folders'
// sizes. The newest listing is always held, however big.
const DefaultMaxListedObjects = 1 << 18

// Root is the mount's top directory. It holds what every node shares: the
// OMERO client, the rendered-image cache and the options.
type Root struct {
	gofs.Inode
	readOnly

	client    *wrappers.Client
	images    *cache.Cache
	listings  *cache.TTL[uint64, *listing]
	opts      Options
	log       logrus.FieldLogger
	mountTime time.Time
	openFiles atomic.Int64
	stats     Stats
	thumbs    *thumbnails.Writer // nil without thumbnails; set by Mount
	data      *dataView          // data_dir.go
	anns      *annotationBatches // xattr_annotations.go
	partials  sync.Map           // image id → *imageFile made from a tag's listing (tags.go)
	held      heldImages         // image nodes go-fuse holds (heldimages.go)
	// readdirplusNodes bounds the image nodes READDIRPLUS makes
	// (dirhandle.go); a field so that tests can lower it.
	readdirplusNodes atomic.Int64
	rois             *cache.TTL[int64, *roiFiles] // data_rois.go
	raw              *rawView                     // data_raw.go
}

// Stats returns the mount's counters (render latencies, errors by errno).
func (r *Root) Stats() *Stats { return &r.stats }

// OpenFiles is the number of image files open now; while it is not zero the
// command keeps the OMERO session alive.
func (r *Root) OpenFiles() int64 { return r.openFiles.Load() }

// NewRoot builds the root of the tree. images caches rendered PNGs.
func NewRoot(client *wrappers.Client, images *cache.Cache, opts Options) *Root {
	opts.setDefaults()
	r := &Root{
		client:    client,
		images:    images,
		opts:      opts,
		log:       opts.Logger,
		mountTime: time.Now(),
	}
	r.readdirplusNodes.Store(readdirplusNodes)
	r.listings = newListingCache(r)
	r.data = newDataView(r)
	r.anns = newAnnotationBatches(r)
	r.rois = newROICache(r)
	r.raw = newRawView(r)
	return r
}

// category is one of the fixed top-level folders.
type category struct {
	name string
	list func(c *wrappers.Client, ctx context.Context) ([]wrappers.Object, error)
}

// categories are the top-level folders, in the order ls shows them.
var categories = []category{
	{"projects", (*wrappers.Client).Projects},
	{"datasets", (*wrappers.Client).OrphanedDatasets},
	{"orphaned", (*wrappers.Client).OrphanedImages},
	{"screens", (*wrappers.Client).Screens},
	{"plates", (*wrappers.Client).OrphanedPlates},
}

var (
	_ gofs.NodeOnAdder   = (*Root)(nil)
	_ gofs.NodeGetattrer = (*Root)(nil)
	_ gofs.NodeStatfser  = (*Root)(nil)
	_ gofs.NodeOpendirer = (*Root)(nil)
	_ gofs.NodeReaddirer = (*Root)(nil)
	_ gofs.NodeLookuper  = (*Root)(nil)
)

// OnAdd creates the fixed folders once; they never change during a mount.
func (r *Root) OnAdd(ctx context.Context) {
	for i, c := range categories {
		list := c.list
		d := &dir{
			root: r,
			list: func(ctx context.Context) ([]wrappers.Object, error) { return list(r.client, ctx) },
			what: c.name,
		}
		ino := uint64(2 + i)
		d.ino = ino
		r.AddChild(c.name, r.NewPersistentInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino}), false)
	}
	img := &imagesDir{root: r, ino: imagesDirIno, png: true,
		child: func(ctx context.Context, parent *gofs.Inode, name string, img wrappers.ImageObject, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
			return r.newChild(ctx, parent, imagesDirIno, name, img, out)
		}}
	r.AddChild("images", r.NewPersistentInode(ctx, img, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: imagesDirIno}), false)
	r.AddChild("data", r.NewPersistentInode(ctx, &dataRoot{root: r}, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: dataRootIno}), false)
	r.addTagsFolder(ctx) // tags.go
}

const imagesDirIno = 2 + 5

// Opendir succeeds without a server call: the root's content is fixed.
func (r *Root) Opendir(ctx context.Context) syscall.Errno { return 0 }

// Readdir lists the fixed folders.
func (r *Root) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	entries := make([]fuse.DirEntry, 0, len(categories)+1)
	for i, c := range categories {
		entries = append(entries, fuse.DirEntry{Name: c.name, Mode: syscall.S_IFDIR, Ino: uint64(2 + i)})
	}
	entries = append(entries, fuse.DirEntry{Name: "images", Mode: syscall.S_IFDIR, Ino: imagesDirIno})
	entries = append(entries, fuse.DirEntry{Name: "data", Mode: syscall.S_IFDIR, Ino: dataRootIno})
	entries = append(entries, fuse.DirEntry{Name: "tags", Mode: syscall.S_IFDIR, Ino: tagsRootIno})
	return gofs.NewListDirStream(entries), 0
}

// Lookup answers for the fixed folders only; anything else does not exist.
func (r *Root) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return r.fixedChild(&r.Inode, name, out)
}

// fixedChild looks name up among the folders that OnAdd gave parent, the
// only children it has.
func (r *Root) fixedChild(parent *gofs.Inode, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ch := parent.GetChild(name)
	if ch == nil {
		return nil, syscall.ENOENT
	}
	r.fillDirAttr(ch.StableAttr().Ino, &out.Attr)
	return ch, 0
}

// Getattr describes the root directory.
func (r *Root) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	r.fillDirAttr(rootIno, &out.Attr)
	return 0
}

// Statfs reports a read-only filesystem with no free space, so that tools
// that check room before copying *into* a folder are told the truth.
func (r *Root) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	out.Bsize = blockSize
	out.Frsize = blockSize
	out.NameLen = 255
	return 0
}

// Close ends the mount's background work (thumbnail writing) and waits for
// it, closes the raw readers and removes the data view's spool of
// downloads. The mount calls it when it ends; calling it again only waits.
func (r *Root) Close() error {
	err := r.data.spool.Close() // the data view's downloads (data_spool.go)
	r.raw.close()               // raw readers and their spooled exports (data_raw.go)
	if r.thumbs == nil {
		return err
	}
	return errors.Join(r.thumbs.Close(), err)
}
