package render

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/omerofs/omerofs/render/tiff"
)

// Lossless rendering (docs/design.md, "--render"): where the raw pixels
// are reachable, an engine renders on the client with the same rules the
// server applies (Render), from the raw values, instead of decoding the
// server's JPEG. It reads what the server would have read: the whole
// plane of an image below the pyramid threshold, or the pyramid level the
// tiled path would assemble, so the two agree pixel for pixel before the
// JPEG step.

// Raw is an image's raw pixels, as a local engine reads them.
type Raw interface {
	// Type is the pixel type of the values.
	Type() tiff.PixelType
	// Levels is how many pyramid levels ReadRegion reads (1: the full
	// size only).
	Levels() int
	// ReadRegion fills buf with the w × h region at (x, y) of plane (z, c,
	// t) at a level (0 = full size): w·h big-endian values.
	ReadRegion(ctx context.Context, level, z, c, t, x, y, w, h int, buf []byte) error
}

// ErrNoLocal: the engine cannot render this image on the client (the
// level it needs is not readable); the server renders it instead.
var ErrNoLocal = errors.New("no local rendering for this image")

// UseRaw makes the engine render from raw pixels on the client. Where it
// cannot (ErrNoLocal), Render asks the server as before.
func (e *Engine) UseRaw(r Raw) {
	e.mu.Lock()
	e.raw = r
	e.mu.Unlock()
}

// Local reports whether the engine renders from raw pixels.
func (e *Engine) Local() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.raw != nil
}

// LevelSizes is each pyramid level's size as imgData gives it, index 0
// the full size.
func LevelSizes(info *ImageInfo) []Size { return levelSizes(info) }

// maxLocalPixels bounds the level rendered here: its RGB and the resize
// are held whole. Larger ones are left to the server's path.
const maxLocalPixels = 32 << 20

// localBandRows is how many rows of a level are read and rendered at a
// time: Render treats rows independently, so bands bound the memory of
// the raw values without changing a pixel.
const localBandRows = 256

// renderLocal renders the default plane from raw pixels at the size the
// server path would produce before its resize: the full plane, or the
// pyramid level renderTiled would pick for w × h.
func renderLocal(ctx context.Context, info *ImageInfo, raw Raw, w, h int) (*Image, error) {
	s := info.Settings
	level, lw, lh := 0, info.SizeX, info.SizeY
	if info.Tiled {
		sizes := levelSizes(info)
		level = pickLevel(sizes, w, h)
		lw, lh = sizes[level].Width, sizes[level].Height
		if level > 0 && len(info.Resolutions) == 0 {
			// Sizes from zoomLevelScaling may be a pixel off the level's
			// (docs/omero-web.md): the server's tiled path copes with that.
			return nil, fmt.Errorf("image %d: level %d's size is not known exactly: %w", info.ID, level, ErrNoLocal)
		}
	}
	if int64(lw)*int64(lh) > maxLocalPixels {
		return nil, fmt.Errorf("image %d: level %d is %d×%d, more than rendered here: %w", info.ID, level, lw, lh, ErrNoLocal)
	}
	if level >= raw.Levels() {
		return nil, fmt.Errorf("image %d: level %d of %d readable: %w", info.ID, level, raw.Levels(), ErrNoLocal)
	}
	if s.T < 0 || s.T >= max(info.SizeT, 1) {
		return nil, fmt.Errorf("image %d: default timepoint %d of %d", info.ID, s.T, info.SizeT)
	}
	active := s.ActiveChannels()
	if s.Model == ModelGreyscale && len(active) > 1 {
		active = active[:1]
	}
	for _, c := range active {
		if s.Channels[c].LUT != "" {
			// The server applies lookup tables; Render does not know them.
			return nil, fmt.Errorf("image %d: channel %d has the lookup table %s: %w", info.ID, c, s.Channels[c].LUT, ErrNoLocal)
		}
	}
	sizeZ := max(info.SizeZ, 1)
	z0, z1 := s.Z, s.Z
	if s.Projection != "" && s.Projection != ProjectionNormal {
		z0, z1 = 0, sizeZ-1
		if s.ProjStart >= 0 && s.ProjEnd >= s.ProjStart {
			z0, z1 = max(0, s.ProjStart), min(sizeZ-1, s.ProjEnd)
		}
	}
	z0 = clampInt(z0, 0, sizeZ-1)
	z1 = clampInt(z1, z0, sizeZ-1)
	// Render sees one plane per channel: the projection is made here, in
	// the same order and arithmetic as Render's own.
	flat := s.Clone()
	flat.Projection, flat.Z = ProjectionNormal, 0

	pt := raw.Type()
	bpp := pt.Bytes()
	if t, ok := newLevelTables(flat, active, pt, s.Projection, lw*lh); ok {
		return renderTabulated(ctx, info.ID, raw, t, level, z0, z1, s.T, lw, lh)
	}
	out := NewImage(lw, lh)
	vals := make([][]float64, len(s.Channels))
	buf := make([]byte, lw*min(lh, localBandRows)*bpp)
	for y0 := 0; y0 < lh; y0 += localBandRows {
		bh := min(localBandRows, lh-y0)
		n := lw * bh
		for _, c := range active {
			if len(vals[c]) < n {
				vals[c] = make([]float64, n)
			}
			v := vals[c][:n]
			for z := z0; z <= z1; z++ {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				b := buf[:n*bpp]
				if err := raw.ReadRegion(ctx, level, z, c, s.T, 0, y0, lw, bh, b); err != nil {
					return nil, fmt.Errorf("raw pixels of image %d, z=%d c=%d t=%d: %w", info.ID, z, c, s.T, err)
				}
				for i := range v {
					p := pt.Value(b[i*bpp:])
					switch {
					case z == z0:
						v[i] = p
					case s.Projection == ProjectionMax:
						v[i] = math.Max(v[i], p)
					case s.Projection == ProjectionMean || s.Projection == ProjectionSum:
						v[i] += p
					}
				}
			}
			if s.Projection == ProjectionMean {
				for i := range v {
					v[i] /= float64(z1 - z0 + 1)
				}
			}
		}
		band := Render(flat, lw, bh, 1, func(c, _, x, y int) float64 { return vals[c][y*lw+x] })
		copy(out.Pix[y0*lw*3:], band.Pix)
	}
	return out, nil
}
