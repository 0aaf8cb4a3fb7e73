package tiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Reader reads the pages of an uncompressed, one-sample-per-pixel TIFF or
// BigTIFF of either byte order, in strips or tiles: what our writer, ImageJ
// and Bio-Formats' OME-TIFF writer (OMERO's export) produce.
type Reader struct {
	r     io.ReaderAt
	size  int64
	order binary.ByteOrder
	big   bool
	Pages []PageInfo
}

// PageInfo describes one page.
type PageInfo struct {
	Width, Height int
	Type          PixelType
	Description   string
	// where the pixels are: strips (tileW = Width, tileH = rows per strip)
	// or tiles, row-major
	tileW, tileH int
	offsets      []int64
	counts       []int64
}

// maxPages bounds the IFD chain, so a loop or a hostile file cannot hang us.
const maxPages = 1 << 20

// NewReader parses the header and every IFD of the size bytes of r.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	t := &Reader{r: r, size: size}
	var h [16]byte
	if _, err := r.ReadAt(h[:8], 0); err != nil {
		return nil, fmt.Errorf("tiff header: %w", err)
	}
	switch string(h[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return nil, errors.New("tiff: not a TIFF file")
	}
	var next int64
	switch t.order.Uint16(h[2:]) {
	case 42:
		next = int64(t.order.Uint32(h[4:]))
	case 43:
		t.big = true
		if _, err := r.ReadAt(h[:16], 0); err != nil {
			return nil, fmt.Errorf("bigtiff header: %w", err)
		}
		if t.order.Uint16(h[4:]) != 8 {
			return nil, errors.New("tiff: unsupported BigTIFF offset size")
		}
		next = int64(t.order.Uint64(h[8:]))
	default:
		return nil, errors.New("tiff: not a TIFF file (bad version)")
	}
	seen := map[int64]bool{}
	for next != 0 {
		if seen[next] || len(t.Pages) >= maxPages {
			return nil, errors.New("tiff: IFD chain loops or is too long")
		}
		seen[next] = true
		p, n, err := t.readIFD(next)
		if err != nil {
			return nil, fmt.Errorf("tiff: IFD %d: %w", len(t.Pages), err)
		}
		t.Pages = append(t.Pages, p)
		next = n
	}
	if len(t.Pages) == 0 {
		return nil, errors.New("tiff: no pages")
	}
	return t, nil
}

func (t *Reader) readAt(n, off int64) ([]byte, error) {
	if off < 0 || n < 0 || off > t.size || n > t.size-off {
		return nil, fmt.Errorf("%d bytes at %d: past the end of the file (%d bytes)", n, off, t.size)
	}
	b := make([]byte, n)
	if _, err := t.r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && off+n == t.size) {
		return nil, err
	}
	return b, nil
}

var typeSize = map[uint16]int64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8, 17: 8, 18: 8}

// field is a tag's values, as integers (RATIONAL: numerator only) and as
// bytes for ASCII.
type field struct {
	ints []int64
	raw  []byte
}

