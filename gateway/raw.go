package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The raw pixel routes (docs/omero-web.md, "Raw pixels"): Glencoe's
// pixel-buffer microservice (/tile/), the omero-web-zarr app (/zarr/) and
// core OMERO.web's render_ome_tiff. This file speaks HTTP only; choosing a
// route and decoding its bytes is wrappers/raw's work.

// PixelBufferInfo is the pixel-buffer microservice's answer to OPTIONS.
type PixelBufferInfo struct {
	Provider string   `json:"provider"`
	Version  string   `json:"version"`
	Features []string `json:"features"`
	// Path is where the service answered: "tile/" under the OMERO.web
	// root, or "/tile/" at the host's root when OMERO.web has a prefix.
	Path string `json:"-"`
}

// PixelBufferProvider is the provider name the microservice reports.
const PixelBufferProvider = "PixelBufferMicroservice"

// ProbePixelBuffer asks OPTIONS /tile/ whether the microservice is there:
// beside OMERO.web's prefix, then at the host's root (nginx's usual
// "location /tile/"). ErrNotFound when neither answers as it does.
func (c *Conn) ProbePixelBuffer(ctx context.Context) (*PixelBufferInfo, error) {
	paths := []string{"tile/"}
	if c.root.Path != "/" {
		paths = append(paths, "/tile/")
	}
	var last error
	for _, p := range paths {
		resp, err := c.do(ctx, request{method: http.MethodOptions, path: p, maxBody: 64 << 10})
		if err != nil {
			last = err
			continue
		}
		var info PixelBufferInfo
		if json.Unmarshal(resp.body, &info) != nil || info.Provider != PixelBufferProvider {
			last = fmt.Errorf("OPTIONS %s: not the pixel-buffer service: %w", p, ErrNotFound)
			continue
		}
		info.Path = p
		return &info, nil
	}
	return nil, fmt.Errorf("pixel-buffer service: %w", last)
}

// TileRequest is one region of a plane from the pixel-buffer service.
// Resolution is the engine's level (0 = the smallest), -1 = full size.
type TileRequest struct {
	ImageID       int64
	Z, C, T       int
	X, Y, W, H    int
	Resolution    int
	BytesPerPixel int // the image's: the answer must be W·H·BytesPerPixel bytes
}

// PixelBufferTile gets the raw, big-endian bytes of a region from the
// service found by ProbePixelBuffer. W and H must be given (the service
// defaults them to the full-resolution size) and W·H at most 3192² (it
// answers 404 above).
func (c *Conn) PixelBufferTile(ctx context.Context, info *PixelBufferInfo, r TileRequest) ([]byte, error) {
	if r.W <= 0 || r.H <= 0 || r.BytesPerPixel <= 0 {
		return nil, fmt.Errorf("pixel-buffer tile of image %d: region %d×%d, %d bytes a pixel", r.ImageID, r.W, r.H, r.BytesPerPixel)
	}
	path := fmt.Sprintf("%s%d/%d/%d/%d", info.Path, r.ImageID, r.Z, r.C, r.T)
	q := url.Values{"x": {strconv.Itoa(r.X)}, "y": {strconv.Itoa(r.Y)}, "w": {strconv.Itoa(r.W)}, "h": {strconv.Itoa(r.H)}}
	if r.Resolution >= 0 {
		q.Set("resolution", strconv.Itoa(r.Resolution))
	}
	want := int64(r.W) * int64(r.H) * int64(r.BytesPerPixel)
	// The service reads the OMERO.web session cookie from its Redis store;
	// the session key itself works wherever the cookie's path does not.
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, maxBody: want, sessionKey: true})
	if err != nil {
		return nil, fmt.Errorf("pixel-buffer tile of image %d: %w", r.ImageID, err)
	}
	if int64(len(resp.body)) != want {
		return nil, badResponse(path, fmt.Sprintf("%d bytes for a %d×%d region, want %d", len(resp.body), r.W, r.H, want), nil)
	}
	return resp.body, nil
}

func zarrPath(imageID int64, rest string) string {
	return "zarr/v0.4/image/" + id(imageID) + ".zarr/" + rest
}

// ZarrGroup checks the omero-web-zarr app's .zgroup of an image. The app
// answers it for any id, so it says only that the app is installed.
func (c *Conn) ZarrGroup(ctx context.Context, imageID int64) error {
	path := zarrPath(imageID, ".zgroup")
	body, err := c.getJSON(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("omero-web-zarr: %w", err)
	}
	var g struct {
		ZarrFormat int `json:"zarr_format"`
	}
	if json.Unmarshal(body, &g) != nil || g.ZarrFormat != 2 {
		return badResponse(path, "not a Zarr v2 group", nil)
	}
	return nil
}

