package testserver

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/jpeg"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/omerofs/omerofs/render"
)

// The webgateway rendering endpoints (omero-web webgateway/urls.py, views.py).

// maxPlane is the largest plane render_image renders whole (OMERO's
// omero.pixeldata.max_plane_width/height default); bigger images are
// pyramids, read by tiles.
const maxPlane = 3192

var gatewayRoutes = []struct {
	re   *regexp.Regexp
	kind string
}{
	{re(`^/(?:webgateway|webclient)/imgData/(\d+)/$`), "imgData"},
	{re(`^/webgateway/render_image/(\d+)/(?:(\d+)/(?:(\d+)/)?)?$`), "render_image"},
	{re(`^/webgateway/render_image_region/(\d+)/(\d+)/(\d+)/$`), "render_image_region"},
	{re(`^/webgateway/render_thumbnail/(\d+)/(?:(\d+)/(?:(\d+)/)?)?$`), "render_thumbnail"},
	{re(`^/webgateway/render_birds_eye_view/(\d+)/(?:(\d+)/)?$`), "render_birds_eye_view"},
	{re(`^/webgateway/get_thumbnails/(?:(\d+)/)?$`), "get_thumbnails"},
}

func (s *Server) routeWebgateway(r *http.Request) (string, http.HandlerFunc) {
	for _, rt := range gatewayRoutes {
		m := rt.re.FindStringSubmatch(r.URL.Path)
		if m == nil {
			continue
		}
		args := m[1:]
		kind := rt.kind
		return kind, func(w http.ResponseWriter, r *http.Request) {
			user, ok := s.gatewayUser(w, r)
			if !ok {
				return
			}
			// The view runs as the user login_required found, as OMERO.web's
			// views hold the connection they were given: a session that
			// expires meanwhile does not turn into "not found" halfway.
			r = r.WithContext(withUser(r.Context(), user))
			switch kind {
			case "imgData":
				s.handleImgData(w, r, args)
			case "render_image":
				s.handleRenderImage(w, r, args)
			case "render_image_region":
				s.handleRenderRegion(w, r, args)
			case "render_thumbnail":
				s.handleThumbnail(w, r, args, false)
			case "render_birds_eye_view":
				s.handleThumbnail(w, r, args, true)
			case "get_thumbnails":
				s.handleGetThumbnails(w, r, args)
			}
		}
	}
	return "not_found", djangoNotFound
}

// visibleImage returns a copy of image id if the request's user may see it.
func (s *Server) visibleImage(w http.ResponseWriter, r *http.Request, idText string) (*Image, bool) {
	user := userFrom(r.Context())
	if user == nil {
		user, _ = s.currentUser(w, r)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	im := s.data.Images[id]
	if err != nil || im == nil || user == nil || !s.visible(user, im.Owned, nil) {
		return nil, false
	}
	c := *im
	c.Defaults = im.Defaults.Clone()
	return &c, true
}

func notFoundText(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(msg))
}

func badRequest(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(msg))
}

// levelSizes are the sizes of the image's pyramid levels, 0 the full
// resolution: each level is the previous one divided by the image's level
// step and rounded down, as the pyramid's files store them; a level's height
// need not be the full height times the width ratio.
func levelSizes(im *Image) [][2]int {
	step := im.LevelStep
	if step < 2 {
		step = 2
	}
	sizes := [][2]int{{im.SizeX, im.SizeY}}
	for v := 1; v < im.Levels; v++ {
		p := sizes[v-1]
		sizes = append(sizes, [2]int{max(1, p[0]/step), max(1, p[1]/step)})
	}
	return sizes
}

// levelSize is level v's width and height (0 = full resolution), from
// levelSizes; v must be a level of the image.
func levelSize(im *Image, v int) (int, int) {
	if v <= 0 || v >= im.Levels {
		return im.SizeX, im.SizeY
	}
	sz := levelSizes(im)[v]
	return sz[0], sz[1]
}

// internalServerError is Django's answer to an exception in a view.
func internalServerError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte("<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"))
}

// javascriptServerError is webgateway's HttpJavascriptResponseServerError:
// 500 with a text/javascript body.
func javascriptServerError(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/javascript")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(body))
}

