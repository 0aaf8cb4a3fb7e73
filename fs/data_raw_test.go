package fs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// probeRaw finds the raw routes of a test server as the command does at
// mount, with a visible image named probe.
func probeRaw(t testing.TB, ts *testserver.Server, conn *gateway.Conn, probe string, log logrus.FieldLogger) *raw.Routes {
	t.Helper()
	ids := idsNamed(ts.Data(), "image", probe)
	if len(ids) == 0 {
		t.Fatalf("no image %q to probe with", probe)
	}
	return raw.Probe(context.Background(), conn, raw.Options{ProbeImage: ids[0], SpoolDir: t.TempDir(), Logger: log})
}

// testImage is the stand-in's image of that name.
func testImage(t testing.TB, m *mounted, name string) testserver.Image {
	t.Helper()
	ids := idsNamed(m.server.Data(), "image", name)
	if len(ids) == 0 {
		t.Fatalf("no image %q", name)
	}
	im, _ := m.server.Data().Image(ids[0])
	return im
}

// imageDir is data/images/<id>/ of a named image.
func (m *mounted) imageDir(t testing.TB, name string) string {
	return m.path("data", "images", strconv.FormatInt(testImage(t, m, name).ID, 10))
}

// planeValues reads a plane file with the TIFF reader: its size, type and
// big-endian pixel bytes.
func planeValues(t testing.TB, file []byte) (tiff.PageInfo, []byte) {
	t.Helper()
	r, err := tiff.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil || len(r.Pages) != 1 {
		t.Fatalf("plane file: %v (%d pages)", err, len(r.Pages))
	}
	pg := r.Pages[0]
	buf := make([]byte, pg.Width*pg.Height*pg.Type.Bytes())
	if err := r.ReadRows(0, 0, pg.Height, buf); err != nil {
		t.Fatal(err)
	}
	return pg, buf
}

func checkPlaneFile(t testing.TB, m *mounted, ti testserver.Image, z, c, tt int) {
	t.Helper()
	pt, _ := tiff.ParsePixelType(ti.PixelsType)
	im := raw.Image{SizeX: ti.SizeX, SizeY: ti.SizeY, SizeZ: ti.SizeZ, SizeC: ti.SizeC, SizeT: ti.SizeT, Type: pt}
	p := filepath.Join(m.path("data", "images", strconv.FormatInt(ti.ID, 10)), "planes", raw.PlaneName(im, z, c, tt))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := tiff.PlaneSize(ti.SizeX, ti.SizeY, pt); int64(len(b)) != size {
		t.Fatalf("%s: %d bytes, want %d", p, len(b), size)
	}
	pg, got := planeValues(t, b)
	want, _ := testserver.RawRegion(ti, 0, z, c, tt, 0, 0, ti.SizeX, ti.SizeY)
	if pg.Type != pt || pg.Width != ti.SizeX || pg.Height != ti.SizeY || !bytes.Equal(got, want) {
		t.Fatalf("%s: %d×%d %s, values equal: %v", p, pg.Width, pg.Height, pg.Type, bytes.Equal(got, want))
	}
}

