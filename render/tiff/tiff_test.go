package tiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var allTypes = []PixelType{Int8, Uint8, Int16, Uint16, Int32, Uint32, Float, Double, Bit}

// value is a test pattern spanning the type's range, with negative values
// for signed types and fractions for floats.
func value(t PixelType, p, x, y int) float64 {
	v := float64((x*7+y*13+p*31)%251) - 100
	switch t {
	case Int8:
		v = float64((x*7+y*13+p*31)%256 - 128)
	case Uint8, Uint16, Uint32:
		v = math.Abs(v) * float64(int64(1)<<(8*t.Bytes()-8))
	case Int16, Int32:
		v *= float64(int64(1) << (8*t.Bytes() - 9))
	case Bit:
		v = float64((x + y) % 2)
	case Float, Double:
		v = v/3 + 0.25
	}
	return v
}

func source(t PixelType, width int) RowSource {
	return func(p, y, n int, buf []byte) error {
		b := t.Bytes()
		for r := 0; r < n; r++ {
			for x := 0; x < width; x++ {
				t.Put(buf[(r*width+x)*b:], value(t, p, x, y+r))
			}
		}
		return nil
	}
}

func encode(t *testing.T, f *File, src RowSource) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := f.WriteTo(&buf, src)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := f.Size()
	if n != size || int64(buf.Len()) != size {
		t.Fatalf("wrote %d (%d buffered), Size says %d", n, buf.Len(), size)
	}
	return buf.Bytes()
}

func TestRoundTripEveryType(t *testing.T) {
	for _, big := range []bool{false, true} {
		for _, pt := range allTypes {
			t.Run(fmt.Sprintf("%s/big=%v", pt, big), func(t *testing.T) {
				w, h := 301, 257 // several strips, an odd row length
				f := Plane(w, h, pt, 0.325, 0.33, 1.5)
				f.bigTIFF = big
				data := encode(t, f, source(pt, w))
				r, err := NewReader(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Pages) != 1 || r.big != big {
					t.Fatalf("%d pages, big %v", len(r.Pages), r.big)
				}
				p := r.Pages[0]
				want := pt
				if pt == Bit {
					want = Uint8
				}
				if p.Width != w || p.Height != h || p.Type != want {
					t.Fatalf("page %d×%d %s", p.Width, p.Height, p.Type)
				}
				if !strings.HasPrefix(p.Description, "ImageJ=") || !strings.Contains(p.Description, "unit=micron\nspacing=1.5\n") {
					t.Fatalf("description %q", p.Description)
				}
				rows := make([]byte, 5*w*pt.Bytes())
				for _, y := range []int{0, 100, h - 5} {
					if err := r.ReadRows(0, y, 5, rows); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < 5*w; i++ {
						x, yy := i%w, y+i/w
						if got, exp := pt.Value(rows[i*pt.Bytes():]), value(pt, 0, x, yy); got != exp && !(pt == Float && float32(exp) == float32(got)) {
							t.Fatalf("(%d,%d) = %v, want %v", x, yy, got, exp)
						}
					}
				}
			})
		}
	}
}

