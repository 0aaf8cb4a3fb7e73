package render

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"math/rand"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pyramidSource serves tiles as a real OMERO.web does (docs/omero-web.md):
// a requested side above maxTile is cut to it and the tile placed by the cut
// size; no size (or ≤ 0) means the native tile; a tile past a level's real
// edge is a 404; a level's real size may differ from what imgData says.
// Pixel (x, y) of a level is the colour of the full-resolution point it
// covers: red = 255·x/width, green = 255·y/height, so a misplaced tile shows.
type pyramidSource struct {
	info    ImageInfo // what imgData says
	real    []Size    // the levels' real sizes
	native  int
	maxTile int

	mu       sync.Mutex
	queries  []url.Values
	pixels   int64 // pixels served
	biggest  int   // the widest tile served
	inFlight int
	peak     int           // most tile requests in flight at once
	together chan struct{} // when set, closed once two requests are in flight
}

func (p *pyramidSource) ImageInfo(ctx context.Context, id int64) (*ImageInfo, error) {
	i := p.info
	return &i, nil
}

func (p *pyramidSource) RenderImage(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	return nil, fmt.Errorf("render_image of a pyramid: %w", errNotFound)
}

func (p *pyramidSource) RenderRegion(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	p.mu.Lock()
	p.queries = append(p.queries, q)
	p.inFlight++
	p.peak = max(p.peak, p.inFlight)
	if p.together != nil && p.inFlight == 2 {
		close(p.together)
		p.together = nil
	}
	wait := p.together
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	if wait != nil {
		select { // give a second request the chance to come
		case <-wait:
		case <-time.After(2 * time.Second):
		}
	}
	var n []int
	for _, s := range strings.Split(q.Get("tile"), ",") {
		v, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("malformed tile argument, tile=%s", q.Get("tile"))
		}
		n = append(n, v)
	}
	tw, th := p.native, p.native
	if len(n) > 4 {
		size := []int{n[3], n[4]}
		for i, v := range size {
			switch {
			case v <= 0:
				size[i] = p.native
			case v > p.maxTile:
				size[i] = p.maxTile
			}
		}
		tw, th = size[0], size[1]
	}
	lv := p.real[n[0]]
	x, y := n[1]*tw, n[2]*th
	if x >= lv.Width || y >= lv.Height {
		return nil, fmt.Errorf("tile %v: %w", n, ErrNoTile)
	}
	w, h := min(tw, lv.Width-x), min(th, lv.Height-y)
	img := NewImage(w, h)
	for yy := 0; yy < h; yy++ {
		g := uint8(255 * (y + yy) / lv.Height)
		for xx := 0; xx < w; xx++ {
			i := (yy*w + xx) * 3
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = uint8(255*(x+xx)/lv.Width), g, 128
		}
	}
	p.mu.Lock()
	p.pixels += int64(w * h)
	p.biggest = max(p.biggest, w, h)
	p.mu.Unlock()
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img.ToRGBA(), &jpeg.Options{Quality: 95})
	return buf.Bytes(), err
}

// pyramid4x is a pyramid whose levels shrink 4× at a time, sizes rounded
// down as the files store them; imgData gives resolutions when exact, else
// only zoomLevelScaling (before OMERO.web 5.31).
func pyramid4x(sizeX, sizeY, levels, native int, exact bool) *pyramidSource {
	return pyramid4xRounded(sizeX, sizeY, levels, native, exact, false)
}

// pyramid4xRounded is pyramid4x with level sizes rounded up when up.
func pyramid4xRounded(sizeX, sizeY, levels, native int, exact, up bool) *pyramidSource {
	p := &pyramidSource{native: native, maxTile: 1024}
	p.real = []Size{{sizeX, sizeY}}
	for l := 1; l < levels; l++ {
		w, h := p.real[l-1].Width, p.real[l-1].Height
		if up {
			p.real = append(p.real, Size{(w + 3) / 4, (h + 3) / 4})
		} else {
			p.real = append(p.real, Size{w / 4, h / 4})
		}
	}
	p.info = plainInfo()
	p.info.Settings.Model = ModelColor
	p.info.SizeX, p.info.SizeY, p.info.Levels = sizeX, sizeY, levels
	p.info.Tiled, p.info.TileWidth, p.info.TileHeight = true, native, native
	p.info.ZoomLevelScaling = map[int]float64{}
	for l, s := range p.real {
		p.info.ZoomLevelScaling[l] = float64(s.Width) / float64(sizeX)
	}
	if exact {
		p.info.Resolutions = p.real
	}
	return p
}

