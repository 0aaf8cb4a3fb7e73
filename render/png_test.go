package render

import (
	"bytes"
	"image/png"
	"math/rand"
	"testing"
)

func randomImage(w, h int, seed int64) *Image {
	img := NewImage(w, h)
	rand.New(rand.NewSource(seed)).Read(img.Pix)
	return img
}

// checkPNG asserts that the encoding has the promised length and decodes to
// the same pixels.
func checkPNG(t testing.TB, img *Image) {
	t.Helper()
	data := AppendPNG(nil, img)
	if got, want := int64(len(data)), PNGSize(img.Width, img.Height); got != want {
		t.Fatalf("%d×%d: encoded %d bytes, PNGSize says %d", img.Width, img.Height, got, want)
	}
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%d×%d: image/png cannot decode it: %v", img.Width, img.Height, err)
	}
	if b := dec.Bounds(); b.Dx() != img.Width || b.Dy() != img.Height {
		t.Fatalf("decoded %v, want %d×%d", b, img.Width, img.Height)
	}
	for y := 0; y < img.Height; y++ {
		for x := 0; x < img.Width; x++ {
			r, g, b, _ := dec.At(x, y).RGBA()
			er, eg, eb := img.At(x, y)
			if uint8(r>>8) != er || uint8(g>>8) != eg || uint8(b>>8) != eb {
				t.Fatalf("%d×%d: pixel (%d,%d) = %d,%d,%d want %d,%d,%d", img.Width, img.Height, x, y, r>>8, g>>8, b>>8, er, eg, eb)
			}
		}
	}
}

func TestPNGRoundTrip(t *testing.T) {
	sizes := [][2]int{{1, 1}, {2, 3}, {64, 64}, {21845, 1}, {21844, 1}, {1, 65535}, {300, 200}, {1000, 700}, {4096, 1}}
	for i, s := range sizes {
		checkPNG(t, randomImage(s[0], s[1], int64(i)))
	}
}

// TestPNGSizeCrossesBoundaries checks sizes where the stored-block and
// IDAT-chunk boundaries fall exactly at, just before and just after a row.
func TestPNGSizeCrossesBoundaries(t *testing.T) {
	for _, raw := range []int64{storedBlockMax - 1, storedBlockMax, storedBlockMax + 1, idatChunkMax - 1, idatChunkMax, idatChunkMax + 1} {
		// a 1-pixel-wide image has 4 raw bytes per row
		for h := raw/4 - 1; h <= raw/4+1; h++ {
			img := NewImage(1, int(h))
			data := AppendPNG(nil, img)
			if int64(len(data)) != PNGSize(1, int(h)) {
				t.Fatalf("1×%d: %d bytes, PNGSize %d", h, len(data), PNGSize(1, int(h)))
			}
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("1×%d: %v", h, err)
			}
		}
	}
}

func TestPNGRefusesEmpty(t *testing.T) {
	if PNGSize(0, 5) != 0 || PNGSize(5, -1) != 0 {
		t.Error("PNGSize of an empty image must be 0")
	}
	if err := EncodePNG(&bytes.Buffer{}, &Image{Width: 2, Height: 2, Pix: make([]byte, 5)}); err == nil {
		t.Error("inconsistent image encoded")
	}
}

func TestAppendPNGKeepsPrefix(t *testing.T) {
	img := randomImage(7, 5, 9)
	prefix := []byte("hello")
	out := AppendPNG(append([]byte(nil), prefix...), img)
	if !bytes.Equal(out[:5], prefix) || !bytes.Equal(out[5:], AppendPNG(nil, img)) {
		t.Fatal("AppendPNG changed the prefix or wrote different bytes")
	}
}

// FuzzPNG: for any dimensions in range, the length is PNGSize and the
// output decodes to the same pixels.
func FuzzPNG(f *testing.F) {
	f.Add(uint16(1), uint16(1), int64(0))
	f.Add(uint16(21845), uint16(3), int64(1))
	f.Add(uint16(100), uint16(100), int64(2))
	f.Fuzz(func(t *testing.T, w, h uint16, seed int64) {
		W, H := int(w%2048)+1, int(h%512)+1
		checkPNG(t, randomImage(W, H, seed))
	})
}

func BenchmarkEncodePNG(b *testing.B) {
	img := randomImage(1024, 1024, 1)
	buf := make([]byte, 0, PNGSize(1024, 1024))
	b.SetBytes(int64(len(img.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPNG(buf[:0], img)
	}
}