func (s *Server) handleImgData(w http.ResponseWriter, r *http.Request, args []string) {
	im, ok := s.visibleImage(w, r, args[0])
	if !ok && s.isPublicUser(r) {
		// imageData_json: to the public user, an image it cannot see is an
		// empty 403 ("should try logging in"), not a 404.
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if !ok {
		if s.webMinor() < 8 {
			javascriptServerError(w, `""`) // before 5.8
			return
		}
		notFoundText(w, "Image:"+args[0]+" not found")
		return
	}
	if backOff, pending := s.data.pyramidPending(im.ID, true); pending {
		// imageMarshal catches the ConcurrencyException of a pyramid still
		// being generated and answers it, with status 200.
		writeJSON(w, http.StatusOK, obj{"ConcurrencyException": obj{"backOff": backOff}})
		return
	}
	s.data.mu.RLock()
	meta := obj{"imageName": deref(im.Name), "imageDescription": deref(im.Desc), "imageId": im.ID,
		"imageAuthor": "", "projectName": "Multiple", "projectId": nil, "projectDescription": "",
		"datasetName": "Multiple", "datasetId": nil, "datasetDescription": "",
		"wellSampleId": "", "wellId": "", "imageTimestamp": imgTime(im), "pixelsType": im.PixelsType}
	if e := s.data.Experimenters[im.OwnerID]; e != nil {
		meta["imageAuthor"] = e.FirstName + " " + e.LastName
	}
	parents := parentsOf(s.data.Datasets, datasetImages, im.ID)
	if len(parents) == 1 {
		ds := parents[0]
		meta["datasetName"], meta["datasetId"], meta["datasetDescription"] = deref(ds.Name), ds.ID, deref(ds.Desc)
		projects := parentsOf(s.data.Projects, projectDatasets, ds.ID)
		if len(projects) == 1 {
			meta["projectName"], meta["projectId"], meta["projectDescription"] = deref(projects[0].Name), projects[0].ID, deref(projects[0].Desc)
		}
	}
	if im.WellID != 0 {
		meta["wellId"] = im.WellID
	}
	s.data.mu.RUnlock()

	lo, hi := typeRange(im.PixelsType)
	var chans []obj
	for i, ch := range im.Defaults.Channels {
		var emission any
		if i < len(im.Channels) && im.Channels[i].Emission > 0 {
			emission = im.Channels[i].Emission
		}
		c := obj{"emissionWave": emission, "label": channelLabel(im, i), "color": ch.Color.Hex(), "inverted": ch.Inverted,
			"reverseIntensity": ch.Inverted, "family": ch.Family, "coefficient": ch.Coefficient,
			"window": obj{"min": ch.Min, "max": ch.Max, "start": ch.Start, "end": ch.End}, "active": ch.Active}
		if ch.LUT != "" {
			c["lut"] = ch.LUT
		}
		chans = append(chans, c)
	}
	pixelSize := obj{"x": nil, "y": nil, "z": nil}
	if im.PhysicalSize > 0 {
		pixelSize["x"], pixelSize["y"] = im.PhysicalSize, im.PhysicalSize
	}
	if im.PhysicalSizeZ > 0 {
		pixelSize["z"] = im.PhysicalSizeZ
	}
	d := im.Defaults
	grid := obj{"width": im.SizeX*2 + 6, "height": im.SizeY*2 + 6, "border": 2, "gridx": 2, "gridy": 2}
	rv := obj{
		"id": im.ID, "meta": meta,
		"perms":       obj{"canAnnotate": true, "canEdit": false, "canDelete": false, "canLink": false},
		"tiles":       im.Levels > 1,
		"interpolate": true,
		"size":        obj{"width": im.SizeX, "height": im.SizeY, "z": im.SizeZ, "t": im.SizeT, "c": im.SizeC},
		"pixel_size":  pixelSize, "init_zoom": 0, "pixel_range": []float64{lo, hi}, "channels": chans,
		"split_channel": obj{"g": grid, "c": grid},
		"rdefs":         obj{"model": d.Model, "projection": d.Projection, "defaultZ": d.Z, "defaultT": d.T, "invertAxis": d.InvertAxis},
	}
	if im.Levels > 1 {
		res, zoom := obj{}, obj{}
		for v, sz := range levelSizes(im) {
			res[strconv.Itoa(v)] = obj{"sizeX": sz[0], "sizeY": sz[1]}
			// the width ratio only (getZoomLevelScaling)
			zoom[strconv.Itoa(v)] = float64(sz[0]) / float64(im.SizeX)
		}
		rv["tile_size"] = obj{"width": im.TileSize, "height": im.TileSize}
		rv["levels"] = im.Levels
		if s.webMinor() >= 31 {
			rv["resolutions"] = res
		}
		rv["zoomLevelScaling"] = zoom
	}
	writeJSON(w, http.StatusOK, rv)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// prepared is _get_prepared_image: the image's settings with the request's
// c, m, p, ia and maps applied, and the JPEG quality.
func prepared(im *Image, r *http.Request) (render.Settings, int, error) {
	set := im.Defaults.Clone()
	if err := set.ApplyQuery(r.URL.Query()); err != nil {
		return set, 0, err
	}
	quality := 90
	if q := r.URL.Query().Get("q"); q != "" {
		f, err := strconv.ParseFloat(q, 64)
		if err != nil || f < 0 || f > 1 {
			return set, 0, fmt.Errorf("q=%q: want 0..1", q)
		}
		quality = min(100, max(1, int(math.Round(f*100))))
	}
	return set, quality, nil
}

// renderArea renders the w × h output of the level-scaled area starting at
// full-resolution (x0, y0) with stepX × stepY full-resolution pixels per
// output pixel.
func renderArea(im *Image, set render.Settings, t int, x0, y0, stepX, stepY float64, w, h int) *render.Image {
	return render.Render(set, w, h, im.SizeZ, func(c, z, x, y int) float64 {
		return pixel(im, c, z, t, x0+float64(x)*stepX, y0+float64(y)*stepY)
	})
}

func writeJPEG(w http.ResponseWriter, img *render.Image, quality int) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img.ToRGBA(), &jpeg.Options{Quality: quality}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// plane reads the optional z and t of a URL (0-based), defaulting to the
// rendering settings', and checks them against the image.
func plane(im *Image, set *render.Settings, zText, tText string) bool {
	if zText != "" {
		set.Z, _ = strconv.Atoi(zText)
	}
	if tText != "" {
		set.T, _ = strconv.Atoi(tText)
	}
	return set.Z >= 0 && set.Z < im.SizeZ && set.T >= 0 && set.T < im.SizeT
}

// preparePlane is what render_image and render_image_region share: the
// visible image, its settings with the request's applied, the JPEG quality,
// and the plane of the URL. ok is false when it has answered already.
func (s *Server) preparePlane(w http.ResponseWriter, r *http.Request, args []string) (im *Image, set render.Settings, quality int, ok bool) {
	im, ok = s.visibleImage(w, r, args[0])
	if !ok {
		notFoundText(w, "Image:"+args[0]+" not found")
		return nil, set, 0, false
	}
	set, quality, err := prepared(im, r)
	if err != nil {
		badRequest(w, err.Error())
		return nil, set, 0, false
	}
	if _, pending := s.data.pyramidPending(im.ID, false); pending {
		// Preparing the rendering engine raises the ConcurrencyException,
		// which no render view catches.
		internalServerError(w)
		return nil, set, 0, false
	}
	if !plane(im, &set, args[1], args[2]) {
		djangoNotFound(w, r) // the gateway gives None for a plane that is not there
		return nil, set, 0, false
	}
	if d := s.opts.RenderLatency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return nil, set, 0, false
		}
	}
	return im, set, quality, true
}

