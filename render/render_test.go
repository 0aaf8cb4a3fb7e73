package render

import (
	"testing"
)

func TestRenderColourModelAddsAndSaturates(t *testing.T) {
	s := Settings{Model: ModelColor, Channels: []Channel{
		{Active: true, Start: 0, End: 100, Color: Red},
		{Active: true, Start: 0, End: 100, Color: Color{255, 128, 0}},
		{Active: false, Start: 0, End: 100, Color: Blue},
	}}
	// channel 0 = 50 (half), channel 1 = 100 (full), channel 2 would be blue.
	img := Render(s, 2, 1, 1, func(c, z, x, y int) float64 {
		return []float64{50, 100, 100}[c] * float64(x) // x=0: all zero
	})
	if r, g, b := img.At(0, 0); r != 0 || g != 0 || b != 0 {
		t.Errorf("zero values: %d,%d,%d", r, g, b)
	}
	r, g, b := img.At(1, 0)
	// red: 128 (half of 255, rounded) + 255 → saturates at 255; green: 128 from channel 1; blue: inactive.
	if r != 255 || g != 128 || b != 0 {
		t.Errorf("pixel = %d,%d,%d, want 255,128,0", r, g, b)
	}
}

func TestRenderWindowClampInvertAndGreyscale(t *testing.T) {
	s := Settings{Model: ModelGreyscale, Channels: []Channel{
		{Active: false, Start: 0, End: 10, Color: Red},
		{Active: true, Start: 100, End: 200, Color: Green, Inverted: true},
		{Active: true, Start: 0, End: 1, Color: Blue},
	}}
	vals := []float64{50, 100, 150, 200, 300}
	img := Render(s, len(vals), 1, 1, func(c, z, x, y int) float64 { return vals[x] })
	want := []uint8{255, 255, 127, 0, 0} // inverted: below window → 255, above → 0; 150 → 255-128
	for x, w := range want {
		r, g, b := img.At(x, 0)
		if r != w || g != w || b != w {
			t.Errorf("x=%d: %d,%d,%d, want grey %d (first active channel, inverted)", x, r, g, b, w)
		}
	}
}

func TestRenderProjections(t *testing.T) {
	base := Settings{Model: ModelGreyscale, Z: 1, ProjStart: -1, ProjEnd: -1, Channels: []Channel{{Active: true, Start: 0, End: 255, Color: White}}}
	px := func(c, z, x, y int) float64 { return float64([]int{10, 20, 60}[z]) }
	cases := map[string]uint8{ProjectionNormal: 20, ProjectionMax: 60, ProjectionMean: 30, ProjectionSum: 90}
	for p, want := range cases {
		s := base
		s.Projection = p
		if r, _, _ := Render(s, 1, 1, 3, px).At(0, 0); r != want {
			t.Errorf("%s: %d, want %d", p, r, want)
		}
	}
	s := base
	s.Projection, s.ProjStart, s.ProjEnd = ProjectionMax, 0, 1
	if r, _, _ := Render(s, 1, 1, 3, px).At(0, 0); r != 20 {
		t.Errorf("intmax over 0:1 = %d, want 20", r)
	}
}

func TestFamiliesMapWindowEnds(t *testing.T) {
	for _, fam := range []string{FamilyLinear, FamilyPoly, FamilyExp, FamilyLog} {
		q := newQuantum(Channel{Start: 10, End: 20, Family: fam, Coefficient: 2})
		if q.level(10) != 0 || q.level(20) != 255 || q.level(5) != 0 || q.level(25) != 255 {
			t.Errorf("%s: ends map to %d..%d", fam, q.level(10), q.level(20))
		}
		prev := uint8(0)
		for v := 10.0; v <= 20; v += 0.5 {
			if l := q.level(v); l < prev {
				t.Errorf("%s is not monotonic at %v", fam, v)
			} else {
				prev = l
			}
		}
	}
	if l := newQuantum(Channel{Start: 0, End: 100, Family: FamilyPoly, Coefficient: 2}).level(50); l != 64 {
		t.Errorf("polynomial k=2 at half = %d, want 64", l)
	}
}

func TestTargetSize(t *testing.T) {
	cases := []struct{ x, y, max, w, h int }{
		{100, 50, 4096, 100, 50},
		{4096, 4096, 4096, 4096, 4096},
		{8192, 4096, 4096, 4096, 2048},
		{4097, 10, 4096, 4096, 10},
		{3, 100000, 4096, 1, 4096}, // rounds to 0 → at least 1
		{20000, 15000, 1000, 1000, 750},
		{0, -5, 4096, 1, 1},
	}
	for _, c := range cases {
		if w, h := TargetSize(c.x, c.y, c.max); w != c.w || h != c.h {
			t.Errorf("TargetSize(%d,%d,%d) = %d×%d, want %d×%d", c.x, c.y, c.max, w, h, c.w, c.h)
		}
	}
}

func TestResizeAveragesAreas(t *testing.T) {
	src := NewImage(4, 2)
	for x := 0; x < 4; x++ { // columns 0,1 = 0 / 100; columns 2,3 = 200 / 255
		for y := 0; y < 2; y++ {
			v := []uint8{0, 100, 200, 255}[x]
			i := (y*4 + x) * 3
			src.Pix[i], src.Pix[i+1], src.Pix[i+2] = v, v, v
		}
	}
	dst := Resize(src, 2, 1)
	if a, _, _ := dst.At(0, 0); a != 50 {
		t.Errorf("left = %d, want 50", a)
	}
	if b, _, _ := dst.At(1, 0); b != 228 {
		t.Errorf("right = %d, want 228 (227.5 rounded)", b)
	}
	third := Resize(src, 3, 2) // non-integer factor: 4/3 source pixels each
	if third.Width != 3 || third.Height != 2 {
		t.Fatalf("size %d×%d", third.Width, third.Height)
	}
	// The middle pixel covers source columns 1.33..2.67: 2/3 of column 1
	// (100) and 2/3 of column 2 (200), so their mean, 150.
	if v, _, _ := third.At(1, 0); v != 150 {
		t.Errorf("middle = %d, want 150", v)
	}
	if Resize(src, 4, 2) != src {
		t.Error("same-size resize must return the image itself")
	}
	up := Resize(src, 8, 4)
	if up.Width != 8 || up.Height != 4 {
		t.Errorf("upscale size %d×%d", up.Width, up.Height)
	}
}

func BenchmarkRender1024x3(b *testing.B) {
	s := threeChannels()
	for i := range s.Channels {
		s.Channels[i].Active = true
	}
	b.SetBytes(1024 * 1024 * 3)
	for b.Loop() {
		Render(s, 1024, 1024, 1, func(c, z, x, y int) float64 { return float64(x*c + y) })
	}
}

func BenchmarkResize4096to1024(b *testing.B) {
	src := randomImage(4096, 4096, 1)
	b.SetBytes(int64(len(src.Pix)))
	for b.Loop() {
		Resize(src, 1024, 1024)
	}
}
