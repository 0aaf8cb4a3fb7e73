package raw

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/omerofs/omerofs/render/tiff"
)

// Pixels reads the planes of one image through one route. Reads of
// neighbouring rows share what the server sent: a band of rows (a row of
// zarr chunks, or up to bandBytes of pixel-buffer regions) is kept for the
// next reads, so a plane read a strip at a time costs one request per band.
// The bands of all readers of one Routes share one byte budget (budget.go).
// Safe for concurrent use.
type Pixels struct {
	im     Image
	route  Route
	routes *Routes

	initMu sync.Mutex
	ready  bool
	zarr   *zarrArray // the zarr route's level 0
	ome    *omeSpool  // the OME-TIFF route's download

	bandH  int
	flight singleflight.Group
}

// bandBytes bounds a pixel-buffer band.
const bandBytes = 4 << 20

// Open returns the reader of an image's pixels through the route Choose
// picks; ErrNoRoute when there is none.
func (r *Routes) Open(im Image) (*Pixels, error) {
	return r.OpenWith(im, r.Choose(im))
}

// OpenWith reads through a given route (one of Available).
func (r *Routes) OpenWith(im Image, route Route) (*Pixels, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	ok := false
	for _, a := range r.Available() {
		ok = ok || a == route
	}
	if !ok || route == None {
		return nil, fmt.Errorf("image %d: %w (route %s)", im.ID, ErrNoRoute, route)
	}
	if route == OMETiff && int64(im.SizeX)*int64(im.SizeY) > MaxPlane*MaxPlane {
		return nil, fmt.Errorf("image %d is above the OME-TIFF export's %d×%d: %w", im.ID, MaxPlane, MaxPlane, ErrNoRoute)
	}
	p := &Pixels{im: im, route: route, routes: r}
	if route == PixelBuffer {
		p.bandH = max(1, min(im.SizeY, bandBytes/(im.SizeX*im.Type.Bytes())))
		p.ready = true
	}
	return p, nil
}

// Route is the route the pixels come through.
func (p *Pixels) Route() Route { return p.route }

// Close drops what the reader keeps (the OME-TIFF spool file).
func (p *Pixels) Close() error {
	p.initMu.Lock()
	defer p.initMu.Unlock()
	p.routes.bands.drop(p)
	if p.ome != nil {
		err := p.ome.close()
		p.ome, p.ready = nil, false
		return err
	}
	return nil
}

// setup fetches what a route needs before the first read: the zarr
// array's metadata, or the whole OME-TIFF. A failure is retried by the
// next read.
func (p *Pixels) setup(ctx context.Context) error {
	p.initMu.Lock()
	defer p.initMu.Unlock()
	if p.ready {
		return nil
	}
	switch p.route {
	case Zarr:
		a, err := openZarr(ctx, p.routes.conn, p.im)
		if err != nil {
			return err
		}
		p.zarr, p.bandH = a, a.chunkY
	case OMETiff:
		s, err := downloadOMETiff(ctx, p.routes.conn, p.im, p.routes.spoolDir)
		if err != nil {
			return err
		}
		p.ome = s
	}
	p.ready = true
	return nil
}

// ReadRows fills buf with rows [y, y+n) of plane (z, c, t) at full
// resolution: n·SizeX values of the image's type, big-endian.
func (p *Pixels) ReadRows(ctx context.Context, z, c, t, y, n int, buf []byte) error {
	im := p.im
	rowBytes := im.SizeX * im.Type.Bytes()
	if z < 0 || z >= im.SizeZ || c < 0 || c >= im.SizeC || t < 0 || t >= im.SizeT || y < 0 || n < 0 || y+n > im.SizeY || len(buf) != n*rowBytes {
		return fmt.Errorf("image %d: rows %d+%d of plane z=%d c=%d t=%d into %d bytes: out of range", im.ID, y, n, z, c, t, len(buf))
	}
	if err := p.setup(ctx); err != nil {
		return fmt.Errorf("raw pixels of image %d through %s: %w", im.ID, p.route, err)
	}
	if p.route == OMETiff {
		p.initMu.Lock()
		s := p.ome
		p.initMu.Unlock()
		if s == nil {
			return fmt.Errorf("image %d: reader closed", im.ID)
		}
		return s.readRows(z, c, t, y, n, buf)
	}
	for row := y; row < y+n; {
		b := row / p.bandH
		band, err := p.band(ctx, z, c, t, b)
		if err != nil {
			return fmt.Errorf("raw pixels of image %d through %s: %w", im.ID, p.route, err)
		}
		b0 := b * p.bandH
		end := min(y+n, b0+len(band)/rowBytes)
		copy(buf[(row-y)*rowBytes:(end-y)*rowBytes], band[(row-b0)*rowBytes:(end-b0)*rowBytes])
		row = end
	}
	return nil
}

