package testserver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestROIsOfAnImage(t *testing.T) {
	s, c := loggedIn(t, "demo")
	m01 := oneImage(t, s, "mitosis_01.dv")
	got := c.getJSON(fmt.Sprintf("/api/v0/m/rois/?image=%d", m01))
	nested := c.getJSON(fmt.Sprintf("/api/v0/m/images/%d/rois/", m01))
	data, meta := got["data"].([]any), got["meta"].(map[string]any)
	if len(data) != 8 || meta["totalCount"].(float64) != 8 || meta["limit"].(float64) != 200 || meta["maxLimit"].(float64) != 500 {
		t.Fatalf("%d ROIs, meta %v", len(data), meta)
	}
	if len(nested["data"].([]any)) != len(data) {
		t.Errorf("images/%d/rois/ has %d ROIs, rois/?image= %d", m01, len(nested["data"].([]any)), len(data))
	}
	types := map[string]bool{}
	last := 0.0
	for _, r := range data {
		roi := r.(map[string]any)
		if roi["@type"] != typeURI("ROI") || roi["omero:details"] == nil || !strings.HasSuffix(roi["url:roi"].(string), fmt.Sprintf("/api/v0/m/rois/%v/", roi["@id"])) {
			t.Errorf("ROI %v", roi)
		}
		if id := roi["@id"].(float64); id <= last {
			t.Errorf("ROIs not in id order: %v after %v", id, last)
		} else {
			last = id
		}
		for _, sh := range roi["shapes"].([]any) {
			shape := sh.(map[string]any)
			typ := shape["@type"].(string)
			types[typ[strings.Index(typ, "#")+1:]] = true
		}
	}
	for _, typ := range []string{"Rectangle", "Ellipse", "Polygon", "Polyline", "Line", "Point", "Label", "Mask"} {
		if !types[typ] {
			t.Errorf("no %s among the demo image's shapes", typ)
		}
	}
	// The first ROI: two ellipses on planes Z 4 and 5, colours as signed RGBA.
	first := data[0].(map[string]any)
	if first["Name"] != "Nucleus" {
		t.Fatalf("first ROI %v", first)
	}
	e := first["shapes"].([]any)[0].(map[string]any)
	want := map[string]any{"X": 100.0, "Y": 80.0, "RadiusX": 30.0, "RadiusY": 20.0, "TheZ": 4.0, "TheT": 0.0,
		"StrokeColor": float64(int32(-16776961)), "FillColor": float64(0x00ff0040)}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("ellipse %s = %v, want %v", k, e[k], v)
		}
	}
	if _, ok := e["TheC"]; ok {
		t.Errorf("ellipse on every channel has TheC: %v", e)
	}
	if sw := e["StrokeWidth"].(map[string]any); sw["Value"] != 2.0 || sw["@type"] != "TBD#LengthI" {
		t.Errorf("StrokeWidth %v", sw)
	}
	// Paging as every list: offset and limit.
	page := c.getJSON(fmt.Sprintf("/api/v0/m/rois/?image=%d&offset=6&limit=5", m01))
	if n := len(page["data"].([]any)); n != 2 || page["meta"].(map[string]any)["totalCount"].(float64) != 8 {
		t.Errorf("offset 6: %d ROIs, meta %v", n, page["meta"])
	}
	// One ROI by id; an unknown one is the API's 404.
	id := int64(first["@id"].(float64))
	if one := c.getJSON(fmt.Sprintf("/api/v0/m/rois/%d/", id)); one["data"].(map[string]any)["Name"] != "Nucleus" {
		t.Errorf("rois/%d/: %v", id, one)
	}
	if status, _, b := c.get("/api/v0/m/rois/999999/"); status != http.StatusNotFound || !strings.Contains(string(b), "Roi 999999 not found") {
		t.Errorf("unknown ROI: %d %s", status, b)
	}
	// A filter that is not an integer: the view's ValueError, a 500 (api.go).
	if status, _, b := c.get("/api/v0/m/rois/?image=x"); status != http.StatusInternalServerError {
		t.Errorf("image=x: %d %s", status, b)
	}
}

func TestROIsFollowGroups(t *testing.T) {
	s, c := loggedIn(t, "bob") // not a member of the lab group
	m01 := oneImage(t, s, "mitosis_01.dv")
	got := c.getJSON(fmt.Sprintf("/api/v0/m/rois/?image=%d", m01))
	if n := len(got["data"].([]any)); n != 0 {
		t.Errorf("bob sees %d ROIs of a lab image", n)
	}
	_, demo := loggedIn(t, "demo")
	all := demo.getJSON("/api/v0/m/rois/?limit=500")
	if n := all["meta"].(map[string]any)["totalCount"].(float64); n < 13 {
		t.Errorf("all ROIs: %v", n)
	}
}
