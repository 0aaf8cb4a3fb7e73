package testserver

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/render/blosc"
	"github.com/omerofs/omerofs/render/tiff"
)

// The omero-web-zarr app (ome/omero-web-zarr omero_web_zarr/urls.py,
// views.py, utils.py), mounted at /zarr/ (Options.Zarr). What it really
// does, modelled here:
//
//   - Only the dimensions larger than 1 are axes: a single-channel 2D image
//     is a (y, x) array, chunk keys have as many parts as axes.
//   - Chunks are 1 along t, c, z; y × x is the engine's tile for a pyramid,
//     else the whole plane, with height and width swapped (the view takes
//     SizeY as the width and SizeX as the height): a 320×240 plane has
//     chunks of 320 rows by 240 columns, two chunks across, one down.
//   - .zgroup answers {"zarr_format": 2} for any id, without login.
//   - An unknown or invisible image is a 500 (the views use the None that
//     getObject returns); so is a level the image lacks, and a chunk index
//     past the edge. A chunk key with the wrong number of parts is a 404.
//   - .zarray is zarr-python's own: dtype little-endian, compressor Blosc
//     LZ4 level 5 byte shuffle, fill_value 0, then dimension_separator "/".
//   - Chunks are Blosc frames, edge chunks padded with zeros, sent as
//     text/html (Django's default) with Content-Disposition
//     "attachment; filename=t.c.z.y.x".
//   - Levels > 0 of a pyramid are read from the raw pixels store and put in
//     the array as if they were little-endian although OMERO's bytes are
//     big-endian: their multi-byte values come out byte-swapped.

var zarrRoutes = []struct {
	re   *regexp.Regexp
	kind string
}{
	{regexp.MustCompile(`^/zarr/v(0\.[3-4]+)/image/([0-9]+).zarr/.zattrs$`), "zarr_zattrs"},
	{regexp.MustCompile(`^/zarr/v(0\.[3-4]+)/image/([0-9]+).zarr/.zgroup$`), "zarr_zgroup"},
	{regexp.MustCompile(`^/zarr/v(0\.[3-4]+)/image/([0-9]+).zarr/([0-9]+)/.zarray$`), "zarr_zarray"},
	{regexp.MustCompile(`^/zarr/v(0\.[3-4]+)/image/([0-9]+).zarr/([0-9]+)/([0-9/]+)$`), "zarr_chunk"},
}

func (s *Server) routeZarr(r *http.Request) (string, http.HandlerFunc) {
	for _, rt := range zarrRoutes {
		m := rt.re.FindStringSubmatch(r.URL.Path)
		if m == nil {
			continue
		}
		args := m[1:]
		kind := rt.kind
		return kind, func(w http.ResponseWriter, r *http.Request) {
			if kind == "zarr_zgroup" {
				writeJSON(w, http.StatusOK, obj{"zarr_format": 2})
				return
			}
			user, ok := s.gatewayUser(w, r)
			if !ok {
				return
			}
			id, _ := strconv.ParseInt(args[1], 10, 64)
			s.data.mu.RLock()
			im := s.data.Images[id]
			var cp Image
			visible := im != nil && s.visible(user, im.Owned, nil)
			if visible {
				cp = *im
				cp.Defaults = im.Defaults.Clone()
			}
			s.data.mu.RUnlock()
			if !visible {
				djangoServerError(w) // 'NoneType' object has no attribute …
				return
			}
			switch kind {
			case "zarr_zattrs":
				s.handleZattrs(w, &cp, args[0])
			case "zarr_zarray":
				handleZarray(w, &cp, args[2])
			case "zarr_chunk":
				handleChunk(w, &cp, args[2], args[3])
			}
		}
	}
	return "not_found", djangoNotFound
}

// djangoServerError is Django's 500 page with DEBUG off.
func djangoServerError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"))
}

// zarrAxes are the image's axes: t, c, z when larger than 1, then y, x.
func zarrAxes(im *Image) []string {
	var axes []string
	for _, a := range []struct {
		name string
		size int
	}{{"t", im.SizeT}, {"c", im.SizeC}, {"z", im.SizeZ}} {
		if a.size > 1 {
			axes = append(axes, a.name)
		}
	}
	return append(axes, "y", "x")
}

// zarrShapes are get_image_shapes: per level, the sizes larger than 1 of
// t, c, z, y, x (y and x taken from the level).
func zarrShapes(im *Image) [][]int {
	base := []int{}
	for _, n := range []int{im.SizeT, im.SizeC, im.SizeZ, im.SizeY, im.SizeX} {
		if n > 1 {
			base = append(base, n)
		}
	}
	shapes := [][]int{base}
	if im.Levels > 1 {
		for v := 1; v < im.Levels; v++ {
			lw, lh := levelSize(im, v)
			sh := append([]int(nil), base...)
			sh[len(sh)-1], sh[len(sh)-2] = lw, lh
			shapes = append(shapes, sh)
		}
	}
	return shapes
}

// zarrChunks is get_chunk_shape, with its swap of width and height for
// images that are not pyramids.
func zarrChunks(im *Image) []int {
	var chunks []int
	for _, n := range []int{im.SizeT, im.SizeC, im.SizeZ} {
		if n > 1 {
			chunks = append(chunks, 1)
		}
	}
	width, height := im.SizeY, im.SizeX
	if im.Levels > 1 {
		width, height = im.TileSize, im.TileSize
	}
	return append(chunks, height, width)
}