func renderPyramid(t *testing.T, p *pyramidSource, w, h int) *Image {
	t.Helper()
	e, err := OpenEngine(context.Background(), p, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img, err := e.Render(context.Background(), w, h)
	if err != nil {
		t.Fatalf("render %d×%d: %v", w, h, err)
	}
	if img.Width != w || img.Height != h {
		t.Fatalf("rendered %d×%d, want %d×%d", img.Width, img.Height, w, h)
	}
	// The gradient survives: every pixel is where it belongs.
	worst := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, _ := img.At(x, y)
			dr := int(r) - 255*x/w
			dg := int(g) - 255*y/h
			worst = max(worst, dr, -dr, dg, -dg)
		}
	}
	if worst > 6 {
		t.Errorf("pixels off by up to %d: a tile is misplaced", worst)
	}
	for _, q := range p.queries {
		if q.Has("p") {
			t.Errorf("tile request %v sends p=: regions ignore the projection", q)
			break
		}
	}
	return img
}

// TestTilesNoBiggerThanMaxTileLength: a pyramid whose native tile is 2048
// at the default max_tile_length of 1024 (the server cuts bigger tiles and
// places them by the cut size), and one whose server cuts even to 512.
func TestTilesNoBiggerThanMaxTileLength(t *testing.T) {
	p := pyramid4x(6000, 4500, 3, 2048, true) // level 1: 1500×1125
	renderPyramid(t, p, 512, 384)
	if p.biggest > 1024 {
		t.Errorf("served a %d-pixel tile side, above max_tile_length", p.biggest)
	}
	p = pyramid4x(6000, 4500, 3, 2048, true)
	p.maxTile = 512
	renderPyramid(t, p, 512, 384)
	if got := len(p.queries); got != 3*3 { // the 512 grid of 1500×1125, tile 0,0 (asked at 1024, cut) reused
		t.Errorf("%d tile requests, want %d", got, 3*3)
	}
}

// TestLevelSizesOffByOne: before 5.31 a level's height comes from the
// width ratio and can be a pixel off the real one, either way: an edge tile
// a pixel short or long, or a one-pixel last row of tiles that the server
// does not have.
func TestLevelSizesOffByOne(t *testing.T) {
	for _, c := range []struct {
		sizeY int
		up    bool // levels rounded up (else down)
	}{
		{1646, false}, // level 1 really 411, scale says 411.5 → 412
		{1645, false},
		{1647, false},
		{1538, false}, // really 384 = 3 tiles of 128, scale says 385: a last row the server lacks
		{1542, false}, // really 385, scale says 386: the one-pixel last row comes a pixel short
		{1645, true},  // really 412, scale says 411: the last tile a pixel long
	} {
		for _, exact := range []bool{true, false} {
			t.Run(fmt.Sprint(c.sizeY, c.up, exact), func(t *testing.T) {
				p := pyramid4xRounded(2300, c.sizeY, 3, 128, exact, c.up)
				// level 1 is 575 × sizeY/4; 256 wide needs it.
				renderPyramid(t, p, 256, int(float64(c.sizeY)*256/2300+0.5))
			})
		}
	}
}

// TestHugeLevelRendersInBands: 4× steps make the smallest level at least
// 4096 wide a 95 Mpx one (46000×32914 → 11500×8228); it is rendered a band
// of tiles at a time, never whole.
func TestHugeLevelRendersInBands(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("renders 95 Mpx of tiles: run without -short and -race")
	}
	p := pyramid4x(46000, 32914, 4, 1024, false)
	renderPyramid(t, p, 4096, 2931)
	if p.pixels < 11500*8228 {
		t.Errorf("served %d pixels, want level 1 whole (%d)", p.pixels, 11500*8228)
	}
}

func TestBandResizerIsResize(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range [][4]int{{100, 80, 33, 27}, {50, 50, 50, 50}, {20, 10, 45, 31}, {301, 7, 299, 3}} {
		src := NewImage(c[0], c[1])
		rng.Read(src.Pix)
		want := Resize(src, c[2], c[3])
		rz := newBandResizer(c[0], c[1], c[2], c[3])
		for y := 0; y < src.Height; y += 6 {
			band := &Image{Width: src.Width, Height: min(6, src.Height-y), Pix: src.Pix[y*src.Width*3 : min(y+6, src.Height)*src.Width*3]}
			rz.addRows(band)
		}
		got, ok := rz.result()
		if !ok || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%v: bands differ from Resize (complete %v)", c, ok)
		}
	}
}

// TestNarrowLevelsFetchRowsTogether: a level one tile wide still has
// several tile requests in flight (rows are fetched a group at a time).
func TestNarrowLevelsFetchRowsTogether(t *testing.T) {
	p := pyramid4x(2000, 8000, 2, 512, true) // level 1: 500×2000, one column of 4 tiles
	p.together = make(chan struct{})
	renderPyramid(t, p, 400, 1600)
	if p.peak < 2 {
		t.Errorf("at most %d tile request in flight for a one-column level", p.peak)
	}
}
