// Package ijroi writes ImageJ's ROI files (.roi) and ROI sets (RoiSet.zip),
// so that the ROIs OMERO holds for an image open in ImageJ and Fiji beside
// its planes. The format is ImageJ's published one (ij/io/RoiDecoder.java
// describes it; docs/omero-web.md sums it up): a 64-byte big-endian header,
// the coordinates, then a second 64-byte header with the C/Z/T position and
// the name. It is written from that description, not translated from
// ImageJ's code.
//
// Only what OMERO's shapes need is written: rectangles, ovals, polygons,
// polylines, straight lines, points and text. Integer geometry is stored as
// ImageJ stores integer ROIs; geometry with fractions is stored with
// ImageJ's sub-pixel option, so nothing is rounded away.
package ijroi

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
)

// Kind is the kind of an ImageJ ROI.
type Kind int

const (
	Rect Kind = iota
	Oval
	Polygon
	Polyline
	Line
	Point
	Text
)

var kindNames = [...]string{"rect", "oval", "polygon", "polyline", "line", "point", "text"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ROI is one ImageJ ROI in image pixel coordinates.
type ROI struct {
	Kind Kind
	Name string // shown in ImageJ's ROI Manager; may be empty

	// Rect, Oval and Text: the bounding box (a Text's box is its position
	// and, when Width or Height is 0, a size guessed from the font).
	X, Y, Width, Height float64
	// Polygon, Polyline and Point: the vertices (at least one).
	XS, YS []float64
	// Line: its two ends.
	X1, Y1, X2, Y2 float64

	// C, Z and T are 1-based plane indexes; 0 means every channel, section
	// or timepoint, as in ImageJ's Roi.setPosition(c, z, t).
	C, Z, T int

	// StrokeColor and FillColor are ARGB (ImageJ's order), 0 = unset.
	StrokeColor, FillColor uint32
	StrokeWidth            float64 // 0 = ImageJ's default

	Text     string  // Text only
	FontSize float64 // Text only; 0 = 12
}

// ARGB converts OMERO's colour, a signed 32-bit RGBA integer, to ImageJ's
// ARGB.
func ARGB(rgba int32) uint32 {
	v := uint32(rgba)
	return v>>8 | (v&0xff)<<24
}

// ImageJ's file layout: offsets into the first header.
const (
	headerSize  = 64
	header2Size = 64
	version     = 227 // the format as of ImageJ 1.50d; 1.53 reads it unchanged

	offVersion     = 4
	offType        = 6
	offTop         = 8
	offLeft        = 10
	offBottom      = 12
	offRight       = 14
	offN           = 16
	offX1          = 18 // line ends, or a sub-pixel rectangle's x, y, width, height
	offStrokeWidth = 34
	offStrokeColor = 40
	offFillColor   = 44
	offSubtype     = 48
	offOptions     = 50
	offPointType   = 52
	offHeader2     = 60

	// offsets into the second header
	h2C          = 4
	h2Z          = 8
	h2T          = 12
	h2NameOffset = 16
	h2NameLength = 20
	h2FloatWidth = 36

	subtypeText     = 1
	optionSubPixel  = 128
	maxShort        = 60000 // the largest value ImageJ's reader takes back as unsigned
	minShort        = -5000 // the smallest it takes as signed
	defaultFontSize = 12
)

// ImageJ's type codes.
var typeCodes = map[Kind]byte{Polygon: 0, Rect: 1, Oval: 2, Line: 3, Polyline: 5, Point: 10, Text: 1}

// Encode returns r as the bytes of an ImageJ .roi file.
func Encode(r ROI) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	name := utf16.Encode([]rune(r.Name))
	n := 0
	sub := false
	var body []byte // what sits between the two headers
	switch r.Kind {
	case Polygon, Polyline, Point:
		n = len(r.XS)
		sub = !allShorts(r.XS...) || !allShorts(r.YS...)
		body = make([]byte, 4*n)
		if sub {
			body = make([]byte, 12*n)
		}
	case Rect, Oval:
		sub = !allShorts(r.X, r.Y, r.X+r.Width, r.Y+r.Height)
	case Text:
		body = textBody(r)
	}
	h2 := headerSize + len(body)
	b := make([]byte, h2+header2Size+2*len(name))
	copy(b, "Iout")
	put16(b, offVersion, version)
	b[offType] = typeCodes[r.Kind]

	left, top, right, bottom := r.bounds()
	put16(b, offTop, top)
	put16(b, offLeft, left)
	put16(b, offBottom, bottom)
	put16(b, offRight, right)
	put16(b, offN, n)

	options := 0
	switch r.Kind {
	case Rect, Oval:
		if sub {
			options |= optionSubPixel
			putF32(b, offX1, r.X)
			putF32(b, offX1+4, r.Y)
			putF32(b, offX1+8, r.Width)
			putF32(b, offX1+12, r.Height)
		}
	case Line:
		putF32(b, offX1, r.X1)
		putF32(b, offX1+4, r.Y1)
		putF32(b, offX1+8, r.X2)
		putF32(b, offX1+12, r.Y2)
	case Polygon, Polyline, Point:
		// integer coordinates relative to the box, then (sub-pixel only)
		// absolute float coordinates
		for i := range n {
			put16(b, headerSize+2*i, int(math.Floor(r.XS[i]))-left)
			put16(b, headerSize+2*n+2*i, int(math.Floor(r.YS[i]))-top)
		}
		if sub {
			options |= optionSubPixel
			for i := range n {
				putF32(b, headerSize+4*n+4*i, r.XS[i])
				putF32(b, headerSize+8*n+4*i, r.YS[i])
			}
		}
	case Text:
		put16(b, offSubtype, subtypeText)
		copy(b[headerSize:], body)
	}
	put16(b, offOptions, options)

	strokeWidth := int(math.Round(r.StrokeWidth))
	if r.Kind == Point {
		// for points ImageJ keeps the marker's type and size here instead:
		// a hybrid marker of size "medium"
		b[offPointType] = 0
		strokeWidth = 2
	}
	put16(b, offStrokeWidth, strokeWidth)
	put32(b, offStrokeColor, r.StrokeColor)
	put32(b, offFillColor, r.FillColor)

	put32(b, offHeader2, uint32(h2))
	put32(b, h2+h2C, uint32(r.C))
	put32(b, h2+h2Z, uint32(r.Z))
	put32(b, h2+h2T, uint32(r.T))
	putF32(b, h2+h2FloatWidth, r.StrokeWidth)
	if len(name) > 0 {
		at := h2 + header2Size
		put32(b, h2+h2NameOffset, uint32(at))
		put32(b, h2+h2NameLength, uint32(len(name)))
		for i, u := range name {
			put16(b, at+2*i, int(u))
		}
	}
	return b, nil
}

