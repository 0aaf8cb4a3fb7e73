package testserver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/omerofs/omerofs/render/tiff"
)

// Glencoe's pixel-buffer microservice (glencoesoftware/omero-ms-pixel-buffer,
// PixelBufferMicroserviceVerticle, TileCtx, TileRequestHandler), served at
// /tile/ beside OMERO.web as nginx would route it (Options.PixelBuffer).
//
//   - OPTIONS (any path it serves): {"provider": "PixelBufferMicroservice",
//     "version": …, "features": []}, before any session check.
//   - GET /tile/<imageId>/<z>/<c>/<t>?x=&y=&w=&h=&resolution=&format=: the
//     session key comes from the X-OMERO-Session-Key header, ?bsession=, or
//     the OMERO.web "sessionid" cookie looked up in the shared session
//     store; none, or a dead one: 403, empty body. Unparseable numbers: 400
//     with Java's NumberFormatException message. Missing x, y: 0; missing
//     (or 0) w, h: the full-resolution SizeX, SizeY, whatever the level.
//     resolution is the engine's level (0 = smallest); absent = full size.
//     Any failure of the read (unknown image, plane or region out of
//     bounds, a region of more than 3192·3192 pixels, an unknown format):
//     404, empty body. Raw answers are application/octet-stream, big-endian;
//     format=tif a big-endian TIFF, format=png a PNG (8/16-bit types only).
//     Content-Disposition names the file image<id>_z_c_t_x_y_w_h.<format|bin>.

// pixelBufferVersion is what our stand-in reports as its version.
const pixelBufferVersion = "0.12.0"

func (s *Server) handlePixelBufferOptions(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\n  \"provider\" : \"PixelBufferMicroservice\",\n  \"version\" : %q,\n  \"features\" : [ ]\n}", pixelBufferVersion)
}

// vertxNotFound is Vert.x's answer for a path no route matches.
func vertxNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte("<html><body><h1>Resource not found</h1></body></html>"))
}

// microserviceUser is OmeroWebSessionRequestHandler plus joining the OMERO
// session: the user, or false after answering 403.
func (s *Server) microserviceUser(w http.ResponseWriter, r *http.Request) (*Experimenter, bool) {
	var os *omeroSession
	key := r.Header.Get("X-OMERO-Session-Key")
	if key == "" {
		key = r.URL.Query().Get("bsession")
	}
	s.sessions.mu.Lock()
	if key != "" {
		os = s.sessions.omero[key]
	} else if c, err := r.Cookie("sessionid"); err == nil {
		os = s.sessions.web[c.Value]
	}
	s.sessions.mu.Unlock()
	if os == nil || !s.alive(os) {
		w.WriteHeader(http.StatusForbidden)
		return nil, false
	}
	e := s.userByID(os.userID)
	if e == nil {
		w.WriteHeader(http.StatusForbidden)
		return nil, false
	}
	return e, true
}

// javaInt parses as Integer.parseInt does; the error is Java's message.
func javaInt(s string, bits int) (int64, error) {
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("For input string: \"%s\"", s) //lint:ignore ST1005 Java's own message, sent to clients as is
	}
	return v, nil
}

func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/tile/"), "/")
	if r.Method != http.MethodGet || len(parts) != 4 || slicesContainEmpty(parts) {
		vertxNotFound(w)
		return
	}
	user, ok := s.microserviceUser(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var nums [4]int64
	var err error
	bits := []int{64, 32, 32, 32}
	for i, p := range parts {
		if nums[i], err = javaInt(p, bits[i]); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(err.Error()))
			return
		}
	}
	opt := func(name string) (int64, bool, error) {
		v := q.Get(name)
		if v == "" && !q.Has(name) {
			return 0, false, nil
		}
		n, err := javaInt(v, 32)
		return n, true, err
	}
	var region [4]int64
	for i, name := range []string{"x", "y", "w", "h"} {
		if region[i], _, err = opt(name); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(err.Error()))
			return
		}
	}
	resolution, hasRes, err := opt("resolution")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(err.Error()))
		return
	}
	format := q.Get("format")
	id, z, c, t := nums[0], int(nums[1]), int(nums[2]), int(nums[3])

	s.data.mu.RLock()
	im := s.data.Images[id]
	visible := im != nil && s.visible(user, im.Owned, nil)
	var cp Image
	if visible {
		cp = *im
	}
	s.data.mu.RUnlock()
	fail := func() { w.WriteHeader(http.StatusNotFound) }
	if !visible {
		fail()
		return
	}
	x, y, rw, rh := int(region[0]), int(region[1]), int(region[2]), int(region[3])
	if rw == 0 {
		rw = cp.SizeX
	}
	if rh == 0 {
		rh = cp.SizeY
	}
	level := 0 // ours: 0 = full resolution
	if hasRes {
		if resolution < 0 || resolution >= int64(max(cp.Levels, 1)) {
			fail()
			return
		}
		level = max(cp.Levels, 1) - 1 - int(resolution)
	}
	if int64(rw)*int64(rh) > maxPlane*maxPlane {
		fail() // "Requested shape … > max plane size"
		return
	}
	data, err := RawRegion(cp, level, z, c, t, x, y, rw, rh)
	if err != nil {
		fail()
		return
	}
	pt, _ := tiff.ParsePixelType(cp.PixelsType)
	ctype, ext := "application/octet-stream", "bin"
	switch format {
	case "":
	case "tif":
		ctype, ext = "image/tiff", "tif"
		f := &tiff.File{Pages: []tiff.Page{{Width: rw, Height: rh, Type: pt}}}
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf, func(_, y0, n int, b []byte) error {
			copy(b, data[y0*rw*pt.Bytes():])
			return nil
		}); err != nil {
			fail()
			return
		}
		data = buf.Bytes()
	case "png":
		ctype, ext = "image/png", "png"
		var img image.Image
		switch pt {
		case tiff.Uint8:
			img = &image.Gray{Pix: data, Stride: rw, Rect: image.Rect(0, 0, rw, rh)}
		case tiff.Uint16:
			img = &image.Gray16{Pix: data, Stride: 2 * rw, Rect: image.Rect(0, 0, rw, rh)}
		default:
			fail() // Bio-Formats' PNG writer takes 8- and 16-bit unsigned only
			return
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		data = buf.Bytes()
	default:
		fail() // "Unknown output format"
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"image%d_z%d_c%d_t%d_x%d_y%d_w%d_h%d.%s\"", id, z, c, t, x, y, rw, rh, ext))
	w.Write(data)
}

func slicesContainEmpty(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return true
		}
	}
	return false
}

// bigEndianToLittle swaps each size-byte value of b in place.
func bigEndianToLittle(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+2 <= len(b); i += 2 {
			binary.LittleEndian.PutUint16(b[i:], binary.BigEndian.Uint16(b[i:]))
		}
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], binary.BigEndian.Uint32(b[i:]))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.BigEndian.Uint64(b[i:]))
		}
	}
}