func (t *Reader) readIFD(off int64) (PageInfo, int64, error) {
	cntLen, entLen, ptrLen := int64(2), int64(12), int64(4)
	if t.big {
		cntLen, entLen, ptrLen = 8, 20, 8
	}
	b, err := t.readAt(cntLen, off)
	if err != nil {
		return PageInfo{}, 0, err
	}
	var count int64
	if t.big {
		count = int64(t.order.Uint64(b))
	} else {
		count = int64(t.order.Uint16(b))
	}
	if count <= 0 || count > 4096 {
		return PageInfo{}, 0, fmt.Errorf("%d entries", count)
	}
	body, err := t.readAt(count*entLen+ptrLen, off+cntLen)
	if err != nil {
		return PageInfo{}, 0, err
	}
	fields := map[uint16]field{}
	for i := int64(0); i < count; i++ {
		e := body[i*entLen : (i+1)*entLen]
		tag, typ := t.order.Uint16(e), t.order.Uint16(e[2:])
		var n int64
		val := e[8:]
		if t.big {
			n = int64(t.order.Uint64(e[4:]))
			val = e[12:]
		} else {
			n = int64(t.order.Uint32(e[4:]))
		}
		sz, ok := typeSize[typ]
		if !ok || n < 0 || n > t.size {
			continue // unknown types are skipped, as readers must
		}
		data := val[:min(int64(len(val)), sz*n)]
		if sz*n > ptrLen {
			var at int64
			if t.big {
				at = int64(t.order.Uint64(val))
			} else {
				at = int64(t.order.Uint32(val))
			}
			if data, err = t.readAt(sz*n, at); err != nil {
				return PageInfo{}, 0, fmt.Errorf("tag %d: %w", tag, err)
			}
		}
		f := field{raw: data}
		for j := int64(0); j < n && typ != 2; j++ {
			v := data[j*sz:]
			switch sz {
			case 1:
				f.ints = append(f.ints, int64(v[0]))
			case 2:
				f.ints = append(f.ints, int64(t.order.Uint16(v)))
			case 4:
				f.ints = append(f.ints, int64(t.order.Uint32(v)))
			case 8:
				if typ == 5 || typ == 10 {
					f.ints = append(f.ints, int64(t.order.Uint32(v)))
				} else {
					f.ints = append(f.ints, int64(t.order.Uint64(v)))
				}
			}
		}
		fields[tag] = f
	}
	tail := body[count*entLen:]
	var next int64
	if t.big {
		next = int64(t.order.Uint64(tail))
	} else {
		next = int64(t.order.Uint32(tail))
	}
	one := func(tag uint16, def int64) int64 {
		if f, ok := fields[tag]; ok && len(f.ints) > 0 {
			return f.ints[0]
		}
		return def
	}
	p := PageInfo{Width: int(one(256, 0)), Height: int(one(257, 0))}
	if p.Width <= 0 || p.Height <= 0 || p.Width > math.MaxInt32 || p.Height > math.MaxInt32 {
		return p, 0, fmt.Errorf("size %d×%d", p.Width, p.Height)
	}
	if c := one(259, 1); c != 1 {
		return p, 0, fmt.Errorf("compression %d: only uncompressed pages are read", c)
	}
	if s := one(277, 1); s != 1 {
		return p, 0, fmt.Errorf("%d samples a pixel: only 1 is read", s)
	}
	bits, format := one(258, 1), one(339, 1)
	p.Type = typeOf(bits, format)
	if p.Type == 0 {
		return p, 0, fmt.Errorf("%d-bit samples of format %d", bits, format)
	}
	if f, ok := fields[270]; ok {
		d := f.raw
		for len(d) > 0 && d[len(d)-1] == 0 {
			d = d[:len(d)-1]
		}
		p.Description = string(d)
	}
	if _, tiled := fields[324]; tiled {
		p.tileW, p.tileH = int(one(322, 0)), int(one(323, 0))
		p.offsets, p.counts = fields[324].ints, fields[325].ints
	} else {
		p.tileW, p.tileH = p.Width, int(min(one(278, int64(p.Height)), int64(p.Height)))
		p.offsets, p.counts = fields[273].ints, fields[279].ints
	}
	if p.tileW <= 0 || p.tileH <= 0 {
		return p, 0, fmt.Errorf("tile or strip size %d×%d", p.tileW, p.tileH)
	}
	across := (p.Width + p.tileW - 1) / p.tileW
	down := (p.Height + p.tileH - 1) / p.tileH
	if len(p.offsets) != across*down || len(p.counts) != len(p.offsets) {
		return p, 0, fmt.Errorf("%d offsets and %d counts for %d×%d pieces", len(p.offsets), len(p.counts), across, down)
	}
	bpp := int64(p.Type.Bytes())
	for i := range p.counts {
		if p.counts[i] < int64(p.tileW)*int64(min(p.tileH, p.Height))*bpp && fields[324].ints == nil {
			// a last strip may be short: it holds only the remaining rows
			rows := min(p.tileH, p.Height-(i/across)*p.tileH)
			if p.counts[i] < int64(p.tileW)*int64(rows)*bpp {
				return p, 0, fmt.Errorf("strip %d has %d bytes, too few", i, p.counts[i])
			}
		} else if fields[324].ints != nil && p.counts[i] < int64(p.tileW)*int64(p.tileH)*bpp {
			return p, 0, fmt.Errorf("tile %d has %d bytes, too few", i, p.counts[i])
		}
	}
	return p, next, nil
}

func typeOf(bits, format int64) PixelType {
	switch {
	case bits == 8 && format == 1:
		return Uint8
	case bits == 8 && format == 2:
		return Int8
	case bits == 16 && format == 1:
		return Uint16
	case bits == 16 && format == 2:
		return Int16
	case bits == 32 && format == 1:
		return Uint32
	case bits == 32 && format == 2:
		return Int32
	case bits == 32 && format == 3:
		return Float
	case bits == 64 && format == 3:
		return Double
	}
	return 0
}

// ReadRows fills buf with rows [y, y+n) of a page, big-endian whatever
// the file's order: n·Width·Type.Bytes() bytes.
func (t *Reader) ReadRows(page, y, n int, buf []byte) error {
	if page < 0 || page >= len(t.Pages) {
		return fmt.Errorf("tiff: no page %d of %d", page, len(t.Pages))
	}
	p := &t.Pages[page]
	bpp := p.Type.Bytes()
	rowBytes := p.Width * bpp
	if y < 0 || n < 0 || y+n > p.Height || len(buf) != n*rowBytes {
		return fmt.Errorf("tiff: rows %d+%d of a %d-row page into %d bytes", y, n, p.Height, len(buf))
	}
	across := (p.Width + p.tileW - 1) / p.tileW
	for ty := y / p.tileH; ty*p.tileH < y+n; ty++ {
		r0, r1 := max(y, ty*p.tileH), min(y+n, (ty+1)*p.tileH, p.Height)
		for tx := 0; tx < across; tx++ {
			i := ty*across + tx
			x0 := tx * p.tileW
			w := min(p.tileW, p.Width-x0)
			pieceRow := int64(p.tileW * bpp)
			start := p.offsets[i] + int64(r0-ty*p.tileH)*pieceRow
			data, err := t.readAt(int64(r1-r0-1)*pieceRow+int64(w*bpp), start)
			if err != nil {
				return fmt.Errorf("tiff: page %d piece %d: %w", page, i, err)
			}
			for r := r0; r < r1; r++ {
				src := data[int64(r-r0)*pieceRow:][:w*bpp]
				dst := buf[(r-y)*rowBytes+x0*bpp:][:w*bpp]
				copy(dst, src)
			}
		}
	}
	if t.order == binary.LittleEndian {
		swap(buf, bpp)
	}
	return nil
}

// swap reverses the bytes of each size-byte value of b in place.
func swap(b []byte, size int) {
	if size == 1 {
		return
	}
	for i := 0; i+size <= len(b); i += size {
		for a, z := i, i+size-1; a < z; a, z = a+1, z-1 {
			b[a], b[z] = b[z], b[a]
		}
	}
}
