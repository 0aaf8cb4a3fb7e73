package raw

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/blosc"
	"github.com/omerofs/omerofs/render/tiff"
)

// zarrArray is level 0 of an image through omero-web-zarr. Only the
// app's own choices are assumed (docs/omero-web.md): axes are the
// dimensions larger than 1 ending in y, x; chunks may be any shape (the
// app swaps height and width for whole-plane chunks); Blosc or no
// compressor; "/" between chunk indices; C order. Level 0 only: the app
// byte-swaps multi-byte values of lower pyramid levels.
type zarrArray struct {
	conn           *gateway.Conn
	im             Image
	axes           []string
	shape, chunks  []int
	strides        []int // items between neighbours along each axis within a chunk
	little         bool
	blosc          bool
	chunkY, chunkX int
	chunkBytes     int
}

// zarrMeta is the part of a .zarray we read.
type zarrMeta struct {
	Shape      []int           `json:"shape"`
	Chunks     []int           `json:"chunks"`
	Dtype      string          `json:"dtype"`
	Compressor json.RawMessage `json:"compressor"`
	Filters    json.RawMessage `json:"filters"`
	Order      string          `json:"order"`
	Separator  string          `json:"dimension_separator"`
	ZarrFormat int             `json:"zarr_format"`
}

// dtypeOf maps a NumPy dtype string to a pixel type and its byte order.
func dtypeOf(d string) (tiff.PixelType, bool, error) {
	if len(d) != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '|') {
		return 0, false, fmt.Errorf("dtype %q", d)
	}
	types := map[string]tiff.PixelType{"i1": tiff.Int8, "u1": tiff.Uint8, "i2": tiff.Int16, "u2": tiff.Uint16,
		"i4": tiff.Int32, "u4": tiff.Uint32, "f4": tiff.Float, "f8": tiff.Double}
	t, ok := types[d[1:]]
	if !ok {
		return 0, false, fmt.Errorf("dtype %q is no OMERO pixel type", d)
	}
	return t, d[0] == '<', nil
}

func openZarr(ctx context.Context, conn *gateway.Conn, im Image) (*zarrArray, error) {
	attrs, err := conn.ZarrAttrs(ctx, im.ID)
	if err != nil {
		return nil, err
	}
	axes, err := parseAxes(attrs)
	if err != nil {
		return nil, fmt.Errorf("zarr attributes of image %d: %w", im.ID, err)
	}
	body, err := conn.ZarrArray(ctx, im.ID, 0)
	if err != nil {
		return nil, err
	}
	var m zarrMeta
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf(".zarray of image %d: %w", im.ID, err)
	}
	a := &zarrArray{conn: conn, im: im, axes: axes, shape: m.Shape, chunks: m.Chunks}
	if err := a.check(m); err != nil {
		return nil, fmt.Errorf(".zarray of image %d: %w", im.ID, err)
	}
	return a, nil
}

