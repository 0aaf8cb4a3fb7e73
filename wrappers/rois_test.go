package wrappers

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/ijroi"
	"github.com/omerofs/omerofs/render/ijroi/ijtest"
	"github.com/omerofs/omerofs/testserver"
)

func demoImageObj(t *testing.T, ts *testserver.Server, c *Client, name string) *Image {
	t.Helper()
	o, err := c.Image(context.Background(), ts.Data().ImageNamed(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return o.(*Image)
}

func TestRoiSetOfDemoImage(t *testing.T) {
	ts, c := client(t, nil)
	im := demoImageObj(t, ts, c, "mitosis_01.dv")
	b, n, err := im.RoiSet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 || len(zr.File) != 10 {
		t.Fatalf("%d shapes, %d entries", n, len(zr.File))
	}
	want := []string{"Nucleus #1.roi", "Nucleus #2.roi", "Cell outline.roi"}
	for i, w := range want {
		if zr.File[i].Name != w {
			t.Errorf("entry %d: %q, want %q", i, zr.File[i].Name, w)
		}
	}
	// Same ROIs, same bytes: the size stat reports is the size read.
	again, _, _ := im.RoiSet(context.Background())
	if !bytes.Equal(b, again) {
		t.Error("two RoiSet.zip of one image differ")
	}
	js, err := im.RoisJSON(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var rois []map[string]any
	if err := json.Unmarshal(js, &rois); err != nil || len(rois) != 8 {
		t.Fatalf("rois.json: %d ROIs, %v\n%s", len(rois), err, js)
	}
	if sh := rois[0]["shapes"].([]any)[0].(map[string]any); sh["type"] != "Ellipse" || sh["RadiusX"] != 30.0 {
		t.Errorf("rois.json shape %v", sh)
	}
	none := demoImageObj(t, ts, c, "histology.tif")
	if b, n, err := none.RoiSet(context.Background()); err != nil || n != 0 || len(b) == 0 {
		t.Errorf("no ROIs: %d shapes, %d bytes, %v", n, len(b), err)
	}
}

func TestToImageJ(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	c := func(v int64) *int64 { return &v }
	s := func(v string) *string { return &v }
	rois := []gateway.ROI{
		{Object: gateway.Object{ID: 5}, Shapes: []gateway.Shape{
			{ID: 1, Type: "x#Ellipse", X: f(50), Y: f(40), RadiusX: f(10), RadiusY: f(5), TheZ: i(2), TheC: i(0),
				StrokeColor: c(-16776961), StrokeWidth: &gateway.Length{}},
		}},
		{Object: gateway.Object{ID: 6, Name: s("m")}, Shapes: []gateway.Shape{
			{ID: 2, Type: "x#Mask", X: f(1), Y: f(2), Width: f(3), Height: f(4), TheT: i(7)},
			{ID: 3, Type: "x#Polygon", Points: s("bad")},
			{ID: 4, Type: "x#Polyline", Points: s("1,2 3,4.5")},
			{ID: 5, Type: "x#Label", X: f(1), Y: f(1), Text: s("hi"), FontSize: &gateway.Length{Value: 20}},
			{ID: 6, Type: "x#Rectangle", X: f(0), Y: f(0), Width: f(-3), Height: f(2)},
			{ID: 7, Type: "x#Triangle"},
			{ID: 8, Type: "x#Line", X1: f(0), Y1: f(1), X2: f(2), Y2: f(3), FillColor: c(0xff)},
			{ID: 9, Type: "x#Point", X: f(9.5), Y: f(8)},
		}},
	}
	got := ToImageJ(rois)
	want := []ijroi.ROI{
		{Kind: ijroi.Oval, Name: "ROI 5", X: 40, Y: 35, Width: 20, Height: 10, Z: 3, C: 1, StrokeColor: 0xffff0000},
		{Kind: ijroi.Rect, Name: "m #1 (mask)", X: 1, Y: 2, Width: 3, Height: 4, T: 8},
		{Kind: ijroi.Polyline, Name: "m #3", XS: []float64{1, 3}, YS: []float64{2, 4.5}},
		{Kind: ijroi.Text, Name: "m #4", X: 1, Y: 1, Text: "hi", FontSize: 20},
		{Kind: ijroi.Line, Name: "m #7", X2: 2, Y1: 1, Y2: 3, FillColor: 0xff000000},
		{Kind: ijroi.Point, Name: "m #8", XS: []float64{9.5}, YS: []float64{8}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d ROIs: %+v", len(got), got)
	}
	for k := range want {
		g, w := got[k], want[k]
		if g.Kind != w.Kind || g.Name != w.Name || g.X != w.X || g.Y != w.Y || g.Width != w.Width || g.Height != w.Height ||
			g.C != w.C || g.Z != w.Z || g.T != w.T || g.StrokeColor != w.StrokeColor || g.FillColor != w.FillColor ||
			g.Text != w.Text || g.FontSize != w.FontSize || g.X1 != w.X1 || g.Y2 != w.Y2 || len(g.XS) != len(w.XS) {
			t.Errorf("ROI %d:\n got %+v\nwant %+v", k, g, w)
		}
	}
}

// TestImageJReadsDemoRoiSet has ImageJ read the demo image's RoiSet.zip
// (every OMERO shape type) and checks names, kinds and 1-based positions.
func TestImageJReadsDemoRoiSet(t *testing.T) {
	ts, c := client(t, nil)
	b, _, err := demoImageObj(t, ts, c, "mitosis_01.dv").RoiSet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := ijtest.Dump(t, b)
	// label, class, type, box, c/z/t, name, …: the lines of RoiSetDump.java.
	want := [][]string{
		{"Nucleus #1", "OvalRoi", "Oval", "70.0,60.0,60.0,40.0", "0,5,1", "Nucleus #1"},
		{"Nucleus #2", "OvalRoi", "Oval", "72.0,62.25,57.0,36.0", "0,6,1", "Nucleus #2"},
		{"Cell outline", "PolygonRoi", "Polygon", "*", "2,5,1", "Cell outline"},
		{"ROI " + "*", "Roi", "Rectangle", "10.0,20.0,50.0,30.0", "0,0,0", "*"},
		{"Spindle axis", "Line", "Straight Line", "*", "0,5,1", "Spindle axis"},
		{"Track", "PolygonRoi", "Polyline", "*", "3,0,0", "Track"},
		{"Centrosome #1", "PointRoi", "Point", "*", "1,4,1", "Centrosome #1"},
		{"Centrosome #2", "PointRoi", "Point", "*", "1,4,1", "Centrosome #2"},
		{"Label", "TextRoi", "Text", "15.0,170.0,*", "0,5,1", "Label"},
		{"Segmentation (mask)", "Roi", "Rectangle", "30.0,30.0,16.0,12.0", "1,5,1", "Segmentation (mask)"},
	}
	if len(lines) != len(want) {
		t.Fatalf("ImageJ read %d ROIs, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		got := strings.Split(lines[i], "\t")
		for k, v := range w {
			if p, ok := strings.CutSuffix(v, "*"); ok {
				if !strings.HasPrefix(got[k], p) {
					t.Errorf("ROI %d field %d: %q, want %q…", i, k, got[k], p)
				}
			} else if got[k] != v {
				t.Errorf("ROI %d field %d: %q, want %q\n  %s", i, k, got[k], v, lines[i])
			}
		}
	}
}
