package ijroi

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
)

// decoded is what the test decoder reads back from a .roi file, following
// the format description in ImageJ's RoiDecoder (not our encoder).
type decoded struct {
	Type                     int
	Subtype                  int
	Options                  int
	Left, Top, Right, Bottom int
	N                        int
	XS, YS                   []float64 // absolute vertices
	Line                     [4]float64
	SubRect                  [4]float64
	C, Z, T                  int
	Name                     string
	Stroke, Fill             uint32
	StrokeWidth              float32
	FontSize                 int
	Font, Text               string
}

func decode(b []byte) (decoded, error) {
	var d decoded
	if len(b) < 64 || string(b[:4]) != "Iout" {
		return d, fmt.Errorf("not an ImageJ ROI")
	}
	s16 := func(at int) int {
		n := int(int16(binary.BigEndian.Uint16(b[at:])))
		if n < -5000 {
			n = int(binary.BigEndian.Uint16(b[at:]))
		}
		return n
	}
	u32 := func(at int) uint32 { return binary.BigEndian.Uint32(b[at:]) }
	f32 := func(at int) float64 { return float64(math.Float32frombits(u32(at))) }
	if v := s16(4); v < 222 {
		return d, fmt.Errorf("version %d", v)
	}
	d.Type = int(b[6])
	d.Top, d.Left, d.Bottom, d.Right = s16(8), s16(10), s16(12), s16(14)
	d.N = s16(16)
	d.Subtype = s16(48)
	d.Options = s16(50)
	d.Stroke, d.Fill = u32(40), u32(44)
	for i := range 4 {
		d.Line[i] = f32(18 + 4*i)
		d.SubRect[i] = f32(18 + 4*i)
	}
	n := d.N
	sub := d.Options&128 != 0
	if n > 0 {
		need := 64 + 4*n
		if sub {
			need += 8 * n
		}
		if len(b) < need {
			return d, fmt.Errorf("%d coordinates need %d bytes, have %d", n, need, len(b))
		}
		for i := range n {
			x, y := float64(d.Left+s16(64+2*i)), float64(d.Top+s16(64+2*n+2*i))
			if sub {
				x, y = f32(64+4*n+4*i), f32(64+8*n+4*i)
			}
			d.XS, d.YS = append(d.XS, x), append(d.YS, y)
		}
	}
	if d.Subtype == 1 {
		d.FontSize = int(u32(64))
		fl, tl := int(u32(72)), int(u32(76))
		d.Font = utf16At(b, 80, fl)
		d.Text = utf16At(b, 80+2*fl, tl)
	}
	h2 := int(u32(60))
	if h2 <= 0 || h2+64 > len(b) {
		return d, fmt.Errorf("header2 at %d, file %d bytes", h2, len(b))
	}
	d.C, d.Z, d.T = int(u32(h2+4)), int(u32(h2+8)), int(u32(h2+12))
	d.StrokeWidth = math.Float32frombits(u32(h2 + 36))
	if off, l := int(u32(h2+16)), int(u32(h2+20)); off > 0 && l > 0 {
		if off+2*l > len(b) {
			return d, fmt.Errorf("name past the end")
		}
		d.Name = utf16At(b, off, l)
	}
	return d, nil
}

func utf16At(b []byte, at, n int) string {
	u := make([]uint16, n)
	for i := range n {
		u[i] = binary.BigEndian.Uint16(b[at+2*i:])
	}
	return string(utf16.Decode(u))
}
