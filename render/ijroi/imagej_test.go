package ijroi

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/render/ijroi/ijtest"
)

// TestImageJReadsSet has ImageJ itself (ij.io.RoiDecoder, fed as its ROI
// Manager feeds it) read a set holding every kind of ROI, and compares what
// it understood with what was written.
func TestImageJReadsSet(t *testing.T) {
	rois := sample()
	b, err := Set(rois)
	if err != nil {
		t.Fatal(err)
	}
	lines := ijtest.Dump(t, b)
	if len(lines) != len(rois) {
		t.Fatalf("ImageJ read %d ROIs, want %d:\n%s", len(lines), len(rois), strings.Join(lines, "\n"))
	}
	names := EntryNames(rois)
	for i, r := range rois {
		got := strings.Split(lines[i], "\t")
		want := expectFromImageJ(r, strings.TrimSuffix(names[i], ".roi"))
		if len(got) != len(want) {
			t.Errorf("ROI %d: ImageJ said %q", i, lines[i])
			continue
		}
		for k := range want {
			if !matches(got[k], want[k]) {
				t.Errorf("ROI %d (%s %q) field %d: ImageJ %q, want %q\n  %s", i, r.Kind, r.Name, k, got[k], want[k], lines[i])
			}
		}
	}
}

// expectFromImageJ is the line RoiSetDump.java should print for r; a "*"
// at the end of a field stands for what ImageJ chooses itself (the box of a
// line, polygon or text).
func expectFromImageJ(r ROI, label string) []string {
	class := map[Kind]string{Rect: "Roi", Oval: "OvalRoi", Polygon: "PolygonRoi", Polyline: "PolygonRoi",
		Line: "Line", Point: "PointRoi", Text: "TextRoi"}[r.Kind]
	typ := map[Kind]string{Rect: "Rectangle", Oval: "Oval", Polygon: "Polygon", Polyline: "Polyline",
		Line: "Straight Line", Point: "Point", Text: "Text"}[r.Kind]
	box, pts, text := "*", "", ""
	switch r.Kind {
	case Rect, Oval:
		box = jf(r.X) + "," + jf(r.Y) + "," + jf(r.Width) + "," + jf(r.Height)
	case Text:
		box = jf(r.X) + "," + jf(r.Y) + ",*" // ImageJ sizes the box from the font
		text = r.Text
	case Line:
		pts = jf(r.X1) + "," + jf(r.Y1) + " " + jf(r.X2) + "," + jf(r.Y2)
	default:
		var p []string
		for i := range r.XS {
			p = append(p, jf(r.XS[i])+","+jf(r.YS[i]))
		}
		pts = strings.Join(p, " ")
	}
	name := r.Name
	if name == "" {
		name = label
	}
	width := jf(r.StrokeWidth)
	return []string{label, class, typ, box, fmt.Sprintf("%d,%d,%d", r.C, r.Z, r.T), name,
		jcolor(r.StrokeColor), jcolor(r.FillColor), width, pts, text}
}

func matches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

// jf prints a number as Java prints a double that came from a float.
func jf(v float64) string {
	s := strconv.FormatFloat(float64(float32(v)), 'f', -1, 32)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func jcolor(c uint32) string {
	if c == 0 {
		return "none"
	}
	return fmt.Sprintf("%08x", c)
}
