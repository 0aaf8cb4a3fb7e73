package fs

import (
	"context"
	"fmt"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/wrappers"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// Raw pixels in the data view (design.md, "The data view"): planes/ and
// image.ome.zarr/ of an image folder, and local rendering, read them
// through the route the mount found (wrappers/raw). Each image has one
// reader at a time, kept while recently used: it holds the bands of rows
// last read and, for the OME-TIFF route, the spooled export, so that every
// plane of an image costs one download.

// Render modes (--render).
const (
	RenderAuto   = "auto"   // on the client where raw pixels are reachable plane by plane (or already fetched)
	RenderServer = "server" // always the server's JPEG
	RenderLocal  = "local"  // on the client wherever any raw route reaches the image
)

// keptReaders bounds the images whose raw reader stays open: on a bare
// OMERO.web each keeps a spooled export on disk. The rows they keep in
// memory share one budget across all readers (wrappers/raw, KeptBytes).
const keptReaders = 8

type rawView struct {
	routes *raw.Routes // nil: no raw pixels
	render string
	info   *cache.TTL[int64, *render.ImageInfo] // imgData, for levels and settings

	mu      sync.Mutex
	readers *lru.Cache[int64, *rawReader]
}

// rawReader is an open reader and its users: one evicted while in use is
// closed by its last user (an OME-TIFF reader's close drops its spool).
type rawReader struct {
	im      raw.Image
	px      *raw.Pixels
	users   int  // guarded by rawView.mu
	evicted bool // likewise
}

func newRawView(r *Root) *rawView {
	v := &rawView{routes: r.opts.Raw, render: r.opts.Render,
		info: cache.NewTTL[int64, *render.ImageInfo](cache.TTLOptions{TTL: r.opts.MetadataTTL, Logger: r.log})}
	v.readers, _ = lru.NewWithEvict[int64, *rawReader](keptReaders, func(_ int64, rd *rawReader) {
		rd.evicted = true // called with v.mu held
		if rd.users == 0 {
			rd.px.Close()
		}
	})
	return v
}

// release ends one use of rd.
func (v *rawView) release(rd *rawReader) {
	v.mu.Lock()
	defer v.mu.Unlock()
	rd.users--
	if rd.evicted && rd.users == 0 {
		rd.px.Close()
	}
}

func (v *rawView) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.readers.Purge() // closes each reader
}

// rawImage describes img for the raw routes from the listing alone, and
// says whether a route reaches it: planes/ and image.ome.zarr/ are shown,
// with exact sizes, before anything is read.
func (r *Root) rawImage(img wrappers.ImageObject) (raw.Image, bool) {
	if r.raw.routes == nil {
		return raw.Image{}, false
	}
	p := img.Pixels()
	pt, err := tiff.ParsePixelType(p.Type)
	if err != nil {
		return raw.Image{}, false
	}
	im := raw.Image{ID: img.ID(), SizeX: p.SizeX, SizeY: p.SizeY, SizeZ: p.SizeZ, SizeC: p.SizeC, SizeT: p.SizeT, Type: pt}
	return im, r.raw.routes.Choose(im) != raw.None
}

// imageInfo is the image's imgData (levels, rendering settings), trusted
// for --metadata-ttl.
func (r *Root) imageInfo(ctx context.Context, img wrappers.ImageObject) (*render.ImageInfo, error) {
	return r.raw.info.Get(ctx, img.ID(), func(ctx context.Context) (*render.ImageInfo, error) {
		eng, err := img.OpenRenderingEngine(ctx)
		if err != nil {
			return nil, err
		}
		defer eng.Close()
		return eng.Info(), nil
	})
}

