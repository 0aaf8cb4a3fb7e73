package render

import (
	"context"
	"fmt"
	"math"

	"github.com/omerofs/omerofs/render/tiff"
)

// Local rendering of 8- and 16-bit images by table: every raw value such
// an image can hold is mapped once per channel to its 0..255 level and
// each level to its tinted red, green and blue, so a pixel costs a few
// lookups instead of Render's float arithmetic (window, family curve,
// rounding) per channel. The tables are built with Render's own quantum,
// so the image is the same byte for byte; a maximum projection of integers
// is still one of the values, so it is tabulated too. Other types and the
// mean and sum projections go through Render.

// levelTables are one render's tables.
type levelTables struct {
	pt     tiff.PixelType
	offset int // added to a value to index the tables (signed types)
	active []int
	levels [][]uint8        // per active channel, by value+offset
	tint   [][256][3]uint16 // per active channel, by level
}

// newLevelTables builds the tables when they pay: for a tabulable type
// and projection, and at least as many pixels as table entries.
func newLevelTables(flat Settings, active []int, pt tiff.PixelType, projection string, pixels int) (*levelTables, bool) {
	var n, offset int
	switch pt {
	case tiff.Uint8:
		n = 1 << 8
	case tiff.Int8:
		n, offset = 1<<8, 1<<7
	case tiff.Uint16:
		n = 1 << 16
	case tiff.Int16:
		n, offset = 1<<16, 1<<15
	default:
		return nil, false
	}
	maxProj := projection == ProjectionMax
	if (projection != "" && projection != ProjectionNormal && !maxProj) || pixels < n {
		return nil, false
	}
	t := &levelTables{pt: pt, offset: offset, active: active}
	for _, c := range active {
		ch := flat.Channels[c]
		q := newQuantum(ch)
		lv := make([]uint8, n)
		// Values below the window share its start's level, those above its
		// end's: only the window's values need the curve.
		lo, hi := 0, n-1
		if q.end > q.start {
			index := func(v float64) int { return int(math.Min(math.Max(v, -1), float64(n))) }
			lo = clampInt(index(math.Ceil(q.start)+float64(offset)), 0, n-1)
			hi = clampInt(index(math.Floor(q.end)+float64(offset)), lo, n-1)
		}
		for i := lo; i <= hi; i++ {
			lv[i] = q.level(float64(i - offset))
		}
		for i, l := 0, q.level(q.start); i < lo; i++ {
			lv[i] = l
		}
		for i, l := hi+1, q.level(q.end); i < n; i++ {
			lv[i] = l
		}
		r, g, b := uint16(ch.Color.R), uint16(ch.Color.G), uint16(ch.Color.B)
		if flat.Model == ModelGreyscale {
			r, g, b = 255, 255, 255
		}
		var tint [256][3]uint16
		for l := range tint {
			u := uint16(l)
			tint[l] = [3]uint16{(u*r + 127) / 255, (u*g + 127) / 255, (u*b + 127) / 255}
		}
		t.levels = append(t.levels, lv)
		t.tint = append(t.tint, tint)
	}
	return t, true
}

// indices decodes big-endian values into table indices: into idx, or,
// with keepMax, into the larger of idx and the value.
func (t *levelTables) indices(b []byte, idx []uint16, keepMax bool) {
	if t.pt.Bytes() == 1 {
		flip := uint8(0)
		if t.pt == tiff.Int8 {
			flip = 0x80
		}
		b = b[:len(idx)]
		for i, v := range b {
			if u := uint16(v ^ flip); !keepMax || u > idx[i] {
				idx[i] = u
			}
		}
		return
	}
	flip := uint16(0)
	if t.pt == tiff.Int16 {
		flip = 0x8000
	}
	b = b[:2*len(idx)]
	if !keepMax {
		for i := range idx {
			idx[i] = (uint16(b[2*i])<<8 | uint16(b[2*i+1])) ^ flip
		}
		return
	}
	for i := range idx {
		idx[i] = max(idx[i], (uint16(b[2*i])<<8|uint16(b[2*i+1]))^flip)
	}
}

// renderTabulated is renderLocal's band loop with the tables.
func renderTabulated(ctx context.Context, id int64, raw Raw, t *levelTables, level, z0, z1, tp, lw, lh int) (*Image, error) {
	bpp := t.pt.Bytes()
	out := NewImage(lw, lh)
	bandRows := min(lh, localBandRows)
	buf := make([]byte, lw*bandRows*bpp)
	idx := make([]uint16, lw*bandRows)
	acc := make([]uint16, 3*lw*bandRows)
	for y0 := 0; y0 < lh; y0 += localBandRows {
		bh := min(localBandRows, lh-y0)
		n := lw * bh
		a := acc[:3*n]
		clear(a)
		for k, c := range t.active {
			ix := idx[:n]
			for z := z0; z <= z1; z++ {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				b := buf[:n*bpp]
				if err := raw.ReadRegion(ctx, level, z, c, tp, 0, y0, lw, bh, b); err != nil {
					return nil, fmt.Errorf("raw pixels of image %d, z=%d c=%d t=%d: %w", id, z, c, tp, err)
				}
				t.indices(b, ix, z > z0)
			}
			lv, tint := t.levels[k], &t.tint[k]
			for i, v := range ix {
				rgb := &tint[lv[v]]
				a[3*i] += rgb[0]
				a[3*i+1] += rgb[1]
				a[3*i+2] += rgb[2]
			}
		}
		pix := out.Pix[y0*lw*3 : (y0+bh)*lw*3]
		for i, v := range a {
			pix[i] = uint8(min(v, 255))
		}
	}
	return out, nil
}
