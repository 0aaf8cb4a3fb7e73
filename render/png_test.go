package render

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"math/rand"
	"strings"
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

// TestPNGWithText checks that the text chunks are well-formed PNG chunks
// after the header, in keyword order, and that the pixels are unchanged.
func TestPNGWithText(t *testing.T) {
	img := randomImage(9, 4, 3)
	data, err := PNGWithText(img, map[string]string{"Thumb::URI": "file:///m/a%20b.png", "Thumb::MTime": "1700000000", "Software": "omerofs"})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png cannot decode it: %v", err)
	}
	if r, g, b, _ := dec.At(8, 3).RGBA(); [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)} != [3]uint8(img.Pix[len(img.Pix)-3:]) {
		t.Error("last pixel differs")
	}
	var texts []string
	for p := len(pngSignature); p < len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if crc32.ChecksumIEEE(data[p+4:p+8+n]) != binary.BigEndian.Uint32(data[p+8+n:]) {
			t.Fatalf("chunk %s: bad CRC", typ)
		}
		if typ == "tEXt" {
			texts = append(texts, string(data[p+8:p+8+n]))
		}
		p += 12 + n
	}
	want := []string{"Software\x00omerofs", "Thumb::MTime\x001700000000", "Thumb::URI\x00file:///m/a%20b.png"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("tEXt chunks %q, want %q", texts, want)
	}
	for _, bad := range []map[string]string{{"": "x"}, {strings.Repeat("k", 80): "x"}, {"a\x00b": "x"}, {"k": "a\x00b"}} {
		if _, err := PNGWithText(img, bad); err == nil {
			t.Errorf("accepted text %q", bad)
		}
	}
	if _, err := PNGWithText(&Image{Width: 2, Height: 2, Pix: make([]byte, 5)}, nil); err == nil {
		t.Error("inconsistent image encoded")
	}
}