func (s *Server) handleRenderImage(w http.ResponseWriter, r *http.Request, args []string) {
	im, set, quality, ok := s.preparePlane(w, r, args)
	if !ok {
		return
	}
	if im.SizeX > maxPlane || im.SizeY > maxPlane {
		// renderJpeg gives None for a plane it cannot render: 404.
		djangoNotFound(w, r)
		return
	}
	writeJPEG(w, RenderedPlane(im, set), quality)
}

// RenderedPlane is the server's rendering of the plane set.Z, set.T of im.
func RenderedPlane(im *Image, set render.Settings) *render.Image {
	return renderArea(im, set, set.T, 0, 0, 1, 1, im.SizeX, im.SizeY)
}

// RenderExpected is the exact rendering (before JPEG) that render_image
// gives for an image with its stored settings, for tests to compare with.
func (s *Server) RenderExpected(imageID int64) (*render.Image, error) {
	im, ok := s.data.Image(imageID)
	if !ok {
		return nil, fmt.Errorf("image %d not found", imageID)
	}
	return RenderedPlane(&im, im.Defaults.Clone()), nil
}

func (s *Server) handleRenderRegion(w http.ResponseWriter, r *http.Request, args []string) {
	im, set, quality, ok := s.preparePlane(w, r, args)
	if !ok {
		return
	}
	// renderJpegRegion renders plane Z only: a projection is not applied.
	set.Projection, set.ProjStart, set.ProjEnd = render.ProjectionNormal, -1, -1
	maxTile := s.opts.MaxTileLength
	var err error
	lw, lh := im.SizeX, im.SizeY
	var x, y, tw, th int
	q := r.URL.Query()
	switch {
	case q.Get("tile") != "":
		parts := strings.Split(q.Get("tile"), ",")
		nums := make([]int, len(parts))
		for i, p := range parts {
			if nums[i], err = strconv.Atoi(strings.TrimSpace(p)); err != nil {
				badRequest(w, "malformed tile argument, tile="+q.Get("tile"))
				return
			}
		}
		if len(nums) < 3 {
			badRequest(w, "malformed tile argument, tile="+q.Get("tile"))
			return
		}
		v := nums[0]
		tw, th = im.TileSize, im.TileSize
		if tw <= 0 {
			tw, th = min(im.SizeX, maxTile), min(im.SizeY, maxTile)
		}
		if len(nums) > 4 {
			// As upstream: a size ≤ 0 means the native tile (not cut), a
			// bigger one is cut to max_tile_length.
			for i, n := range nums[3:5] {
				if n <= 0 {
					continue
				}
				n = min(n, maxTile)
				if i == 0 {
					tw = n
				} else {
					th = n
				}
			}
		}
		switch {
		case v < 0:
			badRequest(w, fmt.Sprintf("Invalid resolution level %d < 0", v))
			return
		case im.Levels <= 1 && v > 0:
			badRequest(w, fmt.Sprintf("Invalid resolution level %d, non pyramid file", v))
			return
		case v > im.Levels-1:
			badRequest(w, fmt.Sprintf("Invalid resolution level, %d > number of available levels %d ", v, im.Levels-1))
			return
		}
		sz := levelSizes(im)[v]
		lw, lh = sz[0], sz[1]
		x, y = nums[1]*tw, nums[2]*th
	case q.Get("region") != "":
		parts := strings.Split(q.Get("region"), ",")
		if len(parts) != 4 {
			badRequest(w, "malformed region argument, region="+q.Get("region"))
			return
		}
		var nums [4]int
		for i, p := range parts {
			if nums[i], err = strconv.Atoi(strings.TrimSpace(p)); err != nil {
				badRequest(w, "malformed region argument, region="+q.Get("region"))
				return
			}
		}
		x, y, tw, th = nums[0], nums[1], nums[2], nums[3]
	default:
		badRequest(w, "tile or region argument required")
		return
	}
	if x < 0 || y < 0 || tw <= 0 || th <= 0 || x >= lw || y >= lh {
		djangoNotFound(w, r) // renderJpegRegion gives None
		return
	}
	tw, th = min(tw, lw-x), min(th, lh-y)
	if tw > maxPlane || th > maxPlane {
		djangoNotFound(w, r)
		return
	}
	sx, sy := float64(im.SizeX)/float64(lw), float64(im.SizeY)/float64(lh)
	writeJPEG(w, renderArea(im, set, set.T, float64(x)*sx, float64(y)*sy, sx, sy, tw, th), quality)
}