// planes/: names in C, Z, T order, exact sizes before any pixel is read,
// any offset, one fetch for concurrent readers.
func TestDataPlanes(t *testing.T) {
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true, Zarr: true}, rawProbe: "histology.tif"})
	ti := testImage(t, m, "mitosis_01.dv") // 256×192, Z 9, C 3, uint16
	dir := m.imageDir(t, "mitosis_01.dv")
	expect(t, dir, "image.png", "metadata.json", "original", "attachments", "planes", "image.ome.zarr")
	m.server.ResetCounters()
	all, err := os.ReadDir(filepath.Join(dir, "planes"))
	if err != nil {
		t.Fatal(err)
	}
	var ents []os.DirEntry
	others := map[string]bool{}
	for _, e := range all {
		if strings.HasSuffix(e.Name(), ".tif") {
			ents = append(ents, e)
		} else {
			others[e.Name()] = true
		}
	}
	// The image has ROIs: its RoiSet.zip and rois.json sit beside the planes.
	if len(ents) != 27 || len(others) != 2 || !others["RoiSet.zip"] || !others["rois.json"] {
		t.Fatalf("%d planes, and %v", len(ents), others)
	}
	m.server.ResetCounters() // the ROI listing
	want := []string{"t1_z1_c1.tif", "t1_z1_c2.tif", "t1_z1_c3.tif", "t1_z2_c1.tif"}
	for i, w := range want {
		if ents[i].Name() != w {
			t.Errorf("plane %d is %s, want %s", i, ents[i].Name(), w)
		}
	}
	size, _ := tiff.PlaneSize(256, 192, tiff.Uint16)
	for _, e := range ents {
		st, err := os.Stat(filepath.Join(dir, "planes", e.Name()))
		if err != nil || st.Size() != size {
			t.Fatalf("%s: %v, size %d, want %d", e.Name(), err, st.Size(), size)
		}
	}
	if n := m.server.Requests("pixel_buffer_tile") + m.server.Requests("imgData"); n != 0 {
		t.Errorf("listing and stat made %d pixel requests", n)
	}
	for _, bad := range []string{"t1_z01_c1.tif", "t1_z10_c1.tif", "t0_z1_c1.tif", "RoiSet.tif", "t1_z1_c1.tiff"} {
		if _, err := os.Stat(filepath.Join(dir, "planes", bad)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	checkPlaneFile(t, m, ti, 8, 2, 0)
	checkPlaneFile(t, m, ti, 4, 1, 0)

	// Any offset: pread at odd places agrees with the whole file.
	p := filepath.Join(dir, "planes", "t1_z3_c2.tif")
	whole, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	for _, c := range [][2]int64{{0, 8}, {7, 1000}, {4093, 5000}, {size - 3, 3}, {size - 100, 200}, {1 << 20, 10}} {
		buf := make([]byte, c[1])
		n, _ := f.ReadAt(buf, c[0])
		end := min(c[0]+c[1], size)
		if c[0] >= size {
			end = c[0]
		}
		if int64(n) != end-c[0] || (n > 0 && !bytes.Equal(buf[:n], whole[c[0]:end])) {
			t.Errorf("pread %d+%d: %d bytes, or different", c[0], c[1], n)
		}
	}

	// Concurrent readers of a plane not read yet share one fetch.
	m.server.ResetCounters()
	var wg sync.WaitGroup
	got := make([][]byte, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = os.ReadFile(filepath.Join(dir, "planes", "t1_z7_c1.tif"))
		}()
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], got[0]) || int64(len(got[i])) != size {
			t.Fatalf("reader %d got %d bytes", i, len(got[i]))
		}
	}
	if n := m.server.Requests("pixel_buffer_tile"); n != 1 {
		t.Errorf("6 readers of one plane made %d tile requests, want 1", n)
	}
}

