package tiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Page is one uncompressed image of a file: one sample a pixel, in strips.
type Page struct {
	Width, Height int
	Type          PixelType
	// Description is the ImageDescription (ASCII; a NUL is added). It is
	// always written, so a page's length depends on len(Description) only.
	Description string
	// PhysicalSizeX/Y are µm per pixel, written as XResolution/YResolution
	// in pixels per µm with ResolutionUnit "none", as ImageJ does (the unit
	// is in its description); 0 = unknown, written as 1/1.
	PhysicalSizeX, PhysicalSizeY float64
}

// File is a TIFF of one or more pages, big-endian ("MM"): classic TIFF
// when it fits in 4 GiB, BigTIFF above. Its layout, and so its length and
// every byte that is not a pixel, follows from the pages alone.
type File struct {
	Pages []Page
	// bigTIFF forces BigTIFF (tests: real ones need 4 GiB).
	bigTIFF bool
}

// RowSource fills buf with rows [y, y+n) of page p: n·Width·Type.Bytes()
// bytes, big-endian.
type RowSource func(p, y, n int, buf []byte) error

// stripTarget is the preferred size of a strip: a few rows of a big plane,
// the whole of a small one.
const stripTarget = 64 << 10

// numTags is the number of IFD entries every page has.
const numTags = 16

// pageLayout is where a page's parts lie in the file.
type pageLayout struct {
	ifd, data   int64 // offsets of the IFD and of the first pixel byte
	end         int64 // offset after the page's pixels (and padding)
	rowBytes    int64
	rowsPerStrp int
	strips      int
}

// layout places every page; big says whether offsets are BigTIFF's.
type layout struct {
	big   bool
	pages []pageLayout
	size  int64
}

func even(n int64) int64 { return n + n&1 }

func (p *Page) check() error {
	if !p.Type.Valid() {
		return fmt.Errorf("tiff: invalid pixel type %d", p.Type)
	}
	if p.Width <= 0 || p.Height <= 0 || p.Width > math.MaxUint32 || p.Height > math.MaxUint32 {
		return fmt.Errorf("tiff: invalid page size %d×%d", p.Width, p.Height)
	}
	if int64(p.Width)*int64(p.Type.Bytes()) > math.MaxInt32 {
		return fmt.Errorf("tiff: rows of %d pixels are too long", p.Width)
	}
	for i := 0; i < len(p.Description); i++ {
		if p.Description[i] == 0 || p.Description[i] >= 0x80 {
			return errors.New("tiff: the description must be ASCII without NUL")
		}
	}
	if !(p.PhysicalSizeX >= 0) || !(p.PhysicalSizeY >= 0) || math.IsInf(p.PhysicalSizeX, 0) || math.IsInf(p.PhysicalSizeY, 0) {
		return fmt.Errorf("tiff: invalid physical size %v × %v", p.PhysicalSizeX, p.PhysicalSizeY)
	}
	return nil
}

