package ijroi

import (
	"archive/zip"
	"bytes"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// sample has one ROI of every kind, integer and fractional geometry, every
// position form, and names that need UTF-16 surrogates or sanitising.
func sample() []ROI {
	return []ROI{
		{Kind: Rect, Name: "cell 1", X: 10, Y: 20, Width: 30, Height: 40, C: 2, Z: 3, T: 1,
			StrokeColor: 0xffff0000, FillColor: 0x4000ff00, StrokeWidth: 2},
		{Kind: Rect, Name: "sub-pixel rect", X: 10.5, Y: 20.25, Width: 30.5, Height: 4.75},
		{Kind: Oval, Name: "nucleus é", X: 5, Y: 6, Width: 20, Height: 10, Z: 2},
		{Kind: Oval, Name: "oval/half", X: 5.5, Y: 6.5, Width: 20, Height: 10, T: 4},
		{Kind: Polygon, Name: "poly", XS: []float64{1, 50, 25}, YS: []float64{2, 2, 60}, C: 1, Z: 1, T: 1},
		{Kind: Polygon, Name: "poly", XS: []float64{1.5, 50.25, 25}, YS: []float64{2, 2.5, 60}},
		{Kind: Polyline, Name: "path 🦠", XS: []float64{0, 10, 20, 30}, YS: []float64{5, 15, 5, 15}, StrokeColor: 0xff0000ff},
		{Kind: Line, Name: "line", X1: 3, Y1: 4, X2: 103.5, Y2: 44, StrokeWidth: 3},
		{Kind: Point, Name: "spot", XS: []float64{7}, YS: []float64{9}, C: 3},
		{Kind: Point, Name: "", XS: []float64{7.5}, YS: []float64{9.25}},
		{Kind: Text, Name: "label", X: 40, Y: 50, Text: "Mitosis ✓", FontSize: 14, StrokeColor: 0xffffff00},
	}
}

func TestEncodeDecodesBack(t *testing.T) {
	for _, r := range sample() {
		b, err := Encode(r)
		if err != nil {
			t.Fatalf("%s %q: %v", r.Kind, r.Name, err)
		}
		d, err := decode(b)
		if err != nil {
			t.Fatalf("%s %q: decode: %v", r.Kind, r.Name, err)
		}
		if d.Name != r.Name || d.C != r.C || d.Z != r.Z || d.T != r.T {
			t.Errorf("%s %q: name/position %q c%d z%d t%d", r.Kind, r.Name, d.Name, d.C, d.Z, d.T)
		}
		if d.Stroke != r.StrokeColor || d.Fill != r.FillColor || float64(d.StrokeWidth) != r.StrokeWidth {
			t.Errorf("%s %q: stroke %#x fill %#x width %v", r.Kind, r.Name, d.Stroke, d.Fill, d.StrokeWidth)
		}
		if d.Type != int(typeCodes[r.Kind]) {
			t.Errorf("%s %q: type %d", r.Kind, r.Name, d.Type)
		}
		switch r.Kind {
		case Rect, Oval:
			if d.Options&optionSubPixel != 0 {
				if d.SubRect != [4]float64{r.X, r.Y, r.Width, r.Height} {
					t.Errorf("%s %q: sub-pixel box %v", r.Kind, r.Name, d.SubRect)
				}
			} else if d.Left != int(r.X) || d.Top != int(r.Y) || d.Right-d.Left != int(r.Width) || d.Bottom-d.Top != int(r.Height) {
				t.Errorf("%s %q: box %d,%d-%d,%d", r.Kind, r.Name, d.Left, d.Top, d.Right, d.Bottom)
			}
			wantSub := r.X != math.Trunc(r.X) || r.Y != math.Trunc(r.Y) || r.Width != math.Trunc(r.Width) || r.Height != math.Trunc(r.Height)
			if (d.Options&optionSubPixel != 0) != wantSub {
				t.Errorf("%s %q: sub-pixel option %v, want %v", r.Kind, r.Name, d.Options&optionSubPixel != 0, wantSub)
			}
		case Polygon, Polyline, Point:
			if !reflect.DeepEqual(d.XS, r.XS) || !reflect.DeepEqual(d.YS, r.YS) {
				t.Errorf("%s %q: vertices %v %v", r.Kind, r.Name, d.XS, d.YS)
			}
		case Line:
			if d.Line != [4]float64{r.X1, r.Y1, r.X2, r.Y2} {
				t.Errorf("line: %v", d.Line)
			}
		case Text:
			if d.Subtype != 1 || d.Text != r.Text || d.FontSize != 14 || d.Font != "SansSerif" || d.Left != 40 || d.Top != 50 {
				t.Errorf("text: %+v", d)
			}
		}
	}
}

func TestEncodeLargeAndNegativeUseSubPixel(t *testing.T) {
	r := ROI{Kind: Polygon, XS: []float64{-6000, 70000, 100}, YS: []float64{0, 5, 90000}}
	b, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Options&optionSubPixel == 0 || !reflect.DeepEqual(d.XS, r.XS) || !reflect.DeepEqual(d.YS, r.YS) {
		t.Errorf("far vertices: options %d, %v %v", d.Options, d.XS, d.YS)
	}
}

func TestEncodeRefusesBadInput(t *testing.T) {
	bad := []ROI{
		{Kind: Kind(99)},
		{Kind: Polygon},
		{Kind: Polygon, XS: []float64{1, 2}, YS: []float64{1}},
		{Kind: Rect, Width: -1, Height: 1},
		{Kind: Rect, X: math.NaN()},
		{Kind: Line, X2: math.Inf(1)},
		{Kind: Point, XS: []float64{1}, YS: []float64{1}, Z: -1},
		{Kind: Rect, Width: 1, Height: 1, T: 1 << 33},
	}
	for _, r := range bad {
		if b, err := Encode(r); err == nil {
			t.Errorf("%+v: encoded %d bytes, want an error", r, len(b))
		}
	}
	if _, err := Set(bad[:1]); err == nil {
		t.Error("Set of a bad ROI: no error")
	}
}

func TestARGB(t *testing.T) {
	// red, green, blue, alpha bytes of OMERO's integer
	cases := map[int32]uint32{
		int32(-16776961):  0xffff0000, // ff 00 00 ff: opaque red
		int32(0x00ff00ff): 0xff00ff00, // opaque green
		int32(0x0000ff80): 0x800000ff, // half-transparent blue
		int32(0x40000000): 0x00400000, // red 0x40, alpha 0
	}
	for in, want := range cases {
		if got := ARGB(in); got != want {
			t.Errorf("ARGB(%#x) = %#x, want %#x", uint32(in), got, want)
		}
	}
}

func TestSetEntries(t *testing.T) {
	rois := sample()
	b, err := Set(rois)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Set(rois)
	if !bytes.Equal(b, again) {
		t.Error("two sets of the same ROIs differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(rois) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(rois))
	}
	want := []string{"cell 1.roi", "sub-pixel rect.roi", "nucleus é.roi", "oval_half.roi", "poly.roi",
		"poly-2.roi", "path 🦠.roi", "line.roi", "spot.roi", "roi.roi", "label.roi"}
	for i, f := range zr.File {
		if f.Name != want[i] {
			t.Errorf("entry %d: %q, want %q", i, f.Name, want[i])
		}
		if f.Method != zip.Store || f.Flags&0x8 != 0 {
			t.Errorf("%s: method %d flags %#x: want stored, sizes in the local header", f.Name, f.Method, f.Flags)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		enc, _ := Encode(rois[i])
		if !bytes.Equal(got, enc) {
			t.Errorf("%s: entry bytes differ from Encode", f.Name)
		}
	}
	empty, err := Set(nil)
	if err != nil {
		t.Fatal(err)
	}
	if zr, err := zip.NewReader(bytes.NewReader(empty), int64(len(empty))); err != nil || len(zr.File) != 0 {
		t.Errorf("empty set: %v", err)
	}
}

func TestEntryNamesUnique(t *testing.T) {
	rois := []ROI{{Name: "a"}, {Name: "A"}, {Name: "a"}, {Name: "a-2"}, {Name: ".."}, {Name: "x\x00y"}, {Name: "c:\\d"}}
	got := EntryNames(rois)
	want := []string{"a.roi", "A-2.roi", "a-3.roi", "a-2-2.roi", "roi.roi", "x_y.roi", "c:_d.roi"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[strings.ToLower(n)] {
			t.Errorf("repeated %q", n)
		}
		seen[strings.ToLower(n)] = true
	}
}