// A pyramid image's plane is streamed from its full-resolution level, a
// band of rows at a time: a read in the middle of a 300 MB plane costs a
// request or two, never the plane.
func TestDataPlanesPyramid(t *testing.T) {
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
	ti := testImage(t, m, "Big slide.svs") // 20000×15000 uint8, C 3, 5 levels
	p := filepath.Join(m.imageDir(t, "Big slide.svs"), "planes", "t1_z1_c2.tif")
	st, err := os.Stat(p)
	size, _ := tiff.PlaneSize(20000, 15000, tiff.Uint8)
	if err != nil || st.Size() != size {
		t.Fatalf("stat: %v, %d bytes, want %d", err, st.Size(), size)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The pixels start after the header and IFD: find row 7000 from the
	// end, which is the last row's end.
	rowOff := size - int64(15000-7000)*20000
	m.server.ResetCounters()
	buf := make([]byte, 3*20000)
	if _, err := f.ReadAt(buf, rowOff); err != nil {
		t.Fatal(err)
	}
	want, _ := testserver.RawRegion(ti, 0, 0, 1, 0, 0, 7000, 20000, 3)
	if !bytes.Equal(buf, want) {
		t.Fatal("rows 7000..7002 differ from the stand-in's")
	}
	if n := m.server.Requests("pixel_buffer_tile"); n < 1 || n > 14 {
		t.Errorf("%d tile requests for 60 kB of a 300 MB plane", n)
	}
}

// image.ome.zarr/: OME-NGFF 0.4 metadata, every level, exact chunk sizes,
// chunks equal to the raw data (big-endian, edge chunks padded).
func TestDataZarr(t *testing.T) {
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
	ti := testImage(t, m, "mitosis_01.dv")
	z := filepath.Join(m.imageDir(t, "mitosis_01.dv"), "image.ome.zarr")
	expect(t, z, ".zattrs", ".zgroup", "0")
	var attrs struct {
		Multiscales []struct {
			Version  string                  `json:"version"`
			Axes     []struct{ Name string } `json:"axes"`
			Datasets []struct{ Path string } `json:"datasets"`
		} `json:"multiscales"`
	}
	b, err := os.ReadFile(filepath.Join(z, ".zattrs"))
	if err != nil || json.Unmarshal(b, &attrs) != nil || len(attrs.Multiscales) != 1 || attrs.Multiscales[0].Version != "0.4" ||
		len(attrs.Multiscales[0].Axes) != 5 || len(attrs.Multiscales[0].Datasets) != 1 {
		t.Fatalf(".zattrs: %v %s", err, b)
	}
	var za struct {
		Shape      []int           `json:"shape"`
		Chunks     []int           `json:"chunks"`
		Dtype      string          `json:"dtype"`
		Compressor json.RawMessage `json:"compressor"`
	}
	b, err = os.ReadFile(filepath.Join(z, "0", ".zarray"))
	if err != nil || json.Unmarshal(b, &za) != nil || za.Dtype != ">u2" || string(za.Compressor) != "null" ||
		len(za.Shape) != 5 || za.Shape[2] != 9 || za.Shape[3] != 192 || za.Shape[4] != 256 {
		t.Fatalf(".zarray: %v %s", err, b)
	}
	chunk := filepath.Join(z, "0", "0", "2", "5", "0", "0")
	st, err := os.Stat(chunk)
	if err != nil || st.Size() != int64(za.Chunks[3]*za.Chunks[4]*2) {
		t.Fatalf("chunk: %v", err)
	}
	got, err := os.ReadFile(chunk)
	want, _ := testserver.RawRegion(ti, 0, 5, 2, 0, 0, 0, 256, 192)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("chunk 0/0/2/5/0/0 differs (%v)", err)
	}

	// The pyramid: five levels, each with its advertised shape; a chunk of
	// level 3 equals the stand-in's level 3.
	big := testImage(t, m, "Big slide.svs")
	bz := filepath.Join(m.imageDir(t, "Big slide.svs"), "image.ome.zarr")
	expect(t, bz, "0", "1", "2", "3", "4")
	b, err = os.ReadFile(filepath.Join(bz, "3", ".zarray"))
	if err != nil || json.Unmarshal(b, &za) != nil {
		t.Fatal(err)
	}
	lw, lh := za.Shape[4], za.Shape[3]
	if lw != 2500 || lh != 1875 || za.Dtype != "|u1" {
		t.Fatalf("level 3 is %d×%d %s", lw, lh, za.Dtype)
	}
	cw, ch := za.Chunks[4], za.Chunks[3]
	// The last chunk along x: padded with zeros past the edge.
	nx := (lw + cw - 1) / cw
	got, err = os.ReadFile(filepath.Join(bz, "3", "0", "1", "0", "1", strconv.Itoa(nx-1)))
	if err != nil || len(got) != cw*ch {
		t.Fatalf("edge chunk: %v, %d bytes", err, len(got))
	}
	x0, w := (nx-1)*cw, lw-(nx-1)*cw
	want, _ = testserver.RawRegion(big, 3, 0, 1, 0, x0, ch, w, min(ch, lh-ch))
	for r := 0; r < min(ch, lh-ch); r++ {
		if !bytes.Equal(got[r*cw:r*cw+w], want[r*w:(r+1)*w]) || bytes.ContainsFunc(got[r*cw+w:(r+1)*cw], func(r rune) bool { return r != 0 }) {
			t.Fatalf("edge chunk row %d differs", r)
		}
	}
}