// check refuses what ImageJ could not read back.
func (r ROI) check() error {
	if r.Kind < Rect || r.Kind > Text {
		return fmt.Errorf("ROI %q: unknown kind %d", r.Name, int(r.Kind))
	}
	if r.C < 0 || r.Z < 0 || r.T < 0 || r.C > math.MaxInt32 || r.Z > math.MaxInt32 || r.T > math.MaxInt32 {
		return fmt.Errorf("ROI %q: position c=%d z=%d t=%d out of range", r.Name, r.C, r.Z, r.T)
	}
	nums := []float64{r.X, r.Y, r.Width, r.Height, r.X1, r.Y1, r.X2, r.Y2, r.StrokeWidth, r.FontSize}
	nums = append(append(nums, r.XS...), r.YS...)
	for _, v := range nums {
		if math.IsNaN(v) || math.IsInf(v, 0) || v > 1e9 || v < -1e9 {
			return fmt.Errorf("ROI %q: coordinate %v out of range", r.Name, v)
		}
	}
	switch r.Kind {
	case Polygon, Polyline, Point:
		if len(r.XS) == 0 || len(r.XS) != len(r.YS) {
			return fmt.Errorf("ROI %q: %s needs as many x as y coordinates, and at least one (have %d, %d)",
				r.Name, r.Kind, len(r.XS), len(r.YS))
		}
		if len(r.XS) > maxShort {
			return fmt.Errorf("ROI %q: %d vertices, ImageJ reads at most %d", r.Name, len(r.XS), maxShort)
		}
	case Rect, Oval:
		if r.Width < 0 || r.Height < 0 {
			return fmt.Errorf("ROI %q: negative size %v × %v", r.Name, r.Width, r.Height)
		}
	}
	return nil
}

