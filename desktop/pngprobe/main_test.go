package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// writePNG saves a w×h RGB image whose pixel (x,y) is (x, y, x+y) to a file.
func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	p := filepath.Join(t.TempDir(), "a b [1].png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunPrintsSizeAndPixel(t *testing.T) {
	p := writePNG(t, 40, 30)
	var out bytes.Buffer
	if err := run(&out, []string{"7", "11", p}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "40 30 7 11 18\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	p := writePNG(t, 4, 3)
	notPNG := filepath.Join(t.TempDir(), "x.png")
	os.WriteFile(notPNG, []byte("not a png"), 0o644)
	for name, args := range map[string][]string{
		"outside":      {"4", "0", p},
		"negative":     {"-1", "0", p},
		"not a number": {"x", "0", p},
		"too few":      {"1", "1"},
		"missing":      {"0", "0", p + ".gone"},
		"not png":      {"0", "0", notPNG},
	} {
		var out bytes.Buffer
		if err := run(&out, args); err == nil {
			t.Errorf("%s: no error, printed %q", name, out.String())
		}
	}
}
