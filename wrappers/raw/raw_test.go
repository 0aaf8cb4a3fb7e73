package raw

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

func connect(t *testing.T, opts testserver.Options) (*testserver.Server, *gateway.Conn) {
	t.Helper()
	ts := testserver.New(opts)
	hs := httptest.NewServer(ts)
	t.Cleanup(hs.Close)
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	conn, err := gateway.Connect(context.Background(), gateway.Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ts, conn
}

func named(t *testing.T, s *testserver.Server, name string) (testserver.Image, Image) {
	t.Helper()
	for id := range s.Data().Images {
		im, _ := s.Data().Image(id)
		if im.Name != nil && *im.Name == name {
			pt, err := tiff.ParsePixelType(im.PixelsType)
			if err != nil {
				t.Fatal(err)
			}
			return im, Image{ID: im.ID, SizeX: im.SizeX, SizeY: im.SizeY, SizeZ: im.SizeZ, SizeC: im.SizeC, SizeT: im.SizeT, Type: pt, Levels: im.Levels}
		}
	}
	t.Fatalf("no image %q", name)
	return testserver.Image{}, Image{}
}

// checkPlane reads plane (z, c, t) in uneven strips and compares every
// byte with the stand-in's generator.
func checkPlane(t *testing.T, px *Pixels, ti testserver.Image, z, c, t0 int) {
	t.Helper()
	want, err := testserver.RawRegion(ti, 0, z, c, t0, 0, 0, ti.SizeX, ti.SizeY)
	if err != nil {
		t.Fatal(err)
	}
	rowBytes := len(want) / ti.SizeY
	for y := 0; y < ti.SizeY; {
		n := min(37, ti.SizeY-y)
		buf := make([]byte, n*rowBytes)
		if err := px.ReadRows(context.Background(), z, c, t0, y, n, buf); err != nil {
			t.Fatalf("%s: rows %d+%d: %v", px.Route(), y, n, err)
		}
		if !bytes.Equal(buf, want[y*rowBytes:(y+n)*rowBytes]) {
			t.Fatalf("%s: image %d plane z=%d c=%d t=%d rows %d+%d differ", px.Route(), ti.ID, z, c, t0, y, n)
		}
		y += n
	}
}

var profiles = []struct {
	name     string
	opts     testserver.Options
	routes   []Route
	describe string
}{
	{"all", testserver.Options{PixelBuffer: true, Zarr: true}, []Route{PixelBuffer, Zarr, OMETiff}, "raw pixels: pixel-buffer service"},
	{"pixel-buffer", testserver.Options{PixelBuffer: true, NoOMETiff: true}, []Route{PixelBuffer}, "raw pixels: pixel-buffer service"},
	{"zarr", testserver.Options{Zarr: true, NoOMETiff: true}, []Route{Zarr}, "raw pixels: omero-web-zarr"},
	{"zarr+ome-tiff", testserver.Options{Zarr: true}, []Route{Zarr, OMETiff}, "raw pixels: omero-web-zarr"},
	{"bare OMERO.web", testserver.Options{}, []Route{OMETiff}, "raw pixels: OME-TIFF export, images up to 3192×3192 only"},
	{"none", testserver.Options{NoOMETiff: true}, nil, "raw pixels: none found (no planes/ or image.ome.zarr/ in the data view)"},
}

// Every route of every profile returns the generator's values for images
// of several types and shapes (square, wide, stacks, time series).
func TestEveryRouteAgrees(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s, conn := connect(t, p.opts)
			probe, _ := named(t, s, "histology.tif")
			routes := Probe(context.Background(), conn, Options{ProbeImage: probe.ID, SpoolDir: t.TempDir()})
			if got := routes.Available(); len(got) != len(p.routes) || (len(got) > 0 && got[0] != p.routes[0]) {
				t.Fatalf("routes %v, want %v", got, p.routes)
			}
			if d := routes.Describe(); d != p.describe {
				t.Errorf("start-up line %q, want %q", d, p.describe)
			}
			for _, route := range p.routes {
				for _, name := range []string{"histology.tif", "mitosis_01.dv", "membrane.czi", "beads_float.ome.tiff", "mitosis_02.dv"} {
					ti, im := named(t, s, name)
					px, err := routes.OpenWith(im, route)
					if err != nil {
						t.Fatal(err)
					}
					checkPlane(t, px, ti, im.SizeZ-1, im.SizeC-1, im.SizeT-1)
					checkPlane(t, px, ti, 0, 0, 0)
					px.Close()
				}
			}
			if len(p.routes) == 0 {
				_, im := named(t, s, "histology.tif")
				if _, err := routes.Open(im); !errors.Is(err, ErrNoRoute) {
					t.Fatalf("open without routes: %v", err)
				}
			}
		})
	}
}