// The profile matrix: a mount against a stand-in with no raw route, core
// OMERO.web only (the OME-TIFF export), the pixel-buffer service, or
// omero-web-zarr. planes/ and image.ome.zarr/ are there exactly where a
// route reaches the image, and hold the stand-in's raw values, in every
// pixel type.
func TestDataRawProfiles(t *testing.T) {
	for _, p := range []struct {
		name    string
		opts    testserver.Options
		present bool
		kind    string // the route's request kind
	}{
		{"none", testserver.Options{NoOMETiff: true}, false, ""},
		{"ome-tiff", testserver.Options{}, true, "render_ome_tiff"},
		{"pixel-buffer", testserver.Options{PixelBuffer: true, NoOMETiff: true}, true, "pixel_buffer_tile"},
		{"zarr", testserver.Options{Zarr: true, NoOMETiff: true}, true, "zarr_chunk"},
	} {
		t.Run(p.name, func(t *testing.T) {
			m := mountTestServer(t, mountConfig{serverOpts: p.opts, rawProbe: "histology.tif"})
			for _, name := range []string{"histology.tif", "membrane.czi", "beads_float.ome.tiff"} { // uint8, int16, float
				dir := m.imageDir(t, name)
				ents := names(t, dir)
				if ents["planes"] != p.present || ents["image.ome.zarr"] != p.present {
					t.Fatalf("%s: planes/ %v, image.ome.zarr/ %v; want %v", name, ents["planes"], ents["image.ome.zarr"], p.present)
				}
				if _, err := os.Stat(filepath.Join(dir, "planes")); p.present != (err == nil) {
					t.Fatalf("%s: stat planes/: %v", name, err)
				}
				if !p.present {
					continue
				}
				ti := testImage(t, m, name)
				m.server.ResetCounters()
				for tt := 0; tt < ti.SizeT; tt++ {
					for z := 0; z < ti.SizeZ; z++ {
						for c := 0; c < ti.SizeC; c++ {
							checkPlaneFile(t, m, ti, z, c, tt)
						}
					}
				}
				if p.kind == "render_ome_tiff" {
					// The export is fetched once per image, every plane served from it.
					if n := m.server.Requests(p.kind); n != 1 {
						t.Errorf("%s: %d OME-TIFF downloads for %d planes", name, n, ti.SizeZ*ti.SizeC*ti.SizeT)
					}
				} else if m.server.Requests(p.kind) == 0 {
					t.Errorf("%s: no %s request", name, p.kind)
				}
				// Level 0 of image.ome.zarr, its last plane.
				z, c, tt := ti.SizeZ-1, ti.SizeC-1, ti.SizeT-1
				chunk := filepath.Join(dir, "image.ome.zarr", "0", strconv.Itoa(tt), strconv.Itoa(c), strconv.Itoa(z), "0", "0")
				got, err := os.ReadFile(chunk)
				want, _ := testserver.RawRegion(ti, 0, z, c, tt, 0, 0, ti.SizeX, ti.SizeY)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: zarr chunk differs (%v)", name, err)
				}
			}
			// The big pyramid: no route but the pixel-buffer service and
			// omero-web-zarr reach it.
			ents := names(t, m.imageDir(t, "Big slide.svs"))
			if want := p.present && p.name != "ome-tiff"; ents["planes"] != want {
				t.Errorf("Big slide.svs: planes/ %v, want %v", ents["planes"], want)
			}
		})
	}
}

