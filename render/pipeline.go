package render

import (
	"context"
	"fmt"
)

// Opener opens a short-lived rendering engine for one image.
// wrappers.ImageObject is one; render names no wrapper type so that it
// stays a leaf package.
type Opener interface {
	ID() int64
	OpenRenderingEngine(ctx context.Context) (*Engine, error)
}

// RenderPNG is the whole path from an image to the bytes of its file:
// open an engine for img, render the default plane at exactly w × h, close
// the engine, and encode the stored PNG. The result is exactly PNGSize(w,
// h) bytes long, the length stat reported before anything was rendered;
// any disagreement is an error, never wrong bytes.
func RenderPNG(ctx context.Context, img Opener, w, h int) ([]byte, error) {
	eng, err := img.OpenRenderingEngine(ctx)
	if err != nil {
		return nil, fmt.Errorf("open rendering engine of image %d: %w", img.ID(), err)
	}
	defer eng.Close()
	rgb, err := eng.Render(ctx, w, h)
	if err != nil {
		return nil, err // the engine's error names the image already
	}
	if rgb.Width != w || rgb.Height != h {
		return nil, fmt.Errorf("render image %d: got %d×%d, want %d×%d", img.ID(), rgb.Width, rgb.Height, w, h)
	}
	want := PNGSize(w, h)
	data := AppendPNG(make([]byte, 0, want), rgb)
	if int64(len(data)) != want {
		return nil, fmt.Errorf("encode image %d: PNG of %d bytes, want %d", img.ID(), len(data), want)
	}
	return data, nil
}