// The big pyramid image: the pixel-buffer route reads it in regions of at
// most 3192² pixels, zarr by its tile chunks; the OME-TIFF export cannot.
func TestBigImage(t *testing.T) {
	s, conn := connect(t, testserver.Options{PixelBuffer: true, Zarr: true})
	ti, im := named(t, s, "Big slide.svs") // 20000×15000 uint8, 3 channels
	routes := Probe(context.Background(), conn, Options{SpoolDir: t.TempDir()})
	for _, route := range []Route{PixelBuffer, Zarr} {
		px, err := routes.OpenWith(im, route)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 3*im.SizeX)
		if err := px.ReadRows(context.Background(), 0, 2, 0, 7000, 3, buf); err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		want, _ := testserver.RawRegion(ti, 0, 0, 2, 0, 0, 7000, im.SizeX, 3)
		if !bytes.Equal(buf, want) {
			t.Fatalf("%s: rows differ", route)
		}
	}
	if _, err := routes.OpenWith(im, OMETiff); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("OME-TIFF of a pyramid image: %v", err)
	}
	bare := &Routes{conn: conn, omeTiff: true, bands: newBandBudget(0)}
	if r := bare.Choose(im); r != None {
		t.Fatalf("bare OMERO.web chooses %s for a pyramid image", r)
	}
}

// A plane file written from any route is exactly PlaneSize bytes and
// holds the generator's values.
func TestPlaneFileFromRoute(t *testing.T) {
	s, conn := connect(t, testserver.Options{Zarr: true})
	ti, im := named(t, s, "mitosis_01.dv")
	routes := Probe(context.Background(), conn, Options{ProbeImage: im.ID})
	px, err := routes.Open(im)
	if err != nil {
		t.Fatal(err)
	}
	f := tiff.Plane(im.SizeX, im.SizeY, im.Type, ti.PhysicalSize, ti.PhysicalSize, ti.PhysicalSizeZ)
	var out bytes.Buffer
	n, err := f.WriteTo(&out, px.Rows(context.Background(), 3, 1, 0))
	size, _ := tiff.PlaneSize(im.SizeX, im.SizeY, im.Type)
	if err != nil || n != size {
		t.Fatalf("wrote %d (%v), PlaneSize %d", n, err, size)
	}
	r, err := tiff.NewReader(bytes.NewReader(out.Bytes()), n)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, im.SizeX*im.SizeY*2)
	r.ReadRows(0, 0, im.SizeY, got)
	if want, _ := testserver.RawRegion(ti, 0, 3, 1, 0, 0, 0, im.SizeX, im.SizeY); !bytes.Equal(got, want) {
		t.Fatal("plane file differs from the generator")
	}
}

func TestBadReads(t *testing.T) {
	s, conn := connect(t, testserver.Options{PixelBuffer: true})
	_, im := named(t, s, "histology.tif")
	routes := Probe(context.Background(), conn, Options{ProbeImage: im.ID})
	px, _ := routes.Open(im)
	for _, c := range [][6]int{{0, 3, 0, 0, 1, 320}, {0, 0, 0, 239, 2, 640}, {1, 0, 0, 0, 1, 320}, {0, 0, 0, 0, 1, 319}} {
		if err := px.ReadRows(context.Background(), c[0], c[1], c[2], c[3], c[4], make([]byte, c[5])); err == nil {
			t.Errorf("read %v: no error", c)
		}
	}
	gone := im
	gone.ID = 999999
	px, _ = routes.Open(gone)
	if err := px.ReadRows(context.Background(), 0, 0, 0, 0, 1, make([]byte, 320)); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("a missing image: %v", err)
	}
}