// A spoiled answer of the raw route is an I/O error, never wrong bytes,
// and a later read recovers (the kernel may retry a failed read itself,
// so faults persist until cleared).
func TestDataPlanesFaults(t *testing.T) {
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
	ti := testImage(t, m, "histology.tif")
	p := filepath.Join(m.imageDir(t, "histology.tif"), "planes", "t1_z1_c3.tif")
	for _, fk := range []testserver.FaultKind{testserver.TruncateBody, testserver.Status, testserver.ResetMidBody} {
		m.server.SetFault(testserver.Fault{Match: "pixel_buffer_tile", Kind: fk, Status: 502, Count: 1000})
		if _, err := os.ReadFile(p); !errors.Is(err, syscall.EIO) {
			t.Errorf("fault %d: read gave %v, want EIO", fk, err)
		}
		m.server.ClearFaults()
	}
	checkPlaneFile(t, m, ti, 0, 2, 0)
	// image.ome.zarr's chunk of another plane, the same way; a failed
	// chunk is remembered briefly, as a failed render is (cache.Cache).
	m.server.SetFault(testserver.Fault{Match: "pixel_buffer_tile", Kind: testserver.ResetMidBody, Count: 1000})
	chunk := filepath.Join(m.imageDir(t, "histology.tif"), "image.ome.zarr", "0", "0", "1", "0", "0", "0")
	if _, err := os.ReadFile(chunk); !errors.Is(err, syscall.EIO) {
		t.Errorf("zarr chunk under a fault: %v", err)
	}
	m.server.ClearFaults()
	want, _ := testserver.RawRegion(ti, 0, 0, 1, 0, 0, 0, ti.SizeX, ti.SizeY)
	fusetest.WaitFor(t, "the chunk read again", func() bool {
		got, err := os.ReadFile(chunk)
		if err == nil && !bytes.Equal(got, want) {
			t.Fatal("zarr chunk after the fault: wrong bytes")
		}
		return err == nil
	})
}

// A reader evicted while in use (more images read at once than are kept)
// stays open for its user: on a bare OMERO.web its spooled export would
// otherwise vanish under a read.
func TestRawReaderEvictedInUse(t *testing.T) {
	m := mountTestServer(t, mountConfig{rawProbe: "histology.tif"}) // the OME-TIFF export only
	ctx := context.Background()
	ti := testImage(t, m, "mitosis_01.dv")
	img, err := m.root.client.Image(ctx, ti.ID)
	if err != nil {
		t.Fatal(err)
	}
	px, _, done, err := m.root.pixels(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, ti.SizeX*2*3)
	if err := px.ReadRows(ctx, 0, 0, 0, 0, 3, buf); err != nil { // the export is fetched
		t.Fatal(err)
	}
	ids := m.server.Data().ImageIDs(func(im testserver.Image) bool { return im.Name != nil && strings.HasPrefix(*im.Name, "scan_") })
	for _, id := range ids[:keptReaders+2] {
		other, err := m.root.client.Image(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		_, _, d, err := m.root.pixels(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		d()
	}
	if m.root.raw.holds(ti.ID) {
		t.Fatal("the first reader was not evicted")
	}
	m.server.ResetCounters()
	want, _ := testserver.RawRegion(ti, 0, 2, 1, 0, 0, 10, ti.SizeX, 3)
	if err := px.ReadRows(ctx, 2, 1, 0, 10, 3, buf); err != nil || !bytes.Equal(buf, want) {
		t.Fatalf("read from an evicted reader in use: %v", err)
	}
	if n := m.server.Requests("render_ome_tiff"); n != 0 {
		t.Errorf("the evicted reader in use lost its export: %d more downloads", n)
	}
	done()
}
