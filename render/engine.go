package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"net/url"
	"sync"
)

// ImageInfo is what a rendering engine loads when it opens an image: its
// dimensions, pyramid and rendering settings (webgateway imgData).
type ImageInfo struct {
	ID                                int64
	SizeX, SizeY, SizeZ, SizeT, SizeC int
	PixelsType                        string
	Tiled                             bool // a pyramid ("big") image: render by tiles, never whole
	TileWidth, TileHeight             int
	Levels                            int
	// Resolutions are the pyramid's level sizes as imgData's "resolutions"
	// gives them, index 0 the full size; nil when the server does not say.
	Resolutions []Size
	// ZoomLevelScaling is imgData's zoomLevelScaling: level → scale of the
	// full size (level 0 is 1). Used when Resolutions is nil.
	ZoomLevelScaling map[int]float64
	Settings         Settings
}

// Size is a width and height in pixels.
type Size struct{ Width, Height int }

// Source is the server side of a rendering engine: where its settings and
// rendered planes come from. wrappers adapts the gateway to it.
type Source interface {
	// ImageInfo loads the image's dimensions and rendering settings.
	ImageInfo(ctx context.Context, imageID int64) (*ImageInfo, error)
	// RenderImage renders plane (z, t) with the query's settings: a JPEG.
	RenderImage(ctx context.Context, imageID int64, z, t int, q url.Values) ([]byte, error)
	// RenderRegion renders a region or tile (q has region= or tile=): a JPEG.
	RenderRegion(ctx context.Context, imageID int64, z, t int, q url.Values) ([]byte, error)
}

// Engine is a short-lived rendering engine, as the Blitz Gateway uses
// OMERO's: opened for one image with the image's own settings, used to
// render, closed at once. It keeps no server state, so a render can never
// be affected by another's settings.
type Engine struct {
	src    Source
	base   Settings // the settings the server has stored, as loaded
	info   *ImageInfo
	mu     sync.Mutex
	closed bool
	raw    Raw // set by UseRaw: render on the client (local.go)
}

// ErrClosed is returned by a closed engine.
var ErrClosed = errors.New("rendering engine is closed")

// OpenEngine opens an engine for the image: it loads the image's rendering
// settings.
func OpenEngine(ctx context.Context, src Source, imageID int64) (*Engine, error) {
	info, err := src.ImageInfo(ctx, imageID)
	if err != nil {
		return nil, fmt.Errorf("load rendering settings of image %d: %w", imageID, err)
	}
	if info.SizeX <= 0 || info.SizeY <= 0 {
		return nil, fmt.Errorf("image %d: server reports size %d×%d", imageID, info.SizeX, info.SizeY)
	}
	cp := *info
	cp.Settings = info.Settings.Clone()
	return &Engine{src: src, info: &cp, base: info.Settings.Clone()}, nil
}

// Info returns what the engine loaded; the caller must not change it.
func (e *Engine) Info() *ImageInfo { return e.info }

// Render renders the default plane with the engine's settings, at exactly
// w × h.
func (e *Engine) Render(ctx context.Context, w, h int) (*Image, error) {
	e.mu.Lock()
	closed := e.closed
	info := *e.info
	raw := e.raw
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("render image %d at %d×%d", info.ID, w, h)
	}
	if raw != nil {
		img, err := renderLocal(ctx, &info, raw, w, h)
		if err == nil {
			return Resize(img, w, h), nil
		}
		if !errors.Is(err, ErrNoLocal) {
			return nil, err
		}
	}
	// Only what differs from the stored settings (request.go): the request
	// line of a 64-channel image must stay within gunicorn's limit.
	q := requestQuery(info.Settings, e.base, !info.Tiled)
	q.Set("q", "1") // least JPEG loss
	var img *Image
	var err error
	if info.Tiled {
		img, err = renderTiled(ctx, e.src, &info, q, w, h)
	} else {
		var data []byte
		data, err = e.src.RenderImage(ctx, info.ID, info.Settings.Z, info.Settings.T, q)
		if err == nil {
			img, err = decodeJPEG(data)
		}
	}
	if err != nil {
		if info.Tiled {
			return nil, fmt.Errorf("render image %d by tiles: %w", info.ID, err)
		}
		return nil, err // the Source's error names the image already
	}
	return Resize(img, w, h), nil
}

// Close ends the engine; later calls fail with ErrClosed.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	return nil
}

// ErrBadImage is wrapped by errors about image data that cannot be decoded.
var ErrBadImage = errors.New("undecodable image data")

// decodeJPEG decodes a server's JPEG, never panicking on bad data.
func decodeJPEG(data []byte) (img *Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w: JPEG decoder failed: %v", ErrBadImage, p)
		}
	}()
	dec, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes of JPEG: %v", ErrBadImage, len(data), err)
	}
	return FromImage(dec), nil
}