func channelMarshal(im *Image) []obj {
	var chans []obj
	for i, ch := range im.Defaults.Channels {
		var emission any
		if i < len(im.Channels) && im.Channels[i].Emission > 0 {
			emission = im.Channels[i].Emission
		}
		c := obj{"emissionWave": emission, "label": ch.Label, "color": ch.Color.Hex(), "inverted": ch.Inverted,
			"reverseIntensity": ch.Inverted, "family": ch.Family, "coefficient": ch.Coefficient,
			"window": obj{"min": ch.Min, "max": ch.Max, "start": ch.Start, "end": ch.End}, "active": ch.Active}
		if ch.LUT != "" {
			c["lut"] = ch.LUT
		}
		chans = append(chans, c)
	}
	return chans
}

func (s *Server) handleZattrs(w http.ResponseWriter, im *Image, version string) {
	if version != "0.3" && version != "0.4" {
		notFoundText(w, "version not supported")
		return
	}
	shapes := zarrShapes(im)
	var datasets []obj
	for i, sh := range shapes {
		d := obj{"path": strconv.Itoa(i)}
		if version != "0.3" {
			scale := make([]float64, len(sh))
			for j := range sh {
				scale[j] = float64(shapes[0][j]) / float64(sh[j])
			}
			d["coordinateTransformations"] = []obj{{"type": "scale", "scale": scale}}
		}
		datasets = append(datasets, d)
	}
	var axes any
	if version == "0.3" {
		axes = zarrAxes(im)
	} else {
		var list []obj
		for _, a := range zarrAxes(im) {
			ax := obj{"name": a, "type": map[string]string{"t": "time", "c": "channel"}[a]}
			if ax["type"] == "" {
				ax["type"] = "space"
			}
			if (a == "x" || a == "y") && im.PhysicalSize > 0 || a == "z" && im.PhysicalSizeZ > 0 {
				ax["unit"] = "micrometer"
			}
			list = append(list, ax)
		}
		axes = list
	}
	model := "color"
	if im.Defaults.Model == render.ModelGreyscale {
		model = "greyscale"
	}
	writeJSON(w, http.StatusOK, obj{
		"multiscales": []obj{{"datasets": datasets, "version": version, "axes": axes}},
		"omero": obj{"channels": channelMarshal(im), "id": im.ID,
			"rdefs": obj{"defaultT": im.Defaults.T, "defaultZ": im.Defaults.Z, "model": model}},
	})
}

// zarrDtype is NumPy's little-endian name of a pixel type, as zarr writes it.
func zarrDtype(pt tiff.PixelType) string {
	return strings.Replace(pt.NumpyType(), ">", "<", 1)
}

func handleZarray(w http.ResponseWriter, im *Image, levelText string) {
	level, err := strconv.Atoi(levelText)
	shapes := zarrShapes(im)
	pt, perr := tiff.ParsePixelType(im.PixelsType)
	if err != nil || level >= len(shapes) || perr != nil {
		djangoServerError(w) // "Level … higher than … levels for this image"
		return
	}
	writeJSON(w, http.StatusOK, obj{
		"chunks":              zarrChunks(im),
		"compressor":          obj{"blocksize": 0, "clevel": 5, "cname": "lz4", "id": "blosc", "shuffle": 1},
		"dimension_separator": "/",
		"dtype":               zarrDtype(pt),
		"fill_value":          0,
		"filters":             nil,
		"order":               "C",
		"shape":               shapes[level],
		"zarr_format":         2,
	})
}

func handleChunk(w http.ResponseWriter, im *Image, levelText, chunk string) {
	axes := zarrAxes(im)
	parts := strings.Split(chunk, "/")
	dims := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			djangoServerError(w) // int('') raises
			return
		}
		dims[i] = n
	}
	if len(dims) != len(axes) {
		djangoNotFound(w, nil)
		return
	}
	level, err := strconv.Atoi(levelText)
	shapes := zarrShapes(im)
	pt, perr := tiff.ParsePixelType(im.PixelsType)
	if err != nil || level >= len(shapes) || perr != nil {
		djangoServerError(w)
		return
	}
	shape, chunks := shapes[level], zarrChunks(im)
	at := func(a string) int {
		for i, n := range axes {
			if n == a {
				return dims[i]
			}
		}
		return 0
	}
	x, y, z, c, t := dims[len(dims)-1], dims[len(dims)-2], at("z"), at("c"), at("t")
	cw, ch := chunks[len(chunks)-1], chunks[len(chunks)-2]
	tx, ty := x*cw, y*ch
	tw, th := min(shape[len(shape)-1]-tx, cw), min(shape[len(shape)-2]-ty, ch)
	data, err := RawRegion(*im, level, z, c, t, tx, ty, tw, th)
	if err != nil {
		djangoServerError(w)
		return
	}
	bpp := pt.Bytes()
	if !(im.Levels > 1 && level > 0) {
		bigEndianToLittle(data, bpp) // getTile gives values; zarr stores them little-endian
	}
	padded := make([]byte, cw*ch*bpp)
	for j := 0; j < th; j++ {
		copy(padded[j*cw*bpp:], data[j*tw*bpp:(j+1)*tw*bpp])
	}
	frame, err := blosc.Encode(padded, bpp, blosc.ByteShuffle)
	if err != nil {
		djangoServerError(w)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(frame)))
	w.Header().Set("Content-Disposition", "attachment; filename="+strings.Join([]string{strconv.Itoa(t), strconv.Itoa(c), strconv.Itoa(z), strconv.Itoa(y), strconv.Itoa(x)}, "."))
	w.Write(frame)
}
