package render

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"testing"
)

// fakeImage opens engines on a fakeSource, as wrappers.Image does on the
// gateway.
type fakeImage struct {
	id  int64
	src *fakeSource
}

func (f fakeImage) ID() int64 { return f.id }

func (f fakeImage) OpenRenderingEngine(ctx context.Context) (*Engine, error) {
	return OpenEngine(ctx, f.src, f.id)
}

func TestRenderPNGGivesTheStatLength(t *testing.T) {
	img := fakeImage{7, &fakeSource{info: plainInfo()}}
	data, err := RenderPNG(context.Background(), img, 20, 15)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != PNGSize(20, 15) {
		t.Fatalf("%d bytes, PNGSize says %d", len(data), PNGSize(20, 15))
	}
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := dec.Bounds(); b.Dx() != 20 || b.Dy() != 15 {
		t.Errorf("decoded %v, want 20×15", b)
	}
}

func TestRenderPNGErrors(t *testing.T) {
	_, err := RenderPNG(context.Background(), fakeImage{8, &fakeSource{info: plainInfo()}}, 20, 15)
	if !errors.Is(err, errNotFound) || !bytes.Contains([]byte(err.Error()), []byte("image 8")) {
		t.Errorf("missing image: %v", err)
	}
	_, err = RenderPNG(context.Background(), fakeImage{7, &fakeSource{info: plainInfo(), corrupt: true}}, 20, 15)
	if !errors.Is(err, ErrBadImage) {
		t.Errorf("garbage JPEG: %v", err)
	}
	if _, err := RenderPNG(context.Background(), fakeImage{7, &fakeSource{info: plainInfo()}}, 0, 15); err == nil {
		t.Error("a 0×15 rendering was accepted")
	}
}