// ZarrAttrs gets an image's .zattrs (OME-NGFF 0.4 multiscales and omero).
func (c *Conn) ZarrAttrs(ctx context.Context, imageID int64) ([]byte, error) {
	body, err := c.getJSON(ctx, zarrPath(imageID, ".zattrs"), nil)
	if err != nil {
		return nil, fmt.Errorf("zarr attributes of image %d: %w", imageID, err)
	}
	return body, nil
}

// ZarrArray gets the .zarray of an image's level.
func (c *Conn) ZarrArray(ctx context.Context, imageID int64, level int) ([]byte, error) {
	body, err := c.getJSON(ctx, zarrPath(imageID, strconv.Itoa(level)+"/.zarray"), nil)
	if err != nil {
		return nil, fmt.Errorf("zarr array %d of image %d: %w", level, imageID, err)
	}
	return body, nil
}

// ZarrChunk gets one chunk (key: one index per axis), as the compressed
// bytes the app sends (it labels them text/html), at most maxBytes.
func (c *Conn) ZarrChunk(ctx context.Context, imageID int64, level int, key []int, maxBytes int64) ([]byte, error) {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = strconv.Itoa(k)
	}
	path := zarrPath(imageID, strconv.Itoa(level)+"/"+strings.Join(parts, "/"))
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, maxBody: maxBytes})
	if err != nil {
		return nil, fmt.Errorf("zarr chunk of image %d: %w", imageID, err)
	}
	return resp.body, nil
}

// OMETiffCount asks render_ome_tiff with ?dryrun=1 how many images it
// would export: 0 for an image above the pyramid threshold.
func (c *Conn) OMETiffCount(ctx context.Context, imageID int64) (int, error) {
	path := "webgateway/render_ome_tiff/i/" + id(imageID) + "/"
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{"dryrun": {"1"}}, maxBody: 1024})
	if err != nil {
		return 0, fmt.Errorf("OME-TIFF export of image %d: %w", imageID, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(resp.body)))
	if err != nil {
		return 0, badResponse(path, "dryrun count", err)
	}
	return n, nil
}

// OMETiff streams the OME-TIFF of an image into w and returns its length,
// checked against Content-Length. The server builds the whole file before
// the first byte (it may take long: the call is bounded by ctx only).
// After an error, whatever w received is to be thrown away.
func (c *Conn) OMETiff(ctx context.Context, imageID int64, w io.Writer) (int64, error) {
	path := "webgateway/render_ome_tiff/i/" + id(imageID) + "/"
	n, err := c.stream(ctx, path, w)
	if err != nil {
		return n, fmt.Errorf("OME-TIFF export of image %d: %w", imageID, err)
	}
	return n, nil
}

// stream GETs path into w without holding the body, renewing an expired
// session once before any byte is written.
func (c *Conn) stream(ctx context.Context, path string, w io.Writer) (int64, error) {
	c.mu.Lock()
	gen, closed := c.gen, c.closed
	c.mu.Unlock()
	if closed {
		return 0, errors.New("connection closed")
	}
	for relogged := false; ; relogged = true {
		n, err := c.streamOnce(ctx, path, w)
		if errors.Is(err, ErrNotLoggedIn) && n == 0 && !relogged {
			if lerr := c.relogin(ctx, gen); lerr != nil {
				return 0, fmt.Errorf("%w (renewing the session failed: %v)", err, lerr)
			}
			continue
		}
		return n, err
	}
}

func (c *Conn) streamOnce(ctx context.Context, path string, w io.Writer) (int64, error) {
	u := c.root.ResolveReference(&url.URL{Path: path})
	red := c.redact(u)
	bg := IsBackground(ctx)
	if err := c.slots.acquire(ctx, bg); err != nil {
		return 0, fmt.Errorf("%s: %w", red, err)
	}
	defer c.slots.release(bg)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", red, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	start := time.Now()
	c.bump(func(s *Stats) { s.Requests++ })
	resp, err := c.client.Do(req)
	if err != nil {
		c.countRequest(path, "error")
		return 0, c.transportError(ctx, red, err)
	}
	defer resp.Body.Close()
	c.countRequest(path, strconv.Itoa(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return 0, classify(resp.StatusCode, body, resp.Header.Get("Location"), red)
	}
	ew := &errWriter{w: w}
	n, err := io.Copy(ew, resp.Body)
	if ew.err != nil {
		return n, fmt.Errorf("%s: keeping the answer: %w", red, ew.err)
	}
	if err != nil {
		return n, c.transportError(ctx, red, fmt.Errorf("reading the answer: %w", err))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, badResponse(red, fmt.Sprintf("%d bytes of %d", n, resp.ContentLength), nil)
	}
	c.log.WithField("url", red).WithField("bytes", n).WithField("took", time.Since(start).Round(time.Millisecond)).Debug("streamed")
	return n, nil
}

// errWriter remembers a write error, to tell it from a read error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	n, err := e.w.Write(b)
	if err != nil {
		e.err = err
	}
	return n, err
}
