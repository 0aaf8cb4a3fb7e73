package ijroi

import (
	"archive/zip"
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzEncode: any ROI is either refused with an error or encoded into a
// file the decoder reads back with its name and position.
func FuzzEncode(f *testing.F) {
	f.Add(0, 1.0, 2.0, 3.0, 4.0, "cell", 1, 2, 3, 3)
	f.Add(2, -1e6, 5e4, 7e4, 0.5, "🦠/x", 0, 0, 0, 1)
	f.Add(6, 0.0, 0.0, 0.0, 0.0, "", 0, 0, 0, 0)
	f.Add(1, 0.0, 0.0, 1.0, 1.0, "big", 1<<33, 1, 1, 0)
	f.Fuzz(func(t *testing.T, kind int, a, b, c, d float64, name string, cc, z, tt, n int) {
		r := ROI{Kind: Kind(kind), Name: name, X: a, Y: b, Width: c, Height: d, X1: a, Y1: b, X2: c, Y2: d,
			C: cc, Z: z, T: tt, Text: name}
		for i := range n % 70 {
			r.XS, r.YS = append(r.XS, a+float64(i)), append(r.YS, b-float64(i))
		}
		enc, err := Encode(r)
		if err != nil {
			return
		}
		got, err := decode(enc)
		if err != nil {
			t.Fatalf("%+v: encoded, then: %v", r, err)
		}
		// Names are UTF-16 in the file: invalid UTF-8 comes back as U+FFFD.
		if got.C != r.C || got.Z != r.Z || got.T != r.T || (utf8.ValidString(name) && got.Name != name) {
			t.Fatalf("%+v: read back %+v", r, got)
		}
		set, err := Set([]ROI{r, r})
		if err != nil {
			t.Fatal(err)
		}
		if zr, err := zip.NewReader(bytes.NewReader(set), int64(len(set))); err != nil || len(zr.File) != 2 {
			t.Fatalf("set of two: %v", err)
		}
	})
}