// pixels returns the image's raw reader, opening it on first use with the
// pyramid's levels from imgData (only the pixel-buffer route reads levels
// below full size, and only it needs them). The caller calls done when it
// has finished reading: the reader stays open until then.
func (r *Root) pixels(ctx context.Context, img wrappers.ImageObject) (px *raw.Pixels, im raw.Image, done func(), err error) {
	im, ok := r.rawImage(img)
	if !ok {
		return nil, im, nil, fmt.Errorf("image %d: %w", img.ID(), raw.ErrNoRoute)
	}
	v := r.raw
	use := func(rd *rawReader) (*raw.Pixels, raw.Image, func(), error) {
		rd.users++ // v.mu held
		return rd.px, rd.im, func() { v.release(rd) }, nil
	}
	v.mu.Lock()
	if rd, ok := v.readers.Get(im.ID); ok && sameDims(rd.im, im) {
		defer v.mu.Unlock()
		return use(rd)
	}
	v.mu.Unlock()
	if r.raw.routes.Choose(im) == raw.PixelBuffer {
		info, err := r.imageInfo(ctx, img)
		if err != nil {
			return nil, im, nil, err
		}
		im.Levels = max(info.Levels, len(info.Resolutions))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if rd, ok := v.readers.Get(im.ID); ok && sameDims(rd.im, im) {
		return use(rd) // another reader opened it meanwhile
	}
	p, err := v.routes.Open(im)
	if err != nil {
		return nil, im, nil, err
	}
	rd := &rawReader{im: im, px: p}
	v.readers.Add(im.ID, rd)
	return use(rd)
}

func sameDims(a, b raw.Image) bool {
	return a.SizeX == b.SizeX && a.SizeY == b.SizeY && a.SizeZ == b.SizeZ && a.SizeC == b.SizeC && a.SizeT == b.SizeT && a.Type == b.Type
}

// micrometres converts a physical length to µm (0: unknown or a unit that
// is not a length).
func micrometres(l *wrappers.Length) float64 {
	if l == nil || !(l.Value > 0) {
		return 0
	}
	scale := map[string]float64{"": 1, "MICROMETER": 1, "NANOMETER": 1e-3, "PICOMETER": 1e-6, "ANGSTROM": 1e-4,
		"MILLIMETER": 1e3, "CENTIMETER": 1e4, "METER": 1e6}
	s, ok := scale[l.Unit]
	if !ok {
		return 0
	}
	return l.Value * s
}

// renderer is what image files render: the image itself (the server
// renders), or, where raw pixels are reachable and --render allows, the
// image with an engine that renders on the client.
func (r *Root) renderer(img wrappers.ImageObject) wrappers.ImageObject {
	if r.raw.render == RenderServer {
		return img
	}
	im, ok := r.rawImage(img)
	if !ok {
		return img
	}
	if r.raw.render == RenderAuto && r.raw.routes.Choose(im) == raw.OMETiff && !r.raw.holds(im.ID) {
		// The export is the whole image, built by the server per request:
		// worth it for one plane only once planes/ or image.ome.zarr/ has
		// fetched it (--render local fetches it anyway).
		return img
	}
	return localImage{ImageObject: img, root: r}
}

// holds reports whether the image's raw reader is open (its OME-TIFF
// export fetched, or being fetched, for planes/ or image.ome.zarr/).
func (v *rawView) holds(id int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.readers.Contains(id)
}

// localImage opens engines that render from the raw pixels.
type localImage struct {
	wrappers.ImageObject
	root *Root
}

func (l localImage) OpenRenderingEngine(ctx context.Context) (*render.Engine, error) {
	eng, err := l.ImageObject.OpenRenderingEngine(ctx)
	if err != nil {
		return nil, err
	}
	// The engine has just read imgData: what pixels() would ask for.
	info := eng.Info()
	l.root.raw.info.Get(ctx, l.ID(), func(context.Context) (*render.ImageInfo, error) { return info, nil })
	_, im, done, err := l.root.pixels(ctx, l.ImageObject)
	if err != nil {
		// The server can still render it: say why once per render, quietly.
		l.root.log.WithError(err).Debugf("image %d rendered by the server", l.ID())
		return eng, nil
	}
	done() // each read takes the reader again (rawSource)
	eng.UseRaw(rawSource{l.root, l.ImageObject, im})
	return eng, nil
}

// rawSource adapts an image's raw reader to the engine and to
// image.ome.zarr: full-width full-size reads go through the plane's file
// (spooled whole, data_planes_spool.go), other regions to the reader.
type rawSource struct {
	root *Root
	img  wrappers.ImageObject
	im   raw.Image // with the levels pixels() found
}

func (s rawSource) Type() tiff.PixelType { return s.im.Type }

// Levels is what raw.Pixels.Levels says of this image and route.
func (s rawSource) Levels() int {
	if s.root.raw.routes.Choose(s.im) == raw.PixelBuffer {
		return max(s.im.Levels, 1)
	}
	return 1
}

func (s rawSource) ReadRegion(ctx context.Context, level, z, c, t, x, y, w, h int, buf []byte) error {
	if level == 0 && x == 0 && w == s.im.SizeX {
		ps, err := s.root.newPlaneSource(s.img, s.im, z, c, t)
		if err != nil {
			return err
		}
		return ps.rows(ctx, y, h, buf)
	}
	px, _, done, err := s.root.pixels(ctx, s.img)
	if err != nil {
		return err
	}
	defer done()
	return px.ReadRegion(ctx, level, z, c, t, x, y, w, h, buf)
}
