package testserver

import (
	"sort"
)

// ROIs and their shapes, as the JSON API lists them (omero-web api/views.py
// RoisView: shapes loaded, ordered by id, filtered by image) and
// omero-marshal encodes them (encoders/roi.py, shape.py and one encoder per
// shape type).

// ROI is an OMERO ROI: shapes on one image.
type ROI struct {
	Owned
	ImageID int64
	Shapes  []Shape
}

// Shape is one shape of a ROI. Type is the schema's name: "Rectangle",
// "Ellipse", "Polygon", "Polyline", "Line", "Point", "Label" or "Mask".
// Nil fields are left out of the JSON, as omero-marshal leaves out nulls.
type Shape struct {
	ID                     int64
	Type                   string
	X, Y, Width, Height    *float64 // Rectangle, Mask (X, Y also Ellipse, Point, Label)
	RadiusX, RadiusY       *float64 // Ellipse
	X1, Y1, X2, Y2         *float64 // Line
	Points                 *string  // Polygon, Polyline: "x,y x,y …"
	TheZ, TheT, TheC       *int     // 0-based; nil = every plane
	StrokeColor, FillColor *int32   // RGBA
	StrokeWidth            *float64 // pixels
	FontSize               *float64 // points
	Text                   *string
}

// AddROI stores a ROI on an image, in the image's group, giving it and its
// shapes ids. It returns the ROI's id.
func (d *Data) AddROI(imageID int64, name *string, shapes ...Shape) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ROIs == nil {
		d.ROIs = map[int64]*ROI{}
	}
	im := d.Images[imageID]
	r := &ROI{Owned: Owned{ID: d.id(), Name: name}, ImageID: imageID}
	if im != nil {
		r.OwnerID, r.GroupID = im.OwnerID, im.GroupID
	}
	for _, s := range shapes {
		s.ID = d.id()
		r.Shapes = append(r.Shapes, s)
	}
	d.ROIs[r.ID] = r
	return r.ID
}

// collectROIs selects the visible ROIs for a list, by image when the
// filters name one. Nameless sortables sort by id, RoisView's order. The
// caller holds s.data.mu.
func (s *Server) collectROIs(user *Experimenter, f map[string]int64, q *listQuery) []sortable {
	var out []sortable
	for _, r := range s.data.ROIs {
		if !s.visible(user, r.Owned, q) {
			continue
		}
		if iid, ok := f["image"]; ok && r.ImageID != iid {
			continue
		}
		out = append(out, sortable{id: r.ID, encode: func(e *enc) obj { return e.roi(r) }})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// roi encodes a ROI with its shapes and the url:roi link RoisView adds.
func (e *enc) roi(r *ROI) obj {
	m := e.owned("ROI", r.Owned)
	if len(r.Shapes) > 0 {
		shapes := make([]obj, 0, len(r.Shapes))
		for _, sh := range r.Shapes {
			shapes = append(shapes, e.shape(r, sh))
		}
		m["shapes"] = shapes
	}
	m["url:roi"] = idURL(e.r, "rois", r.ID, "")
	return m
}

// shape encodes one shape: the Shape encoder's common fields, then the
// type's own. Lengths (StrokeWidth, FontSize) are omero-marshal's length
// objects.
func (e *enc) shape(r *ROI, sh Shape) obj {
	m := obj{"@id": sh.ID, "@type": typeURI(sh.Type), "omero:details": e.details(r.Owned), "Locked": false}
	setF := func(k string, v *float64) {
		if v != nil {
			m[k] = *v
		}
	}
	setI := func(k string, v *int) {
		if v != nil {
			m[k] = *v
		}
	}
	setC := func(k string, v *int32) {
		if v != nil {
			m[k] = *v
		}
	}
	setC("FillColor", sh.FillColor)
	setC("StrokeColor", sh.StrokeColor)
	if sh.StrokeWidth != nil {
		m["StrokeWidth"] = length(*sh.StrokeWidth, "PIXEL", "pixel")
	}
	if sh.FontSize != nil {
		m["FontSize"] = length(*sh.FontSize, "POINT", "pt")
		m["FontFamily"], m["FontStyle"] = "sans-serif", "Normal"
	}
	if sh.Text != nil {
		m["Text"] = *sh.Text
	}
	setI("TheC", sh.TheC)
	setI("TheT", sh.TheT)
	setI("TheZ", sh.TheZ)
	for _, kv := range []struct {
		k string
		v *float64
	}{{"X", sh.X}, {"Y", sh.Y}, {"Width", sh.Width}, {"Height", sh.Height}, {"RadiusX", sh.RadiusX},
		{"RadiusY", sh.RadiusY}, {"X1", sh.X1}, {"Y1", sh.Y1}, {"X2", sh.X2}, {"Y2", sh.Y2}} {
		setF(kv.k, kv.v)
	}
	if sh.Points != nil {
		m["Points"] = *sh.Points
	}
	return m
}
