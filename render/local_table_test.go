package render

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/omerofs/omerofs/render/tiff"
)

// typedRaw holds planes of any pixel type whose values cover the type's
// whole range (a hash of z, c, x, y).
type typedRaw struct {
	pt           tiff.PixelType
	sizeX, sizeY int
}

func (r typedRaw) bits(z, c, x, y int) uint64 {
	h := uint64(z*7919+c*104729+y*r.sizeX+x) * 0x9E3779B97F4A7C15
	return h ^ h>>29
}

func (r typedRaw) value(z, c, x, y int) float64 {
	b := make([]byte, 8)
	r.put(b, z, c, x, y)
	return r.pt.Value(b)
}

func (r typedRaw) put(b []byte, z, c, x, y int) {
	h := r.bits(z, c, x, y)
	for i := 0; i < r.pt.Bytes(); i++ {
		b[i] = byte(h >> (8 * i))
	}
}

func (r typedRaw) Type() tiff.PixelType { return r.pt }
func (r typedRaw) Levels() int          { return 1 }
func (r typedRaw) ReadRegion(_ context.Context, level, z, c, _, x, y, w, h int, buf []byte) error {
	bpp := r.pt.Bytes()
	if level != 0 || x+w > r.sizeX || y+h > r.sizeY || len(buf) != w*h*bpp {
		return errors.New("out of range")
	}
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			r.put(buf[(j*w+i)*bpp:], z, c, x+i, y+j)
		}
	}
	return nil
}

// The tables give Render's image byte for byte: for every tabulable type,
// with and without a maximum projection, in colour and greyscale, for each
// family, inverted or not, windows inside and beyond the type's range.
func TestLocalRenderTablesMatchRender(t *testing.T) {
	const w, h = 300, 260 // more pixels than a 16-bit table, and a short last band
	for _, pt := range []tiff.PixelType{tiff.Uint8, tiff.Int8, tiff.Uint16, tiff.Int16} {
		for _, proj := range []string{ProjectionNormal, ProjectionMax} {
			for _, model := range []string{ModelColor, ModelGreyscale} {
				raw := typedRaw{pt: pt, sizeX: w, sizeY: h}
				s := Settings{Model: model, Projection: proj, ProjStart: 1, ProjEnd: 2, Z: 1, Channels: []Channel{
					{Active: true, Start: -100, End: 200, Color: Red, Family: FamilyExp, Coefficient: 0.8},
					{Active: true, Start: 0, End: 30000, Color: Green, Family: FamilyLinear, Coefficient: 1, Inverted: true},
					{Active: false, Start: 0, End: 10, Color: Blue, Family: FamilyLinear, Coefficient: 1},
					{Active: true, Start: -20000, End: 60, Color: Blue, Family: FamilyLog, Coefficient: 1},
					{Active: true, Start: 50, End: 50, Color: Red, Family: FamilyPoly, Coefficient: 2},
					{Active: true, Start: 10.5, End: 1000.25, Color: Green, Family: FamilyPoly, Coefficient: 1.5},
					{Active: true, Start: -1e300, End: 1e300, Color: Blue, Family: FamilyLinear, Coefficient: 1},
					{Active: true, Start: 1e6, End: 2e6, Color: White, Family: FamilyLinear, Coefficient: 1},
				}}
				info := &ImageInfo{ID: 1, SizeX: w, SizeY: h, SizeZ: 3, SizeT: 1, SizeC: 8, PixelsType: pt.String(), Settings: s}
				got, err := renderLocal(context.Background(), info, raw, w, h)
				if err != nil {
					t.Fatal(err)
				}
				want := Render(s, w, h, 3, func(c, z, x, y int) float64 { return raw.value(z, c, x, y) })
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Fatalf("%s, %q projection, %s: the tabulated render differs from Render", pt, proj, model)
				}
				active := s.ActiveChannels()
				if model == ModelGreyscale {
					active = active[:1]
				}
				if _, ok := newLevelTables(s, active, pt, proj, w*h); !ok {
					t.Fatalf("%s, %q projection: not tabulated", pt, proj)
				}
			}
		}
	}
}