func TestMultiPageAndSegments(t *testing.T) {
	f := &File{Pages: []Page{
		{Width: 33, Height: 5, Type: Uint8, Description: "<OME/>"},
		{Width: 33, Height: 5, Type: Uint8},
		{Width: 40, Height: 3000, Type: Double},
	}}
	src := func(p, y, n int, buf []byte) error {
		pt := f.Pages[p].Type
		for i := 0; i < len(buf)/pt.Bytes(); i++ {
			pt.Put(buf[i*pt.Bytes():], value(pt, p, i%f.Pages[p].Width, y+i/f.Pages[p].Width))
		}
		return nil
	}
	data := encode(t, f, src)
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pages) != 3 || r.Pages[0].Description != "<OME/>" || r.Pages[1].Description != "" {
		t.Fatalf("pages %+v", r.Pages)
	}
	// every byte range read at random equals the streamed file
	for _, rng := range [][2]int64{{0, 10}, {5, 300}, {int64(len(data)) - 1000, 1000}, {0, int64(len(data))}, {200, 70000}} {
		b := make([]byte, rng[1])
		n, err := f.ReadAt(b, rng[0], src)
		if err != nil || n != len(b) || !bytes.Equal(b, data[rng[0]:rng[0]+rng[1]]) {
			t.Fatalf("ReadAt %v: %d, %v, equal %v", rng, n, err, bytes.Equal(b[:n], data[rng[0]:rng[0]+int64(n)]))
		}
	}
	if _, err := f.ReadAt(make([]byte, 10), int64(len(data))-5, src); err != io.EOF {
		t.Fatalf("read past the end: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	for _, f := range []*File{
		{},
		{Pages: []Page{{Width: 0, Height: 5, Type: Uint8}}},
		{Pages: []Page{{Width: 5, Height: -1, Type: Uint8}}},
		{Pages: []Page{{Width: 5, Height: 5, Type: 0}}},
		{Pages: []Page{{Width: 5, Height: 5, Type: Uint8, Description: "a\x00b"}}},
		{Pages: []Page{{Width: 5, Height: 5, Type: Uint8, PhysicalSizeX: math.NaN()}}},
	} {
		if _, err := f.Size(); err == nil {
			t.Errorf("%+v: no error", f.Pages)
		}
		if _, err := f.WriteTo(io.Discard, source(Uint8, 5)); err == nil {
			t.Errorf("%+v: WriteTo no error", f.Pages)
		}
	}
	if _, err := ParsePixelType("int64"); err == nil {
		t.Error("int64 parsed")
	}
	f := Plane(4, 4, Uint8, 0, 0, 0)
	if _, err := f.WriteTo(io.Discard, func(p, y, n int, b []byte) error { return io.ErrUnexpectedEOF }); err == nil {
		t.Error("a failing source gave no error")
	}
}

// A 50000×30000 plane is sized without reading it, and streams through a
// strip-sized buffer.
func TestHugePlaneStreams(t *testing.T) {
	f := Plane(50000, 30000, Uint16, 0.25, 0.25, 0)
	size, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(50000*30000*2) + 8; size < want || size > want+600000 {
		t.Fatalf("size %d", size)
	}
	if s8, _ := PlaneSize(50000, 30000, Double); s8 < 12e9 {
		t.Fatalf("double plane %d: want BigTIFF above 4 GiB", s8)
	}
	// random reads of the huge plane ask only for the rows they cover
	prep, err := f.Prepare()
	if err != nil || prep.Size() != size {
		t.Fatalf("prepared %v, %v", prep, err)
	}
	var asked [][2]int
	src := func(p, y, n int, b []byte) error { asked = append(asked, [2]int{y, n}); return nil }
	head := make([]byte, 16)
	if _, err := prep.ReadAt(head, 0, src); err != nil || string(head[:4]) != "MM\x00*" || len(asked) != 0 {
		t.Fatalf("header % x, %v, asked %v", head, err, asked)
	}
	if n, err := prep.ReadAt(make([]byte, 100), size-100, src); n != 100 || err != nil || len(asked) != 1 || asked[0] != [2]int{29999, 1} {
		t.Fatalf("tail: %d %v, asked %v", n, err, asked)
	}
	// stream a band of the huge plane's width: the buffer stays small
	f = Plane(50000, 40, Uint16, 0.25, 0.25, 0)
	maxBuf := 0
	var cw countWriter
	cw.w = io.Discard
	if _, err := f.WriteTo(&cw, func(p, y, n int, b []byte) error { maxBuf = max(maxBuf, len(b)); return nil }); err != nil {
		t.Fatal(err)
	}
	if maxBuf > 100000 {
		t.Fatalf("asked for %d bytes at once", maxBuf)
	}
}