// handleThumbnail serves render_thumbnail (longest side 96 by default, or
// w × h) and render_birds_eye_view (longest side size).
func (s *Server) handleThumbnail(w http.ResponseWriter, r *http.Request, args []string, birdsEye bool) {
	im, ok := s.visibleImage(w, r, args[0])
	if !ok {
		notFoundText(w, "Image:"+args[0]+" not found")
		return
	}
	set := im.Defaults.Clone()
	q := r.URL.Query()
	if z, err := strconv.Atoi(q.Get("z")); err == nil {
		set.Z = z
	}
	if t, err := strconv.Atoi(q.Get("t")); err == nil {
		set.T = t
	}
	if set.Z < 0 || set.Z >= im.SizeZ || set.T < 0 || set.T >= im.SizeT {
		djangoNotFound(w, r)
		return
	}
	size := 96
	if len(args) > 1 && args[1] != "" {
		size, _ = strconv.Atoi(args[1])
	}
	tw, th := render.TargetSize(im.SizeX, im.SizeY, max(1, size))
	if !birdsEye && len(args) > 2 && args[2] != "" {
		th, _ = strconv.Atoi(args[2])
		tw = max(1, size)
	}
	if tw > maxPlane || th > maxPlane {
		badRequest(w, "thumbnail too large")
		return
	}
	if birdsEye || len(args) < 3 || args[2] == "" {
		s.countThumbnail(size)
	} else {
		s.count("thumbnail_rendered")
	}
	sx := float64(im.SizeX) / float64(tw)
	img := render.Render(set, tw, th, im.SizeZ, func(c, z, x, y int) float64 {
		return pixel(im, c, z, set.T, float64(x)*sx, float64(y)*float64(im.SizeY)/float64(th))
	})
	writeJPEG(w, img, 90)
}

