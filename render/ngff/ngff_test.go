package ngff_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/render/ngff"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

func stack() ngff.Image {
	return ngff.Image{ID: 7, Name: "stack", SizeX: 300, SizeY: 200, SizeZ: 3, SizeC: 2, SizeT: 1, Type: tiff.Uint16,
		Levels: []ngff.Level{{300, 200}, {150, 100}}, PhysicalSizeX: 0.5, PhysicalSizeY: 0.5, PhysicalSizeZ: 2,
		Channels: []ngff.Channel{{Label: "DAPI", Color: "0000FF", Active: true, Family: "linear", Coefficient: 1, Max: 65535, End: 4000},
			{Label: "GFP", Color: "00FF00", Family: "linear", Coefficient: 1, Max: 65535, End: 4000}},
		Model: "color", ChunkX: 128, ChunkY: 128}
}

// fill is a region source whose value at (x, y) of plane (z, c) is
// x + 1000·y + 7·z + 3·c, so a misplaced value shows.
func fill(level, z, c, t, x, y, w, h int, buf []byte) error {
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			tiff.Uint16.Put(buf[2*(j*w+i):], float64((x+i)+1000*(y+j)/4+7*z+3*c+level))
		}
	}
	return nil
}

func TestLayout(t *testing.T) {
	im := stack()
	if g := im.Grid(0); g != [5]int{1, 2, 3, 2, 3} {
		t.Fatalf("grid %v", g)
	}
	if g := im.Grid(1); g != [5]int{1, 2, 3, 1, 2} {
		t.Fatalf("level 1 grid %v", g)
	}
	if s := im.ChunkSize(0); s != 128*128*2 {
		t.Fatalf("chunk size %d", s)
	}
	// the corner chunk: columns 256..299, rows 128..199, the rest zeros
	c := ngff.Chunk{Level: 0, T: 0, C: 1, Z: 2, Y: 1, X: 2}
	x, y, w, h, err := im.Region(c)
	if err != nil || x != 256 || y != 128 || w != 44 || h != 72 {
		t.Fatalf("region %d,%d %d×%d %v", x, y, w, h, err)
	}
	b, err := im.ChunkBytes(c, fill)
	if err != nil || int64(len(b)) != im.ChunkSize(0) {
		t.Fatalf("chunk %d bytes, %v", len(b), err)
	}
	at := func(i, j int) float64 { return tiff.Uint16.Value(b[2*(j*128+i):]) }
	if at(0, 0) != float64(256+1000*128/4+14+3) || at(43, 71) != float64(299+1000*199/4+14+3) || at(44, 0) != 0 || at(0, 72) != 0 {
		t.Fatalf("chunk values %v %v %v %v", at(0, 0), at(43, 71), at(44, 0), at(0, 72))
	}
	// the tree: every listed entry looks up the same, with its size
	var walk func(dir string) int
	walk = func(dir string) int {
		entries, err := im.List(dir)
		if err != nil {
			t.Fatalf("list %q: %v", dir, err)
		}
		n := 0
		for _, e := range entries {
			p := strings.TrimPrefix(dir+"/"+e.Name, "/")
			got, err := im.Lookup(p)
			if err != nil || got.Dir != e.Dir || got.Size != e.Size {
				t.Fatalf("lookup %q: %+v %v, listed %+v", p, got, err, e)
			}
			if e.Dir {
				n += walk(p)
			} else if e.Chunk == nil {
				data, err := im.File(p)
				if err != nil || int64(len(data)) != e.Size {
					t.Fatalf("%s: %d bytes (%v), listed %d", p, len(data), err, e.Size)
				}
			} else {
				n++
				if e.Chunk.Path() != p {
					t.Fatalf("chunk %s at %s", e.Chunk.Path(), p)
				}
			}
		}
		return n
	}
	if n := walk(""); n != 2*3*2*3+2*3*1*2 {
		t.Fatalf("%d chunk files", n)
	}
	for _, bad := range []string{"2", "0/1", "0/0/2", "0/0/0/3", "0/0/0/0/2", "0/0/0/0/0/3", "x", "0/00", "0/0/0/0/0/0/0", ".zarray"} {
		if _, err := im.Lookup(bad); !errors.Is(err, ngff.ErrNotExist) {
			t.Errorf("lookup %q: %v", bad, err)
		}
	}
	if _, err := im.ChunkBytes(ngff.Chunk{Level: 0, Y: 2}, fill); err == nil {
		t.Error("chunk past the grid")
	}
	var attrs struct {
		Multiscales []struct {
			Axes []struct {
				Name, Unit string
			}
			Datasets []struct {
				CoordinateTransformations []struct{ Scale []float64 }
			}
		}
	}
	za, _ := im.ZAttrs()
	if err := json.Unmarshal(za, &attrs); err != nil {
		t.Fatal(err)
	}
	if s := attrs.Multiscales[0].Datasets[1].CoordinateTransformations[0].Scale; len(s) != 5 || s[2] != 2 || s[3] != 1 || s[4] != 1 {
		t.Fatalf("level 1 scale %v", s)
	}
}