func FuzzSize(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint8(2), uint8(0), false)
	f.Add(uint16(3000), uint16(30), uint8(8), uint8(200), true)
	f.Fuzz(func(t *testing.T, w, h uint16, typ, desc uint8, big bool) {
		pt := PixelType(typ%9 + 1)
		width, height := int(w%4000)+1, int(h%300)+1
		file := &File{Pages: []Page{{Width: width, Height: height, Type: pt, Description: strings.Repeat("d", int(desc))}}, bigTIFF: big}
		size, err := file.Size()
		if err != nil {
			t.Fatal(err)
		}
		var cw countWriter
		cw.w = io.Discard
		n, err := file.WriteTo(&cw, func(p, y, n int, b []byte) error { return nil })
		if err != nil || n != size {
			t.Fatalf("%d×%d %s desc %d: wrote %d (%v), Size %d", width, height, pt, desc, n, err, size)
		}
		if !big {
			again, _ := (&File{Pages: []Page{{Width: width, Height: height, Type: pt, Description: strings.Repeat("x", int(desc)), PhysicalSizeX: 0.1}}}).Size()
			if again != size {
				t.Fatalf("size depends on more than dimensions, type and description length")
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	Plane(3, 2, Uint16, 1, 1, 0).WriteTo(&buf, source(Uint16, 3))
	f.Add(buf.Bytes())
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for i, p := range r.Pages {
			if int64(p.Width)*int64(p.Height) > 1<<20 {
				continue
			}
			_ = r.ReadRows(i, 0, p.Height, make([]byte, p.Width*p.Height*p.Type.Bytes()))
		}
	})
}

// python3 is Debian's, where python3-tifffile and python3-numpy install.
func debianPython(t *testing.T, modules ...string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			t.Skipf("python module %s missing (apt-get install python3-%s)", m, m)
		}
	}
	return py
}

// tifffile, the reference Python TIFF reader, reads every type with the
// right dtype and values, and ImageJ's metadata.
func TestTifffileReads(t *testing.T) {
	py := debianPython(t, "tifffile", "numpy")
	dir := t.TempDir()
	for _, pt := range allTypes {
		w, h := 7, 5
		var buf bytes.Buffer
		if _, err := Plane(w, h, pt, 0.5, 0.5, 2).WriteTo(&buf, source(pt, w)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, pt.String()+".tif")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", `
import json, sys, tifffile
with tifffile.TiffFile(sys.argv[1]) as t:
    a = t.asarray()
    p = t.pages[0]
    print(json.dumps({"dtype": a.dtype.name, "shape": list(a.shape), "values": a.astype(float).tolist(),
        "ij": t.imagej_metadata, "xres": p.tags["XResolution"].value, "unit": int(p.tags["ResolutionUnit"].value)}))
`, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", pt, err, out)
		}
		var got struct {
			Dtype  string
			Shape  []int
			Values [][]float64
			IJ     map[string]any
			Xres   []float64
			Unit   int
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v: %s", pt, err, out)
		}
		dtype := map[PixelType]string{Int8: "int8", Uint8: "uint8", Int16: "int16", Uint16: "uint16", Int32: "int32",
			Uint32: "uint32", Float: "float32", Double: "float64", Bit: "uint8"}[pt]
		if got.Dtype != dtype || len(got.Shape) != 2 || got.Shape[0] != h || got.Shape[1] != w {
			t.Fatalf("%s: dtype %s shape %v", pt, got.Dtype, got.Shape)
		}
		for y := range h {
			for x := range w {
				exp := value(pt, 0, x, y)
				if pt == Float {
					exp = float64(float32(exp))
				}
				if got.Values[y][x] != exp {
					t.Fatalf("%s (%d,%d): %v, want %v", pt, x, y, got.Values[y][x], exp)
				}
			}
		}
		if got.IJ["unit"] != "micron" || got.IJ["spacing"] != 2.0 || got.Xres[0]/got.Xres[1] != 2 || got.Unit != 1 {
			t.Fatalf("%s: imagej %v, xres %v, unit %d", pt, got.IJ, got.Xres, got.Unit)
		}
	}
}