// thumbnailBatch is omero.web.thumbnails_batch: the most ids get_thumbnails
// answers at once.
const thumbnailBatch = 50

// cachedThumbnailSize is the longest side of the thumbnails OMERO's
// thumbnail service keeps; any other size is rendered on each request.
const cachedThumbnailSize = 96

// countThumbnail counts a thumbnail served from the thumbnail service's
// cache ("thumbnail_cached") or rendered for the request
// ("thumbnail_rendered").
func (s *Server) countThumbnail(size int) {
	if size == cachedThumbnailSize {
		s.count("thumbnail_cached")
	} else {
		s.count("thumbnail_rendered")
	}
}

// thumbnailJPEG is an image's thumbnail of longest side size with its
// stored settings, as JPEG.
func thumbnailJPEG(im *Image, size int) []byte {
	tw, th := render.TargetSize(im.SizeX, im.SizeY, max(1, min(size, maxPlane)))
	set := im.Defaults.Clone()
	img := render.Render(set, tw, th, im.SizeZ, func(c, z, x, y int) float64 {
		return pixel(im, c, z, set.T, float64(x)*float64(im.SizeX)/float64(tw), float64(y)*float64(im.SizeY)/float64(th))
	})
	var buf bytes.Buffer
	jpeg.Encode(&buf, img.ToRGBA(), &jpeg.Options{Quality: 90})
	return buf.Bytes()
}

// handleGetThumbnails is get_thumbnails/[w/]?id=…: base64 JPEGs in JSON by
// id, null for an id the server cannot give a thumbnail of; duplicates are
// dropped; more than 50 distinct ids is a 500 (get_thumbnails_json).
func (s *Server) handleGetThumbnails(w http.ResponseWriter, r *http.Request, args []string) {
	var ids []string
	seen := map[int64]bool{}
	for _, v := range r.URL.Query()["id"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || seen[n] {
			continue // get_longs skips what is not a number
		}
		seen[n] = true
		ids = append(ids, strconv.FormatInt(n, 10))
	}
	if len(ids) > thumbnailBatch {
		javascriptServerError(w, fmt.Sprintf("Max %d thumbnails at a time.", thumbnailBatch))
		return
	}
	size := cachedThumbnailSize
	if args[0] != "" {
		size, _ = strconv.Atoi(args[0])
	}
	out := obj{}
	for _, id := range ids {
		out[id] = nil
		im, ok := s.visibleImage(w, r, id)
		if !ok {
			continue
		}
		if _, pending := s.data.pyramidPending(im.ID, false); pending {
			continue
		}
		s.countThumbnail(size)
		out[id] = "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(thumbnailJPEG(im, size))
	}
	writeJSON(w, http.StatusOK, out)
}