// bounds is the integer box ImageJ keeps in the first header.
func (r ROI) bounds() (left, top, right, bottom int) {
	var x0, y0, x1, y1 float64
	switch r.Kind {
	case Polygon, Polyline, Point:
		x0, x1 = minMax(r.XS)
		y0, y1 = minMax(r.YS)
	case Line:
		x0, x1 = math.Min(r.X1, r.X2), math.Max(r.X1, r.X2)
		y0, y1 = math.Min(r.Y1, r.Y2), math.Max(r.Y1, r.Y2)
	case Text:
		w, h := r.textBox()
		x0, y0, x1, y1 = r.X, r.Y, r.X+w, r.Y+h
	default:
		x0, y0, x1, y1 = r.X, r.Y, r.X+r.Width, r.Y+r.Height
	}
	left, top = clampShort(math.Floor(x0)), clampShort(math.Floor(y0))
	right, bottom = clampShort(math.Ceil(x1)), clampShort(math.Ceil(y1))
	return left, top, right, bottom
}

// textBox is a Text ROI's size: the given one, or one guessed from the
// font size (ImageJ recomputes it when it draws the text).
func (r ROI) textBox() (w, h float64) {
	w, h = r.Width, r.Height
	size := r.fontSize()
	if w <= 0 {
		w = math.Max(1, math.Ceil(0.6*size*float64(len([]rune(r.Text)))))
	}
	if h <= 0 {
		h = math.Ceil(1.2 * size)
	}
	return w, h
}

func (r ROI) fontSize() float64 {
	if r.FontSize > 0 {
		return math.Round(r.FontSize)
	}
	return defaultFontSize
}

const fontName = "SansSerif"

// textBody is a Text ROI's block after the first header: font size, style,
// the lengths of the font's name and of the text, both as UTF-16, and the
// angle.
func textBody(r ROI) []byte {
	font := utf16.Encode([]rune(fontName))
	text := utf16.Encode([]rune(r.Text))
	b := make([]byte, 16+2*len(font)+2*len(text)+4)
	put32(b, 0, uint32(r.fontSize()))
	put32(b, 4, 0) // plain, left-justified
	put32(b, 8, uint32(len(font)))
	put32(b, 12, uint32(len(text)))
	at := 16
	for _, u := range append(font, text...) {
		put16(b, at, int(u))
		at += 2
	}
	putF32(b, at, 0) // angle
	return b
}

func allShorts(vs ...float64) bool {
	for _, v := range vs {
		if v != math.Trunc(v) || v < minShort || v > maxShort {
			return false
		}
	}
	return true
}

func clampShort(v float64) int {
	return int(math.Max(minShort, math.Min(maxShort, v)))
}

func minMax(vs []float64) (lo, hi float64) {
	lo, hi = vs[0], vs[0]
	for _, v := range vs[1:] {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

func put16(b []byte, at, v int)        { binary.BigEndian.PutUint16(b[at:], uint16(v)) }
func put32(b []byte, at int, v uint32) { binary.BigEndian.PutUint32(b[at:], v) }
func putF32(b []byte, at int, v float64) {
	binary.BigEndian.PutUint32(b[at:], math.Float32bits(float32(v)))
}