func (a *zarrArray) check(m zarrMeta) error {
	n := len(a.axes)
	if m.ZarrFormat != 2 || len(m.Shape) != n || len(m.Chunks) != n {
		return fmt.Errorf("zarr_format %d, shape %v, chunks %v for axes %v", m.ZarrFormat, m.Shape, m.Chunks, a.axes)
	}
	if (m.Order != "" && m.Order != "C") || (len(m.Filters) > 0 && string(m.Filters) != "null") || (m.Separator != "" && m.Separator != "/") {
		return fmt.Errorf("order %q, filters %s, separator %q: not read", m.Order, m.Filters, m.Separator)
	}
	pt, little, err := dtypeOf(m.Dtype)
	if err != nil {
		return err
	}
	if pt != a.im.Type {
		return fmt.Errorf("dtype %s, but the image is %s", m.Dtype, a.im.Type)
	}
	a.little = little
	switch comp := string(m.Compressor); comp {
	case "", "null":
	default:
		var c struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(m.Compressor, &c) != nil || c.ID != "blosc" {
			return fmt.Errorf("compressor %s: only blosc is read", comp)
		}
		a.blosc = true
	}
	sizes := map[string]int{"t": a.im.SizeT, "c": a.im.SizeC, "z": a.im.SizeZ, "y": a.im.SizeY, "x": a.im.SizeX}
	seen := map[string]bool{}
	for i, ax := range a.axes {
		want, ok := sizes[ax]
		if !ok || seen[ax] || m.Shape[i] != want || m.Chunks[i] <= 0 {
			return fmt.Errorf("axis %q of size %d (chunk %d), image size %d", ax, m.Shape[i], m.Chunks[i], want)
		}
		seen[ax] = true
	}
	for ax, size := range sizes {
		if !seen[ax] && size != 1 {
			return fmt.Errorf("no %s axis for an image of size %d along it", ax, size)
		}
	}
	a.strides = make([]int, n)
	items := 1
	for i := n - 1; i >= 0; i-- {
		a.strides[i] = items
		items *= m.Chunks[i]
	}
	if items > 1<<30/pt.Bytes() {
		return fmt.Errorf("chunks %v are too large", m.Chunks)
	}
	a.chunkBytes = items * pt.Bytes()
	a.chunkY, a.chunkX = m.Chunks[n-2], m.Chunks[n-1]
	return nil
}

// rows fetches rows [y0, y0+h) of plane (z, c, t), within one row of
// chunks, as big-endian bytes.
func (a *zarrArray) rows(ctx context.Context, z, c, t, y0, h int) ([]byte, error) {
	im := a.im
	bpp := im.Type.Bytes()
	rowBytes := im.SizeX * bpp
	n := len(a.axes)
	key := make([]int, n)
	inner := 0 // item offset of our plane inside the chunk
	for i, ax := range a.axes[:n-2] {
		idx := map[string]int{"t": t, "c": c, "z": z}[ax]
		key[i] = idx / a.chunks[i]
		inner += idx % a.chunks[i] * a.strides[i]
	}
	cy := y0 / a.chunkY
	if (y0+h-1)/a.chunkY != cy {
		return nil, fmt.Errorf("rows %d+%d span two rows of chunks", y0, h)
	}
	key[n-2] = cy
	out := make([]byte, h*rowBytes)
	chunk := make([]byte, a.chunkBytes)
	for cx := 0; cx*a.chunkX < im.SizeX; cx++ {
		key[n-1] = cx
		data, err := a.conn.ZarrChunk(ctx, im.ID, 0, key, int64(a.chunkBytes)+int64(a.chunkBytes)/8+4096)
		if err != nil {
			return nil, err
		}
		if a.blosc {
			if err := blosc.Decode(chunk, data); err != nil {
				return nil, fmt.Errorf("zarr chunk %v of image %d: %w", key, im.ID, err)
			}
		} else if len(data) != a.chunkBytes {
			return nil, fmt.Errorf("zarr chunk %v of image %d: %d bytes, want %d", key, im.ID, len(data), a.chunkBytes)
		} else {
			copy(chunk, data)
		}
		x0 := cx * a.chunkX
		w := min(a.chunkX, im.SizeX-x0)
		for r := 0; r < h; r++ {
			src := chunk[(inner+(y0-cy*a.chunkY+r)*a.strides[n-2])*bpp:][:w*bpp]
			dst := out[r*rowBytes+x0*bpp:][:w*bpp]
			copy(dst, src)
			if a.little {
				toBigEndian(dst, bpp)
			}
		}
	}
	return out, nil
}

// toBigEndian turns little-endian values of size bytes into big-endian.
func toBigEndian(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+2 <= len(b); i += 2 {
			binary.BigEndian.PutUint16(b[i:], binary.LittleEndian.Uint16(b[i:]))
		}
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(b[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			binary.BigEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:]))
		}
	}
}
