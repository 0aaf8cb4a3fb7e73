// Package raw reads an image's raw pixels through whichever route the
// server offers (docs/design.md, "The data view"; docs/omero-web.md, "Raw
// pixels"): Glencoe's pixel-buffer microservice, the omero-web-zarr app, or
// core OMERO.web's render_ome_tiff for images below the pyramid threshold.
// Probe finds them at mount; Routes.Open gives a Pixels that returns a
// plane's rows, big-endian in the image's pixel type, from any of them.
package raw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/tiff"
)

// MaxPlane is OMERO's default max_plane_width and max_plane_height: the
// pixel-buffer service reads at most MaxPlane² pixels a request, and
// render_ome_tiff skips images with more than MaxPlane² pixels a plane.
const MaxPlane = 3192

// Route is one way to the raw pixels.
type Route int

// The routes, in order of preference.
const (
	None Route = iota
	PixelBuffer
	Zarr
	OMETiff
)

func (r Route) String() string {
	return [...]string{"none", "pixel-buffer service", "omero-web-zarr", "OME-TIFF export"}[r]
}

// Image is what reading an image's pixels needs to know of it.
type Image struct {
	ID                                int64
	SizeX, SizeY, SizeZ, SizeC, SizeT int
	Type                              tiff.PixelType
	// Levels is the number of pyramid levels (imgData's "levels"; 0 or 1:
	// no pyramid). Only the pixel-buffer route reads levels below full size.
	Levels int
}

func (im Image) check() error {
	if im.SizeX <= 0 || im.SizeY <= 0 || im.SizeZ <= 0 || im.SizeC <= 0 || im.SizeT <= 0 || !im.Type.Valid() {
		return fmt.Errorf("image %d: dimensions %d×%d×%d×%d×%d, type %s", im.ID, im.SizeX, im.SizeY, im.SizeZ, im.SizeC, im.SizeT, im.Type)
	}
	return nil
}

// Routes are the raw routes a server offers.
type Routes struct {
	conn        *gateway.Conn
	log         logrus.FieldLogger
	pixelBuffer *gateway.PixelBufferInfo
	zarr        bool
	omeTiff     bool
	spoolDir    string
	bands       *bandBudget // the rows every reader keeps, within one budget
}

// Options tune Probe.
type Options struct {
	// ProbeImage is a real image the user can see: omero-web-zarr answers
	// .zgroup for any id, so only its .zattrs of a real image proves the
	// app works. 0: the app is trusted on .zgroup alone, and
	// render_ome_tiff is assumed (it is core OMERO.web).
	ProbeImage int64
	// SpoolDir holds downloaded OME-TIFF exports while they are read
	// ("" = the system's temporary directory).
	SpoolDir string
	// KeptBytes bounds the rows kept in memory by all readers together
	// (0: DefaultKeptBytes).
	KeptBytes int64
	Logger    logrus.FieldLogger
}

// Probe asks the server which raw routes it has. It never fails: a route
// that does not answer as it should is absent (logged at debug level), and
// a cancelled ctx leaves the remaining routes absent.
func Probe(ctx context.Context, conn *gateway.Conn, opts Options) *Routes {
	r := &Routes{conn: conn, log: opts.Logger, spoolDir: opts.SpoolDir, bands: newBandBudget(opts.KeptBytes)}
	if r.log == nil {
		r.log = logrus.StandardLogger()
	}
	if info, err := conn.ProbePixelBuffer(ctx); err == nil {
		r.pixelBuffer = info
	} else {
		r.log.WithError(err).Debug("raw pixels: no pixel-buffer service")
	}
	if err := conn.ZarrGroup(ctx, max(opts.ProbeImage, 1)); err != nil {
		r.log.WithError(err).Debug("raw pixels: no omero-web-zarr")
	} else if opts.ProbeImage == 0 {
		r.zarr = true
	} else if body, err := conn.ZarrAttrs(ctx, opts.ProbeImage); err != nil {
		r.log.WithError(err).Debug("raw pixels: omero-web-zarr answers .zgroup but not .zattrs")
	} else if _, err := parseAxes(body); err != nil {
		r.log.WithError(err).Debug("raw pixels: omero-web-zarr's .zattrs is not OME-NGFF")
	} else {
		r.zarr = true
	}
	if opts.ProbeImage == 0 {
		r.omeTiff = true
	} else if _, err := conn.OMETiffCount(ctx, opts.ProbeImage); err != nil {
		r.log.WithError(err).Debug("raw pixels: render_ome_tiff does not answer")
	} else {
		r.omeTiff = true
	}
	return r
}

// Available lists the routes found, in order of preference.
func (r *Routes) Available() []Route {
	var out []Route
	if r.pixelBuffer != nil {
		out = append(out, PixelBuffer)
	}
	if r.zarr {
		out = append(out, Zarr)
	}
	if r.omeTiff {
		out = append(out, OMETiff)
	}
	return out
}

// Describe is the mount's start-up line: the route every image will use,
// and what it cannot reach.
func (r *Routes) Describe() string {
	switch {
	case r.pixelBuffer != nil:
		return "raw pixels: pixel-buffer service"
	case r.zarr:
		return "raw pixels: omero-web-zarr"
	case r.omeTiff:
		return fmt.Sprintf("raw pixels: OME-TIFF export, images up to %d×%d only", MaxPlane, MaxPlane)
	}
	return "raw pixels: none found (no planes/ or image.ome.zarr/ in the data view)"
}

// Choose is the route for an image: the first available that reaches it.
// Bit images have none (OMERO's raw routes do not serve them).
func (r *Routes) Choose(im Image) Route {
	if im.check() != nil || im.Type == tiff.Bit {
		return None
	}
	switch {
	case r.pixelBuffer != nil:
		return PixelBuffer
	case r.zarr:
		return Zarr
	case r.omeTiff && int64(im.SizeX)*int64(im.SizeY) <= MaxPlane*MaxPlane:
		return OMETiff
	}
	return None
}

// ErrNoRoute: no raw route reaches the image.
var ErrNoRoute = errors.New("no raw pixel route reaches this image")

// parseAxes reads the axis names of the first multiscale of a .zattrs
// (0.4: objects with a name; 0.3: names).
func parseAxes(zattrs []byte) ([]string, error) {
	var doc struct {
		Multiscales []struct {
			Axes []json.RawMessage `json:"axes"`
		} `json:"multiscales"`
	}
	if err := json.Unmarshal(zattrs, &doc); err != nil {
		return nil, err
	}
	if len(doc.Multiscales) == 0 || len(doc.Multiscales[0].Axes) < 2 {
		return nil, errors.New("no multiscales with axes")
	}
	var names []string
	for _, a := range doc.Multiscales[0].Axes {
		var obj struct {
			Name string `json:"name"`
		}
		var name string
		if json.Unmarshal(a, &name) != nil {
			if err := json.Unmarshal(a, &obj); err != nil {
				return nil, err
			}
			name = obj.Name
		}
		names = append(names, name)
	}
	if names[len(names)-2] != "y" || names[len(names)-1] != "x" {
		return nil, fmt.Errorf("axes %v do not end in y, x", names)
	}
	return names, nil
}