// Regions at any level through the pixel-buffer service, at full size
// through every route: the region source of image.ome.zarr chunks.
func TestRegions(t *testing.T) {
	s, conn := connect(t, testserver.Options{PixelBuffer: true, Zarr: true})
	routes := Probe(context.Background(), conn, Options{SpoolDir: t.TempDir()})
	ti, im := named(t, s, "Big slide.svs")
	px, _ := routes.OpenWith(im, PixelBuffer)
	if px.Levels() != 5 {
		t.Fatalf("%d levels", px.Levels())
	}
	for _, level := range []int{0, 2, 4} {
		buf := make([]byte, 300*200)
		if err := px.ReadRegion(context.Background(), level, 0, 1, 0, 900, 500, 300, 200, buf); err != nil {
			t.Fatal(err)
		}
		if want, _ := testserver.RawRegion(ti, level, 0, 1, 0, 900, 500, 300, 200); !bytes.Equal(buf, want) {
			t.Fatalf("level %d region differs", level)
		}
	}
	zpx, _ := routes.OpenWith(im, Zarr)
	if zpx.Levels() != 1 || zpx.ReadRegion(context.Background(), 1, 0, 0, 0, 0, 0, 4, 4, make([]byte, 16)) == nil {
		t.Fatal("zarr reads lower levels")
	}
	ti, im = named(t, s, "mitosis_02.dv") // 200×200, C 2, T 12, uint16
	want, _ := testserver.RawRegion(ti, 0, 0, 1, 11, 150, 20, 50, 170)
	for _, route := range routes.Available() {
		px, err := routes.OpenWith(im, route)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 50*170*2)
		if err := px.ReadRegion(context.Background(), 0, 0, 1, 11, 150, 20, 50, 170, buf); err != nil || !bytes.Equal(buf, want) {
			t.Fatalf("%s: region differs (%v)", route, err)
		}
		if px.ReadRegion(context.Background(), 0, 0, 1, 11, 151, 20, 50, 170, buf) == nil {
			t.Fatalf("%s: region past the edge read", route)
		}
		px.Close()
	}
}

// A spoiled answer is an error, never wrong bytes, and the next read
// recovers; an expired session is renewed behind every route.
func TestFaultsAndExpiredSessions(t *testing.T) {
	s, conn := connect(t, testserver.Options{PixelBuffer: true, Zarr: true})
	ti, im := named(t, s, "histology.tif")
	routes := Probe(context.Background(), conn, Options{ProbeImage: im.ID, SpoolDir: t.TempDir()})
	for _, c := range []struct {
		route Route
		kind  string
	}{{PixelBuffer, "pixel_buffer_tile"}, {Zarr, "zarr_chunk"}, {OMETiff, "render_ome_tiff"}} {
		for _, fk := range []testserver.FaultKind{testserver.TruncateBody, testserver.ResetMidBody, testserver.Status} {
			px, err := routes.OpenWith(im, c.route)
			if err != nil {
				t.Fatal(err)
			}
			// two spoiled answers: the gateway retries a failed GET once
			s.SetFault(testserver.Fault{Match: c.kind, Kind: fk, Status: 502, Count: 2})
			buf := make([]byte, 10*im.SizeX)
			if err := px.ReadRows(context.Background(), 0, 1, 0, 100, 10, buf); err == nil {
				t.Fatalf("%s, fault %d: no error", c.route, fk)
			}
			s.ClearFaults()
			checkPlane(t, px, ti, 0, 1, 0)
			px.Close()
		}
		px, _ := routes.OpenWith(im, c.route)
		s.ExpireSessions()
		checkPlane(t, px, ti, 0, 2, 0)
		px.Close()
	}
}