func TestBadImages(t *testing.T) {
	for _, mod := range []func(*ngff.Image){
		func(im *ngff.Image) { im.SizeZ = 0 },
		func(im *ngff.Image) { im.Type = 0 },
		func(im *ngff.Image) { im.Levels = []ngff.Level{{300, 200}, {400, 100}} },
		func(im *ngff.Image) { im.Levels = []ngff.Level{{150, 100}} },
		func(im *ngff.Image) { im.ChunkX = -1 },
		func(im *ngff.Image) { im.PhysicalSizeX = -1 },
	} {
		im := stack()
		mod(&im)
		if _, err := im.ZAttrs(); err == nil {
			t.Errorf("%+v: no error", im)
		}
		if _, err := im.List(""); err == nil {
			t.Errorf("%+v: listed", im)
		}
	}
}

// zarr-python opens the folder written from the stand-in's pixels, and
// level 0 holds exactly the generator's values.
func TestZarrPythonReads(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import zarr, numpy").Run(); err != nil {
		t.Skip("python3-zarr is not installed (apt-get install python3-zarr)")
	}
	s := testserver.New(testserver.Options{})
	// membrane.czi: 128×160, Z 5, C 4, T 3, int16
	ti, _ := s.Data().Image(s.Data().ImageNamed(t, "membrane.czi"))
	ti.Levels = 2 // the generator samples a level 1 as well
	pt, _ := tiff.ParsePixelType(ti.PixelsType)
	im := ngff.Image{ID: ti.ID, Name: *ti.Name, SizeX: ti.SizeX, SizeY: ti.SizeY, SizeZ: ti.SizeZ, SizeC: ti.SizeC, SizeT: ti.SizeT,
		Type: pt, Levels: []ngff.Level{{128, 160}, {64, 80}}, PhysicalSizeX: ti.PhysicalSize, PhysicalSizeY: ti.PhysicalSize,
		PhysicalSizeZ: ti.PhysicalSizeZ, ChunkX: 50, ChunkY: 64}
	src := func(level, z, c, t, x, y, w, h int, buf []byte) error {
		b, err := testserver.RawRegion(ti, level, z, c, t, x, y, w, h)
		copy(buf, b)
		return err
	}
	dir := filepath.Join(t.TempDir(), "image.ome.zarr")
	var write func(rel string)
	write = func(rel string) {
		entries, err := im.List(rel)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, rel), 0o755)
		for _, e := range entries {
			p := strings.TrimPrefix(rel+"/"+e.Name, "/")
			var data []byte
			switch {
			case e.Dir:
				write(p)
				continue
			case e.Chunk != nil:
				data, err = im.ChunkBytes(*e.Chunk, src)
			default:
				data, err = im.File(p)
			}
			if err != nil || int64(len(data)) != e.Size {
				t.Fatalf("%s: %d bytes, %v", p, len(data), err)
			}
			os.WriteFile(filepath.Join(dir, p), data, 0o644)
		}
	}
	write("")
	out, err := exec.Command(py, "-c", `
import sys, json, hashlib, zarr
g = zarr.open_group(sys.argv[1], mode="r")
a = g["0"]
ms = g.attrs["multiscales"][0]
be = a[:].astype(a.dtype.newbyteorder(">"))
print(json.dumps({"shape": list(a.shape), "shape1": list(g["1"].shape), "dtype": a.dtype.str,
  "axes": [x["name"] for x in ms["axes"]], "sha": hashlib.sha256(be.tobytes()).hexdigest(),
  "px": int(g["1"][2, 3, 4, 70, 60])}))
`, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("zarr: %v\n%s", err, out)
	}
	var got struct {
		Shape, Shape1 []int
		Dtype         string
		Axes          []string
		Sha           string
		Px            int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	h := sha256.New()
	for tt := 0; tt < ti.SizeT; tt++ {
		for c := 0; c < ti.SizeC; c++ {
			for z := 0; z < ti.SizeZ; z++ {
				b, _ := testserver.RawRegion(ti, 0, z, c, tt, 0, 0, ti.SizeX, ti.SizeY)
				h.Write(b)
			}
		}
	}
	want1, _ := testserver.RawRegion(ti, 1, 4, 3, 2, 60, 70, 1, 1)
	if !bytes.Equal([]byte(strings.Join(got.Axes, "")), []byte("tczyx")) || got.Dtype != ">i2" ||
		len(got.Shape) != 5 || got.Shape[4] != 128 || got.Shape1[3] != 80 ||
		got.Sha != hex.EncodeToString(h.Sum(nil)) || float64(got.Px) != pt.Value(want1) {
		t.Fatalf("zarr read %+v", got)
	}
}