// Rows adapts ReadRows to a TIFF writer's row source for plane (z, c, t).
func (p *Pixels) Rows(ctx context.Context, z, c, t int) tiff.RowSource {
	return func(_, y, n int, buf []byte) error { return p.ReadRows(ctx, z, c, t, y, n, buf) }
}

// band returns band b of a plane (rows b·bandH … , the last one shorter),
// fetching it once however many readers wait.
func (p *Pixels) band(ctx context.Context, z, c, t, b int) ([]byte, error) {
	key := strconv.Itoa(z) + "/" + strconv.Itoa(c) + "/" + strconv.Itoa(t) + "/" + strconv.Itoa(b)
	if v, ok := p.routes.bands.get(p, key); ok {
		return v, nil
	}
	v, err, _ := p.flight.Do(key, func() (any, error) {
		y0 := b * p.bandH
		h := min(p.bandH, p.im.SizeY-y0)
		var data []byte
		var err error
		if p.route == PixelBuffer {
			data, err = p.pixelBufferRows(ctx, z, c, t, y0, h)
		} else {
			data, err = p.zarr.rows(ctx, z, c, t, y0, h)
		}
		if err != nil {
			return nil, err
		}
		p.routes.bands.add(p, key, data)
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// Levels is how many resolution levels this route reads: the image's
// pyramid through the pixel-buffer service, the full size only otherwise
// (omero-web-zarr's lower levels come byte-swapped, and the OME-TIFF export
// has none).
func (p *Pixels) Levels() int {
	if p.route == PixelBuffer {
		return max(p.im.Levels, 1)
	}
	return 1
}

// ReadRegion fills buf with the w × h region at (x, y) of plane (z, c, t)
// at a resolution level (0 = full size, each next one smaller; see
// Levels): w·h values, big-endian. It is the region source of an
// image.ome.zarr chunk (render/ngff.RegionSource).
func (p *Pixels) ReadRegion(ctx context.Context, level, z, c, t, x, y, w, h int, buf []byte) error {
	im := p.im
	bpp := im.Type.Bytes()
	if level < 0 || level >= p.Levels() || x < 0 || y < 0 || w <= 0 || h <= 0 || len(buf) != w*h*bpp ||
		(level == 0 && (x+w > im.SizeX || y+h > im.SizeY)) {
		return fmt.Errorf("image %d: region %d,%d %d×%d at level %d into %d bytes: out of range (%d levels through %s)",
			im.ID, x, y, w, h, level, len(buf), p.Levels(), p.route)
	}
	if z < 0 || z >= im.SizeZ || c < 0 || c >= im.SizeC || t < 0 || t >= im.SizeT {
		return fmt.Errorf("image %d: no plane z=%d c=%d t=%d", im.ID, z, c, t)
	}
	if p.route == PixelBuffer {
		resolution := -1
		if level > 0 {
			resolution = p.Levels() - 1 - level // the engine counts from the smallest
		}
		if err := p.pixelBufferRegion(ctx, resolution, z, c, t, x, y, w, h, buf); err != nil {
			return fmt.Errorf("raw pixels of image %d through %s: %w", im.ID, p.route, err)
		}
		return nil
	}
	rowBytes := im.SizeX * bpp
	rows := make([]byte, min(h, max(1, bandBytes/rowBytes))*rowBytes)
	for r0 := 0; r0 < h; {
		n := min(h-r0, len(rows)/rowBytes)
		if err := p.ReadRows(ctx, z, c, t, y+r0, n, rows[:n*rowBytes]); err != nil {
			return err
		}
		for r := 0; r < n; r++ {
			copy(buf[(r0+r)*w*bpp:(r0+r+1)*w*bpp], rows[r*rowBytes+x*bpp:])
		}
		r0 += n
	}
	return nil
}
