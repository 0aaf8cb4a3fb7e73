package gateway

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// ROIs from the JSON API (docs/omero-web.md, "ROIs in detail"): a paged
// list like every other, ordered by ROI id, each ROI with its shapes.

// ROI is a region of interest: one or more shapes on one image.
type ROI struct {
	Object
	Shapes []Shape `json:"shapes"`
}

// Shape is one shape of a ROI, as omero-marshal encodes it. Which geometry
// fields are set depends on the type (Kind). TheZ, TheT and TheC are
// 0-based and absent when the shape is on every plane.
type Shape struct {
	ID                     int64    `json:"@id"`
	Type                   string   `json:"@type"`
	X, Y, Width, Height    *float64 // Rectangle, Mask; X, Y also Ellipse, Point, Label
	RadiusX, RadiusY       *float64 // Ellipse
	X1, Y1, X2, Y2         *float64 // Line
	Points                 *string  // Polygon, Polyline: "x,y x,y …"
	TheZ, TheT, TheC       *int
	StrokeColor, FillColor *int64  // RGBA as a signed 32-bit integer (unsigned accepted)
	StrokeWidth            *Length // may be {} on real servers
	FontSize               *Length
	Text                   *string
}

// Kind is the shape's type without its schema: "Rectangle", "Ellipse", ….
func (s *Shape) Kind() string { return kindOf(s.Type) }

func (r *ROI) check() error {
	for _, s := range r.Shapes {
		if s.ID <= 0 || s.Type == "" {
			return fmt.Errorf("ROI %d has a shape without @id or @type", r.ID)
		}
	}
	return nil
}

// ROIs lists the ROIs of an image, with their shapes, in id order.
func (c *Conn) ROIs(ctx context.Context, imageID int64) ([]ROI, error) {
	rois, err := listTyped(ctx, c, apiBase+"m/rois/", url.Values{"image": {id(imageID)}}, "ROI", (*ROI).check)
	if err != nil {
		return nil, fmt.Errorf("ROIs of image %d: %w", imageID, err)
	}
	return rois, nil
}

// ParsePoints reads a polygon's or polyline's Points, "x,y x,y …" (commas
// and spaces may be repeated; OMERO 5.0's "points[…]" form is read too).
func ParsePoints(s string) (xs, ys []float64, err error) {
	if i := strings.Index(s, "points["); i >= 0 {
		s = s[i+len("points["):]
		if j := strings.IndexByte(s, ']'); j >= 0 {
			s = s[:j]
		}
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(f)%2 != 0 {
		return nil, nil, fmt.Errorf("points %q: an odd number of coordinates", s)
	}
	for i := 0; i < len(f); i += 2 {
		x, err1 := strconv.ParseFloat(f[i], 64)
		y, err2 := strconv.ParseFloat(f[i+1], 64)
		if err1 != nil || err2 != nil || math.IsNaN(x+y) || math.IsInf(x+y, 0) {
			return nil, nil, fmt.Errorf("points %q: %q,%q is not a point", s, f[i], f[i+1])
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys, nil
}
