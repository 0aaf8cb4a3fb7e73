package wrappers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/ijroi"
)

// An image's ROIs for the data view: ImageJ's RoiSet.zip beside the planes,
// and rois.json for scripts. Both are built whole from one listing of the
// ROIs, so their sizes are exact once that listing is in.

// ROIs lists the image's ROIs with their shapes.
func (im *Image) ROIs(ctx context.Context) ([]gateway.ROI, error) {
	return im.Client.conn.ROIs(ctx, im.ID())
}

// RoiSet returns the image's ROIs as ImageJ's RoiSet.zip, and how many
// shapes it holds (0: the image has no ROIs, and the data view shows no
// RoiSet.zip).
func (im *Image) RoiSet(ctx context.Context) ([]byte, int, error) {
	_, set, n, err := im.ROIFiles(ctx)
	return set, n, err
}

// RoisJSON returns the image's ROIs as an indented JSON list, the shapes as
// the server encoded them (omero-marshal's field names).
func (im *Image) RoisJSON(ctx context.Context) ([]byte, error) {
	j, _, _, err := im.ROIFiles(ctx)
	return j, err
}

// ROIFiles returns rois.json and RoiSet.zip (with its number of shapes)
// from one listing of the image's ROIs.
func (im *Image) ROIFiles(ctx context.Context) (roisJSON, roiSet []byte, shapes int, err error) {
	rois, err := im.ROIs(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if roisJSON, err = encodeROIs(rois); err != nil {
		return nil, nil, 0, fmt.Errorf("rois.json of image %d: %w", im.ID(), err)
	}
	ij := ToImageJ(rois)
	if roiSet, err = ijroi.Set(ij); err != nil {
		return nil, nil, 0, fmt.Errorf("RoiSet.zip of image %d: %w", im.ID(), err)
	}
	return roisJSON, roiSet, len(ij), nil
}

// encodeROIs is rois.json: a list of ROIs (id, name, description) and
// their shapes (id, type, then the server's fields), indented.
func encodeROIs(rois []gateway.ROI) ([]byte, error) {
	type shape struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
		gateway.Shape
	}
	type roi struct {
		ID          int64   `json:"id"`
		Name        *string `json:"name,omitempty"`
		Description *string `json:"description,omitempty"`
		Shapes      []shape `json:"shapes"`
	}
	out := make([]roi, 0, len(rois))
	for _, r := range rois {
		o := roi{ID: r.ID, Name: r.Name, Description: r.Description, Shapes: []shape{}}
		for _, s := range r.Shapes {
			o.Shapes = append(o.Shapes, shape{ID: s.ID, Type: s.Kind(), Shape: s})
		}
		out = append(out, o)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ToImageJ converts OMERO shapes to ImageJ ROIs, one per shape, in order.
// A ROI's name is its OMERO name (else "ROI <id>"), with " #<n>" added when
// it has several shapes. OMERO's 0-based planes become ImageJ's 1-based
// positions; a mask becomes the rectangle of its bounds (its bits are not
// in the JSON), named "… (mask)"; shapes of unknown types or with unusable
// geometry are left out. Transforms are not applied.
func ToImageJ(rois []gateway.ROI) []ijroi.ROI {
	var out []ijroi.ROI
	for _, r := range rois {
		base := fmt.Sprintf("ROI %d", r.ID)
		if r.Name != nil && *r.Name != "" {
			base = *r.Name
		}
		for i, s := range r.Shapes {
			name := base
			if len(r.Shapes) > 1 {
				name = fmt.Sprintf("%s #%d", base, i+1)
			}
			if j, ok := shapeToImageJ(s, name); ok {
				out = append(out, j)
			}
		}
	}
	return out
}

func shapeToImageJ(s gateway.Shape, name string) (ijroi.ROI, bool) {
	v := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	j := ijroi.ROI{Name: name, C: plane(s.TheC), Z: plane(s.TheZ), T: plane(s.TheT),
		StrokeColor: colour(s.StrokeColor), FillColor: colour(s.FillColor)}
	if s.StrokeWidth != nil {
		j.StrokeWidth = s.StrokeWidth.Value
	}
	switch s.Kind() {
	case "Rectangle", "Mask":
		j.Kind, j.X, j.Y, j.Width, j.Height = ijroi.Rect, v(s.X), v(s.Y), v(s.Width), v(s.Height)
		if s.Kind() == "Mask" {
			j.Name += " (mask)"
		}
	case "Ellipse":
		rx, ry := math.Abs(v(s.RadiusX)), math.Abs(v(s.RadiusY))
		j.Kind, j.X, j.Y, j.Width, j.Height = ijroi.Oval, v(s.X)-rx, v(s.Y)-ry, 2*rx, 2*ry
	case "Line":
		j.Kind, j.X1, j.Y1, j.X2, j.Y2 = ijroi.Line, v(s.X1), v(s.Y1), v(s.X2), v(s.Y2)
	case "Point":
		j.Kind, j.XS, j.YS = ijroi.Point, []float64{v(s.X)}, []float64{v(s.Y)}
	case "Polygon", "Polyline":
		if s.Points == nil {
			return j, false
		}
		xs, ys, err := gateway.ParsePoints(*s.Points)
		if err != nil || len(xs) == 0 {
			return j, false
		}
		j.Kind, j.XS, j.YS = ijroi.Polygon, xs, ys
		if s.Kind() == "Polyline" {
			j.Kind = ijroi.Polyline
		}
	case "Label":
		j.Kind, j.X, j.Y = ijroi.Text, v(s.X), v(s.Y)
		if s.Text != nil {
			j.Text = *s.Text
		}
		if s.FontSize != nil {
			j.FontSize = s.FontSize.Value
		}
	default:
		return j, false
	}
	if _, err := ijroi.Encode(j); err != nil {
		return j, false // NaN, negative sizes, …: nothing ImageJ could read
	}
	return j, true
}

// plane turns OMERO's 0-based index (absent = all) into ImageJ's 1-based
// position (0 = all).
func plane(p *int) int {
	if p == nil || *p < 0 {
		return 0
	}
	return *p + 1
}

// colour turns OMERO's RGBA integer into ImageJ's ARGB; absent = unset.
func colour(c *int64) uint32 {
	if c == nil {
		return 0
	}
	return ijroi.ARGB(int32(uint32(*c)))
}