// plan lays the file out, as classic TIFF if it fits, else BigTIFF.
func (f *File) plan() (*layout, error) {
	if len(f.Pages) == 0 {
		return nil, errors.New("tiff: a file needs a page")
	}
	for i := range f.Pages {
		if err := f.Pages[i].check(); err != nil {
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
	}
	if l := f.planAs(false); l.size <= math.MaxUint32 && !f.bigTIFF {
		return l, nil
	}
	return f.planAs(true), nil
}

func (f *File) planAs(big bool) *layout {
	l := &layout{big: big}
	off := int64(8)
	entry, inline, ptr := int64(12), int64(4), int64(4)
	ifdFixed := int64(2 + 4)
	if big {
		off, entry, inline, ptr, ifdFixed = 16, 20, 8, 8, 8+8
	}
	extra := func(n int64) int64 { // bytes a value of n bytes takes outside the IFD
		if n <= inline {
			return 0
		}
		return even(n)
	}
	for _, p := range f.Pages {
		pl := pageLayout{ifd: off, rowBytes: int64(p.Width) * int64(p.Type.Bytes())}
		pl.rowsPerStrp = max(1, min(p.Height, int(stripTarget/pl.rowBytes)))
		pl.strips = (p.Height + pl.rowsPerStrp - 1) / pl.rowsPerStrp
		meta := ifdFixed + numTags*entry
		meta += extra(int64(len(p.Description)) + 1)
		meta += 2 * extra(8) // X and Y resolution
		meta += 2 * extra(int64(pl.strips)*ptr)
		pl.data = off + meta
		pl.end = pl.data + even(pl.rowBytes*int64(p.Height))
		off = pl.end
		l.pages = append(l.pages, pl)
	}
	l.size = off
	return l
}

// Size is the file's length in bytes.
func (f *File) Size() (int64, error) {
	l, err := f.plan()
	if err != nil {
		return 0, err
	}
	return l.size, nil
}

// rational writes v as a TIFF RATIONAL over 10⁶, as ImageJ does
// (TiffEncoder.writeScale), with a smaller denominator when the numerator
// would pass Java's int range (ImageJ reads them as ints).
func rational(v float64) (num, den uint32) {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1, 1
	}
	d := 1e6
	for d > 1 && v*d > math.MaxInt32 {
		d /= 10
	}
	n := math.Round(v * d)
	if n < 1 {
		n = 1
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	return uint32(n), uint32(d)
}

// meta builds the bytes from page i's IFD to its first pixel.
func (f *File) meta(l *layout, i int) []byte {
	p, pl := &f.Pages[i], &l.pages[i]
	be := binary.BigEndian
	var ifd, ext bytes.Buffer
	inline := 4
	if l.big {
		inline = 8
	}
	ifdLen := int64(2 + 4 + numTags*12)
	if l.big {
		ifdLen = 8 + 8 + numTags*20
	}
	extBase := pl.ifd + ifdLen
	if l.big {
		binary.Write(&ifd, be, uint64(numTags))
	} else {
		binary.Write(&ifd, be, uint16(numTags))
	}
	// entry writes one IFD entry; value holds count values of the type's
	// size, big-endian, inline when they fit, else in the extra area.
	entry := func(tag, typ uint16, count int, value []byte) {
		binary.Write(&ifd, be, tag)
		binary.Write(&ifd, be, typ)
		if l.big {
			binary.Write(&ifd, be, uint64(count))
		} else {
			binary.Write(&ifd, be, uint32(count))
		}
		if len(value) <= inline {
			v := make([]byte, inline)
			copy(v, value)
			ifd.Write(v)
			return
		}
		at := extBase + int64(ext.Len())
		if l.big {
			binary.Write(&ifd, be, uint64(at))
		} else {
			binary.Write(&ifd, be, uint32(at))
		}
		ext.Write(value)
		if ext.Len()&1 == 1 {
			ext.WriteByte(0)
		}
	}
	short := func(v uint16) []byte { return be.AppendUint16(nil, v) }
	long := func(v uint32) []byte { return be.AppendUint32(nil, v) }
	rat := func(v float64) []byte {
		n, d := rational(v)
		return be.AppendUint32(be.AppendUint32(nil, n), d)
	}
	const (
		typShort, typLong, typRational, typASCII, typLong8 = 3, 4, 5, 2, 16
	)
	offsets := make([]byte, 0, pl.strips*8)
	counts := make([]byte, 0, pl.strips*8)
	for s := 0; s < pl.strips; s++ {
		rows := min(pl.rowsPerStrp, p.Height-s*pl.rowsPerStrp)
		o := pl.data + int64(s*pl.rowsPerStrp)*pl.rowBytes
		n := int64(rows) * pl.rowBytes
		if l.big {
			offsets, counts = be.AppendUint64(offsets, uint64(o)), be.AppendUint64(counts, uint64(n))
		} else {
			offsets, counts = be.AppendUint32(offsets, uint32(o)), be.AppendUint32(counts, uint32(n))
		}
	}
	ptrType := uint16(typLong)
	if l.big {
		ptrType = typLong8
	}
	pxy := func(v float64) float64 {
		if v > 0 {
			return 1 / v
		}
		return 0
	}
	entry(254, typLong, 1, long(0))                                              // NewSubfileType
	entry(256, typLong, 1, long(uint32(p.Width)))                                // ImageWidth
	entry(257, typLong, 1, long(uint32(p.Height)))                               // ImageLength
	entry(258, typShort, 1, short(uint16(8*p.Type.Bytes())))                     // BitsPerSample
	entry(259, typShort, 1, short(1))                                            // Compression: none
	entry(262, typShort, 1, short(1))                                            // Photometric: BlackIsZero
	entry(270, typASCII, len(p.Description)+1, append([]byte(p.Description), 0)) // ImageDescription
	entry(273, ptrType, pl.strips, offsets)                                      // StripOffsets
	entry(277, typShort, 1, short(1))                                            // SamplesPerPixel
	entry(278, typLong, 1, long(uint32(pl.rowsPerStrp)))                         // RowsPerStrip
	entry(279, ptrType, pl.strips, counts)                                       // StripByteCounts
	entry(282, typRational, 1, rat(pxy(p.PhysicalSizeX)))                        // XResolution
	entry(283, typRational, 1, rat(pxy(p.PhysicalSizeY)))                        // YResolution
	entry(284, typShort, 1, short(1))                                            // PlanarConfiguration: chunky
	entry(296, typShort, 1, short(1))                                            // ResolutionUnit: none
	entry(339, typShort, 1, short(p.Type.sampleFormat()))                        // SampleFormat
	next := int64(0)
	if i+1 < len(f.Pages) {
		next = l.pages[i+1].ifd
	}
	if l.big {
		binary.Write(&ifd, be, uint64(next))
	} else {
		binary.Write(&ifd, be, uint32(next))
	}
	out := append(ifd.Bytes(), ext.Bytes()...)
	if int64(len(out)) != pl.data-pl.ifd {
		panic(fmt.Sprintf("tiff: page %d metadata is %d bytes, planned %d", i, len(out), pl.data-pl.ifd))
	}
	return out
}

func (l *layout) header() []byte {
	if l.big {
		return []byte{'M', 'M', 0, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16}
	}
	return []byte{'M', 'M', 0, 42, 0, 0, 0, 8}
}

// WriteTo writes the file, asking src for each page's rows a strip at a
// time, so a plane of any size streams through a buffer of about 64 KiB.
func (f *File) WriteTo(w io.Writer, src RowSource) (int64, error) {
	l, err := f.plan()
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	cw.Write(l.header())
	var buf []byte
	for i := range f.Pages {
		p, pl := &f.Pages[i], &l.pages[i]
		cw.Write(f.meta(l, i))
		for y := 0; y < p.Height && cw.err == nil; y += pl.rowsPerStrp {
			n := min(pl.rowsPerStrp, p.Height-y)
			need := int(int64(n) * pl.rowBytes)
			if cap(buf) < need {
				buf = make([]byte, need)
			}
			if err := src(i, y, n, buf[:need]); err != nil {
				return cw.n, fmt.Errorf("tiff: rows %d..%d of page %d: %w", y, y+n-1, i, err)
			}
			cw.Write(buf[:need])
		}
		if (pl.rowBytes*int64(p.Height))&1 == 1 {
			cw.Write([]byte{0})
		}
		if cw.err != nil {
			return cw.n, cw.err
		}
	}
	if cw.n != l.size {
		return cw.n, fmt.Errorf("tiff: wrote %d bytes, planned %d", cw.n, l.size)
	}
	return cw.n, nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
	return n, err
}

// Segment is a byte range of the file: either fixed bytes (header and
// IFDs), or rows of one page's pixels.
type Segment struct {
	Offset, Length int64
	Bytes          []byte // fixed content; nil for pixels
	Page           int    // for pixels: the page,
	RowBytes       int64  // the length of a row
}

// Segments lists the file's byte ranges in order: what a random-access
// reader (a FUSE read at any offset) needs to map an offset to rows.
// Pixel byte k of a page segment is row k/RowBytes, byte k%RowBytes.
func (f *File) Segments() ([]Segment, error) {
	l, err := f.plan()
	if err != nil {
		return nil, err
	}
	h := l.header()
	segs := []Segment{{Offset: 0, Length: int64(len(h)), Bytes: h}}
	for i := range f.Pages {
		pl := &l.pages[i]
		m := f.meta(l, i)
		segs = append(segs, Segment{Offset: pl.ifd, Length: int64(len(m)), Bytes: m})
		n := pl.rowBytes * int64(f.Pages[i].Height)
		segs = append(segs, Segment{Offset: pl.data, Length: n, Page: i, RowBytes: pl.rowBytes})
		if n&1 == 1 {
			segs = append(segs, Segment{Offset: pl.data + n, Length: 1, Bytes: []byte{0}})
		}
	}
	return segs, nil
}

// Prepared is a file's layout computed once, for the many reads of a file
// served at random offsets.
type Prepared struct {
	size int64
	segs []Segment
}

// Prepare computes the layout (the IFDs' bytes included) once.
func (f *File) Prepare() (*Prepared, error) {
	segs, err := f.Segments()
	if err != nil {
		return nil, err
	}
	last := segs[len(segs)-1]
	return &Prepared{size: last.Offset + last.Length, segs: segs}, nil
}

// Size is the file's length.
func (p *Prepared) Size() int64 { return p.size }

// ReadAt fills b from offset off of the file, asking src only for the rows
// that range covers. It returns io.EOF when b reaches past the end.
func (p *Prepared) ReadAt(b []byte, off int64, src RowSource) (int, error) {
	if off < 0 {
		return 0, errors.New("tiff: negative offset")
	}
	n := 0
	for _, s := range p.segs {
		if n == len(b) {
			break
		}
		pos := off + int64(n)
		if pos >= s.Offset+s.Length || pos < s.Offset {
			continue
		}
		in := pos - s.Offset
		want := min(int64(len(b)-n), s.Length-in)
		if s.Bytes != nil {
			copy(b[n:], s.Bytes[in:in+want])
			n += int(want)
			continue
		}
		y0 := int(in / s.RowBytes)
		y1 := int((in + want + s.RowBytes - 1) / s.RowBytes)
		rows := make([]byte, int64(y1-y0)*s.RowBytes)
		if err := src(s.Page, y0, y1-y0, rows); err != nil {
			return n, fmt.Errorf("tiff: rows %d..%d of page %d: %w", y0, y1-1, s.Page, err)
		}
		skip := in - int64(y0)*s.RowBytes
		copy(b[n:], rows[skip:skip+want])
		n += int(want)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// ReadAt is Prepare then ReadAt, for a single read.
func (f *File) ReadAt(b []byte, off int64, src RowSource) (int, error) {
	p, err := f.Prepare()
	if err != nil {
		return 0, err
	}
	return p.ReadAt(b, off, src)
}
