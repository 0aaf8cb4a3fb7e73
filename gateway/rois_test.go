package gateway

import (
	"context"
	"reflect"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

func TestROIs(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	m01 := ts.Data().ImageNamed(t, "mitosis_01.dv")
	rois, err := c.ROIs(context.Background(), m01)
	if err != nil {
		t.Fatal(err)
	}
	if len(rois) != 8 {
		t.Fatalf("%d ROIs", len(rois))
	}
	kinds := map[string]int{}
	for i, r := range rois {
		if i > 0 && r.ID <= rois[i-1].ID {
			t.Errorf("ROIs not in id order")
		}
		for _, s := range r.Shapes {
			kinds[s.Kind()]++
		}
	}
	want := map[string]int{"Ellipse": 2, "Polygon": 1, "Rectangle": 1, "Line": 1, "Polyline": 1, "Point": 2, "Label": 1, "Mask": 1}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("shapes %v, want %v", kinds, want)
	}
	e := rois[0].Shapes[0]
	if e.X == nil || *e.X != 100 || *e.RadiusX != 30 || e.TheZ == nil || *e.TheZ != 4 || e.TheC != nil ||
		e.StrokeColor == nil || *e.StrokeColor != -16776961 || e.StrokeWidth == nil || e.StrokeWidth.Value != 2 {
		t.Errorf("ellipse %+v", e)
	}
	if none, err := c.ROIs(context.Background(), ts.Data().ImageNamed(t, "histology.tif")); err != nil || len(none) != 0 {
		t.Errorf("an image without ROIs: %v, %v", none, err)
	}
}

func TestParsePoints(t *testing.T) {
	for in, want := range map[string][2][]float64{
		"1,2 3,4":          {{1, 3}, {2, 4}},
		" 1.5,2  3,-4.25 ": {{1.5, 3}, {2, -4.25}},
		"points[10,20, 30,40] points1[10,20, 30,40]": {{10, 30}, {20, 40}},
	} {
		xs, ys, err := ParsePoints(in)
		if err != nil || !reflect.DeepEqual(xs, want[0]) || !reflect.DeepEqual(ys, want[1]) {
			t.Errorf("%q: %v %v %v", in, xs, ys, err)
		}
	}
	for _, bad := range []string{"1,2 3", "a,b", "1,2 3,x", "NaN,1", "1,Inf"} {
		if _, _, err := ParsePoints(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParsePoints: any Points string is read or refused, never half read.
func FuzzParsePoints(f *testing.F) {
	for _, s := range []string{"1,2 3,4", "points[1,2 3,4]", "", "1,", ",,,", "1e308,-1e308 NaN,Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		xs, ys, err := ParsePoints(s)
		if err == nil && len(xs) != len(ys) {
			t.Fatalf("%q: %d x, %d y", s, len(xs), len(ys))
		}
	})
}
