package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeSource renders a known gradient: pixel (x, y) of the full image has
// grey value (x + y) % 256, so any misplaced tile shows.
type fakeSource struct {
	info    ImageInfo
	mu      sync.Mutex
	queries []url.Values
	corrupt bool
	block   chan struct{}
}

func (f *fakeSource) ImageInfo(ctx context.Context, id int64) (*ImageInfo, error) {
	if id != f.info.ID {
		return nil, fmt.Errorf("image %d: %w", id, errNotFound)
	}
	i := f.info
	return &i, nil
}

var errNotFound = errors.New("not found")

func (f *fakeSource) encode(x0, y0, w, h, step int) ([]byte, error) {
	img := NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(((x0+x)*step + (y0+y)*step) % 256)
			i := (y*w + x) * 3
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, v, v
		}
	}
	if f.corrupt {
		return []byte("\xff\xd8garbage"), nil
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img.ToRGBA(), &jpeg.Options{Quality: 100})
	return buf.Bytes(), err
}

func (f *fakeSource) record(q url.Values) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
}

func (f *fakeSource) RenderImage(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	f.record(q)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.encode(0, 0, f.info.SizeX, f.info.SizeY, 1)
}

func (f *fakeSource) RenderRegion(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	f.record(q)
	parts := strings.Split(q.Get("tile"), ",")
	var n [5]int
	for i, p := range parts {
		n[i], _ = strconv.Atoi(p)
	}
	level, col, row, tw, th := n[0], n[1], n[2], n[3], n[4]
	sizes := levelSizes(&f.info)
	lw, lh := sizes[level].Width, sizes[level].Height
	step := f.info.SizeX / lw // the fake's levels halve exactly
	w, h := min(tw, lw-col*tw), min(th, lh-row*th)
	return f.encode(col*tw, row*th, w, h, step)
}

func plainInfo() ImageInfo {
	return ImageInfo{ID: 7, SizeX: 40, SizeY: 30, SizeZ: 1, SizeT: 1, SizeC: 1,
		Settings: Settings{Model: ModelGreyscale, Projection: ProjectionNormal, ProjStart: -1, ProjEnd: -1,
			Channels: []Channel{{Active: true, Start: 0, End: 255, Color: White}}}}
}

func TestEngineRendersThePlaneWithItsSettings(t *testing.T) {
	src := &fakeSource{info: plainInfo()}
	e, err := OpenEngine(context.Background(), src, 7)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.Render(context.Background(), 40, 30)
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := img.At(10, 5); absDiff(r, 15) > 2 {
		t.Errorf("pixel (10,5) = %d, want ≈15", r)
	}
	q := src.queries[0]
	// The stored settings unchanged: the active channel only, nothing else.
	if q.Get("q") != "1" || q.Get("c") != "1" || q.Get("m") != "g" || q.Has("maps") {
		t.Errorf("render query %v", q)
	}
	e.Close()
	if _, err := e.Render(context.Background(), 1, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("render after close: %v", err)
	}
}

func TestEngineTiledPicksALevelAndAssembles(t *testing.T) {
	info := plainInfo()
	info.SizeX, info.SizeY = 1000, 600
	info.Tiled, info.TileWidth, info.TileHeight, info.Levels = true, 64, 64, 3
	info.ZoomLevelScaling = map[int]float64{0: 1, 1: 0.5, 2: 0.25}
	src := &fakeSource{info: info}
	e, err := OpenEngine(context.Background(), src, 7)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.Render(context.Background(), 250, 150) // exactly level 2
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range src.queries {
		if !strings.HasPrefix(q.Get("tile"), "2,") {
			t.Fatalf("asked for tile %q, want level 2 only", q.Get("tile"))
		}
	}
	if want := 4 * 3; len(src.queries) != want { // ceil(250/64) × ceil(150/64)
		t.Errorf("%d tile requests, want %d", len(src.queries), want)
	}
	// Level 2 pixel (x, y) is full-size (4x, 4y): value (4x + 4y) % 256.
	for _, p := range [][2]int{{0, 0}, {63, 63}, {64, 0}, {200, 140}, {249, 149}} {
		want := uint8((4*p[0] + 4*p[1]) % 256)
		if r, _, _ := img.At(p[0], p[1]); absDiff(r, want) > 3 {
			t.Errorf("pixel %v = %d, want ≈%d", p, r, want)
		}
	}
}

func TestEngineErrors(t *testing.T) {
	if _, err := OpenEngine(context.Background(), &fakeSource{info: plainInfo()}, 8); !errors.Is(err, errNotFound) {
		t.Errorf("missing image: %v", err)
	}
	src := &fakeSource{info: plainInfo(), corrupt: true}
	e, _ := OpenEngine(context.Background(), src, 7)
	if _, err := e.Render(context.Background(), 40, 30); !errors.Is(err, ErrBadImage) {
		t.Errorf("garbage JPEG: %v", err)
	}
	blocked := &fakeSource{info: plainInfo(), block: make(chan struct{})}
	e, _ = OpenEngine(context.Background(), blocked, 7)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Render(ctx, 40, 30); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled render: %v", err)
	}
}

func FuzzDecodeJPEGNeverPanics(f *testing.F) {
	good, _ := (&fakeSource{info: plainInfo()}).encode(0, 0, 8, 8, 1)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeJPEG(data)
		if err == nil && len(img.Pix) != img.Width*img.Height*3 {
			t.Fatal("inconsistent image")
		}
	})
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// BenchmarkDecodeJPEG1024 is the client's cost of turning a 1024×1024 JPEG
// from the server into RGB: jpeg.Decode plus FromImage.
func BenchmarkDecodeJPEG1024(b *testing.B) {
	src := &fakeSource{info: plainInfo()}
	data, err := src.encode(0, 0, 1024, 1024, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1024 * 1024 * 3)
	for b.Loop() {
		if _, err := decodeJPEG(data); err != nil {
			b.Fatal(err)
		}
	}
}
