package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/render/blosc"
	"github.com/omerofs/omerofs/render/tiff"
)

func imageNamed(t *testing.T, s *Server, name string) Image {
	t.Helper()
	im, _ := s.Data().Image(s.Data().ImageNamed(t, name))
	return im
}

func (c *client) do(method, path string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.Bytes()
}

func TestRawRoutesAreOptional(t *testing.T) {
	s, c := loggedInWith(t, Options{NoOMETiff: true}, "demo")
	im := imageNamed(t, s, "mitosis_01.dv")
	for _, p := range []string{"/tile/", fmt.Sprintf("/tile/%d/0/0/0", im.ID), fmt.Sprintf("/zarr/v0.4/image/%d.zarr/.zgroup", im.ID),
		fmt.Sprintf("/webgateway/render_ome_tiff/i/%d/", im.ID)} {
		if status, _, _ := c.do(http.MethodGet, p); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 with the route off", p, status)
		}
	}
	if status, _, _ := c.do(http.MethodOptions, "/tile/"); status == http.StatusOK {
		t.Error("OPTIONS /tile/ answered without the microservice")
	}
}

func TestPixelBuffer(t *testing.T) {
	s, c := loggedInWith(t, Options{PixelBuffer: true}, "demo")
	status, h, b := c.do(http.MethodOptions, "/tile/")
	var info struct {
		Provider, Version string
		Features          []string
	}
	if status != http.StatusOK || h.Get("Content-Type") != "application/json" || json.Unmarshal(b, &info) != nil ||
		info.Provider != "PixelBufferMicroservice" || info.Features == nil {
		t.Fatalf("OPTIONS /tile/: %d %s %s", status, h.Get("Content-Type"), b)
	}
	im := imageNamed(t, s, "mitosis_01.dv") // 256×192, Z 9, C 3, uint16
	status, h, b = c.get(fmt.Sprintf("/tile/%d/4/2/0?x=10&y=20&w=50&h=30", im.ID))
	want, _ := RawRegion(im, 0, 4, 2, 0, 10, 20, 50, 30)
	if status != http.StatusOK || h.Get("Content-Type") != "application/octet-stream" || !bytes.Equal(b, want) {
		t.Fatalf("tile: %d %s, %d bytes, equal %v", status, h.Get("Content-Type"), len(b), bytes.Equal(b, want))
	}
	if cd := h.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="image%d_z4_c2_t0_x10_y20_w50_h30.bin"`, im.ID) {
		t.Errorf("Content-Disposition %q", cd)
	}
	// no w, h: the whole plane
	_, _, b = c.get(fmt.Sprintf("/tile/%d/0/0/0", im.ID))
	if want, _ := RawRegion(im, 0, 0, 0, 0, 0, 0, 256, 192); !bytes.Equal(b, want) {
		t.Fatalf("whole plane: %d bytes", len(b))
	}
	// format=tif: a big-endian TIFF of the region
	status, h, b = c.get(fmt.Sprintf("/tile/%d/1/1/0?x=0&y=0&w=16&h=8&format=tif", im.ID))
	r, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if status != http.StatusOK || h.Get("Content-Type") != "image/tiff" || err != nil || !bytes.HasPrefix(b, []byte("MM")) {
		t.Fatalf("tif: %d %v", status, err)
	}
	got := make([]byte, 16*8*2)
	r.ReadRows(0, 0, 8, got)
	if want, _ := RawRegion(im, 0, 1, 1, 0, 0, 0, 16, 8); !bytes.Equal(got, want) {
		t.Fatal("tif pixels differ")
	}
	big := imageNamed(t, s, "Big slide.svs") // 20000×15000, 5 levels
	// resolution 0 is the smallest level; w, h still default to the full size
	if status, _, _ := c.get(fmt.Sprintf("/tile/%d/0/0/0?resolution=0", big.ID)); status != http.StatusNotFound {
		t.Errorf("full-size region at the smallest level: %d, want 404", status)
	}
	_, _, b = c.get(fmt.Sprintf("/tile/%d/0/1/0?resolution=0&x=100&y=50&w=64&h=32", big.ID))
	if want, _ := RawRegion(big, 4, 0, 1, 0, 100, 50, 64, 32); !bytes.Equal(b, want) {
		t.Fatal("resolution 0 is not the smallest level")
	}
	for path, code := range map[string]int{
		fmt.Sprintf("/tile/%d/0/0/0?w=3193&h=3192", big.ID): 404, // more pixels than 3192²
		fmt.Sprintf("/tile/%d/0/0/0?w=4000&h=2000", big.ID): 200, // the limit is on the area
		fmt.Sprintf("/tile/%d/0/0/0?resolution=5", big.ID):  404,
		fmt.Sprintf("/tile/%d/0/3/0", im.ID):                404, // no channel 3
		fmt.Sprintf("/tile/%d/0/0/0?x=250&w=10&h=1", im.ID): 404, // past the edge
		fmt.Sprintf("/tile/%d/0/0/0?format=jpeg", im.ID):    404,
		fmt.Sprintf("/tile/%d/0/0/0?w=abc", im.ID):          400,
		"/tile/99999/0/0/0":                                 404,
		fmt.Sprintf("/tile/%d/0/0", im.ID):                  404,
	} {
		if status, _, b := c.get(path); status != code {
			t.Errorf("%s: %d %s, want %d", path, status, b, code)
		}
	}
	// no session: 403, empty; an OMERO session key in the header joins it
	_, anon := newClient(t, Options{PixelBuffer: true})
	anon.base = c.base
	if status, _, b := anon.get(fmt.Sprintf("/tile/%d/0/0/0", im.ID)); status != http.StatusForbidden || len(b) != 0 {
		t.Errorf("no session: %d %q", status, b)
	}
	key := s.NewSessionKey("demo")
	req, _ := http.NewRequest(http.MethodGet, c.base+fmt.Sprintf("/tile/%d/0/0/0?w=4&h=4", im.ID), nil)
	req.Header.Set("X-OMERO-Session-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("session key header: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
}

func TestZarr(t *testing.T) {
	s, c := loggedInWith(t, Options{Zarr: true}, "demo")
	_, anon := newClient(t, Options{Zarr: true})
	anon.base = c.base
	if status, _, b := anon.get("/zarr/v0.4/image/99999.zarr/.zgroup"); status != http.StatusOK || strings.TrimSpace(string(b)) != `{"zarr_format":2}` {
		t.Fatalf(".zgroup of nothing, no login: %d %s", status, b)
	}
	if status, _, _ := c.get("/zarr/v0.4/image/99999.zarr/.zattrs"); status != http.StatusInternalServerError {
		t.Fatalf(".zattrs of an unknown image: %d, want 500", status)
	}
	im := imageNamed(t, s, "histology.tif") // 320×240, C 3, uint8
	attrs := c.getJSON(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/.zattrs", im.ID))
	ms := attrs["multiscales"].([]any)[0].(map[string]any)
	axes := ms["axes"].([]any)
	if len(axes) != 3 || axes[0].(map[string]any)["name"] != "c" || axes[2].(map[string]any)["unit"] != "micrometer" {
		t.Fatalf("axes %v", axes)
	}
	za := c.getJSON(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/.zarray", im.ID))
	if fmt.Sprint(za["shape"]) != "[3 240 320]" || fmt.Sprint(za["chunks"]) != "[1 320 240]" || za["dtype"] != "|u1" || za["dimension_separator"] != "/" {
		t.Fatalf(".zarray %v", za)
	}
	// chunk 2/0/1: channel 2, the right-hand chunk: columns 240..319, rows 0..239 of 320
	status, h, b := c.get(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/2/0/1", im.ID))
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Content-Disposition") != "attachment; filename=0.2.0.0.1" {
		t.Fatalf("chunk: %d %v", status, h)
	}
	got := make([]byte, 320*240)
	if err := blosc.Decode(got, b); err != nil {
		t.Fatal(err)
	}
	want, _ := RawRegion(im, 0, 0, 2, 0, 240, 0, 80, 240)
	for y := 0; y < 320; y++ {
		for x := 0; x < 240; x++ {
			exp := byte(0)
			if y < 240 && x < 80 {
				exp = want[y*80+x]
			}
			if got[y*240+x] != exp {
				t.Fatalf("chunk (%d,%d) = %d, want %d", x, y, got[y*240+x], exp)
			}
		}
	}
	for path, code := range map[string]int{
		fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/0/0", im.ID):     404, // two parts for three axes
		fmt.Sprintf("/zarr/v0.4/image/%d.zarr/1/.zarray", im.ID): 500, // no level 1
		fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/0/5/0", im.ID):   500, // past the edge
	} {
		if status, _, _ := c.get(path); status != code {
			t.Errorf("%s: %d, want %d", path, status, code)
		}
	}
	// a uint16 stack: values little-endian in the chunk
	st := imageNamed(t, s, "mitosis_01.dv") // 256×192, Z 9, C 3
	za = c.getJSON(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/.zarray", st.ID))
	if fmt.Sprint(za["shape"]) != "[3 9 192 256]" || fmt.Sprint(za["chunks"]) != "[1 1 256 192]" || za["dtype"] != "<u2" {
		t.Fatalf("stack .zarray %v", za)
	}
	_, _, b = c.get(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/0/1/4/0/0", st.ID))
	got = make([]byte, 256*192*2)
	if err := blosc.Decode(got, b); err != nil {
		t.Fatal(err)
	}
	want, _ = RawRegion(st, 0, 4, 1, 0, 0, 0, 192, 192)
	if got[2*(5*192+7)] != want[2*(5*192+7)+1] || got[2*(5*192+7)+1] != want[2*(5*192+7)] {
		t.Fatal("uint16 chunk is not little-endian")
	}
	// pyramids: chunk = the tile; level paths 0..4, scale by level
	big := imageNamed(t, s, "Big slide.svs")
	attrs = c.getJSON(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/.zattrs", big.ID))
	ds := attrs["multiscales"].([]any)[0].(map[string]any)["datasets"].([]any)
	if len(ds) != 5 || fmt.Sprint(ds[4].(map[string]any)["coordinateTransformations"]) != "[map[scale:[1 16.008537886873 16] type:scale]]" {
		t.Fatalf("datasets %v", ds)
	}
	za = c.getJSON(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/4/.zarray", big.ID))
	if fmt.Sprint(za["shape"]) != "[3 937 1250]" || fmt.Sprint(za["chunks"]) != "[1 256 256]" {
		t.Fatalf("level 4 .zarray %v", za)
	}
}

func TestOMETiff(t *testing.T) {
	s, c := loggedInWith(t, Options{}, "demo")
	im := imageNamed(t, s, "membrane.czi") // 128×160, Z 5, C 4, T 3, int16
	status, h, b := c.get(fmt.Sprintf("/webgateway/render_ome_tiff/i/%d/", im.ID))
	if status != http.StatusOK || h.Get("Content-Type") != "image/tiff" || h.Get("Content-Length") != fmt.Sprint(len(b)) {
		t.Fatalf("render_ome_tiff: %d %v", status, h)
	}
	if cd := h.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="%d-membrane.czi.ome.tiff"`, im.ID) {
		t.Errorf("Content-Disposition %q", cd)
	}
	r, err := tiff.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pages) != 60 || !strings.Contains(r.Pages[0].Description, `DimensionOrder="XYZCT"`) || r.Pages[0].Type != tiff.Int16 {
		t.Fatalf("%d pages, %s", len(r.Pages), r.Pages[0].Type)
	}
	// page 37 = z 2, c 3, t 1 in XYZCT
	got := make([]byte, 128*160*2)
	r.ReadRows(37, 0, 160, got)
	if want, _ := RawRegion(im, 0, 2, 3, 1, 0, 0, 128, 160); !bytes.Equal(got, want) {
		t.Fatal("page 37 is not plane z=2 c=3 t=1")
	}
	big := imageNamed(t, s, "Big slide.svs")
	if status, _, _ := c.get(fmt.Sprintf("/webgateway/render_ome_tiff/i/%d/", big.ID)); status != http.StatusNotFound {
		t.Errorf("a pyramid image: %d, want 404", status)
	}
	for id, want := range map[int64]string{big.ID: "0", im.ID: "1"} {
		status, h, b := c.get(fmt.Sprintf("/webgateway/render_ome_tiff/i/%d/?dryrun=1", id))
		if status != http.StatusOK || string(b) != want || h.Get("Content-Type") != "application/javascript" {
			t.Errorf("dryrun of %d: %d %q %s", id, status, b, h.Get("Content-Type"))
		}
	}
}

func debianPython(t *testing.T, modules ...string) string {
	t.Helper()
	py := "/usr/bin/python3"
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			t.Skipf("python module %s missing (apt-get install python3-%s)", m, m)
		}
	}
	return py
}

// zarr-python reads what the omero-web-zarr stand-in serves, copied into
// a folder as is: its .zarray, its Blosc chunks, its swapped chunk shape.
func TestZarrPythonReadsOurZarr(t *testing.T) {
	py := debianPython(t, "zarr", "numpy")
	s, c := loggedInWith(t, Options{Zarr: true}, "demo")
	im := imageNamed(t, s, "membrane.czi") // 128×160, Z 5, C 4, T 3, int16: chunks 128 rows × 160 columns
	dir := t.TempDir()
	get := func(p string) []byte {
		status, _, b := c.get(fmt.Sprintf("/zarr/v0.4/image/%d.zarr/%s", im.ID, p))
		if status != http.StatusOK {
			t.Fatalf("%s: %d", p, status)
		}
		return b
	}
	put := func(p string, b []byte) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), b, 0o644)
	}
	put(".zgroup", get(".zgroup"))
	put(".zattrs", get(".zattrs"))
	put("0/.zarray", get("0/.zarray"))
	for tt := 0; tt < im.SizeT; tt++ {
		for ch := 0; ch < im.SizeC; ch++ {
			for z := 0; z < im.SizeZ; z++ {
				for y := 0; y < 2; y++ { // 160 rows in chunks of 128
					p := fmt.Sprintf("0/%d/%d/%d/%d/0", tt, ch, z, y)
					put(p, get(p))
				}
			}
		}
	}
	out, err := exec.Command(py, "-c", `
import sys, zarr
a = zarr.open_group(sys.argv[1], mode="r")["0"]
print(a.shape, a.dtype.str, a[2, 3, 4, 150, 100], a[0, 0, 0, 0, 0])
`, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("zarr: %v\n%s", err, out)
	}
	v := func(x, y, z, c, tt int) int {
		b, _ := RawRegion(im, 0, z, c, tt, x, y, 1, 1)
		return int(int16(uint16(b[0])<<8 | uint16(b[1])))
	}
	if want := fmt.Sprintf("(3, 4, 5, 160, 128) <i2 %d %d", v(100, 150, 4, 3, 2), v(0, 0, 0, 0, 0)); strings.TrimSpace(string(out)) != want {
		t.Fatalf("zarr-python read %q, want %q", out, want)
	}
}

// tifffile reads the OME-TIFF export as one 5-D OME series.
func TestTifffileReadsOurOMETiff(t *testing.T) {
	py := debianPython(t, "tifffile", "numpy")
	s, c := loggedInWith(t, Options{}, "demo")
	im := imageNamed(t, s, "membrane.czi")
	status, _, b := c.get(fmt.Sprintf("/webgateway/render_ome_tiff/i/%d/", im.ID))
	if status != http.StatusOK {
		t.Fatal(status)
	}
	path := filepath.Join(t.TempDir(), "x.ome.tiff")
	os.WriteFile(path, b, 0o644)
	out, err := exec.Command(py, "-c", `
import sys, tifffile
with tifffile.TiffFile(sys.argv[1]) as f:
    s = f.series[0]
    a = s.asarray()
    print(f.is_ome, s.axes, a.shape, a.dtype.name, a[2, 3, 4, 150, 100])
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
	px, _ := RawRegion(im, 0, 4, 3, 2, 100, 150, 1, 1)
	want := fmt.Sprintf("True TCZYX (3, 4, 5, 160, 128) int16 %d", int16(uint16(px[0])<<8|uint16(px[1])))
	if strings.TrimSpace(string(out)) != want {
		t.Fatalf("tifffile read %q, want %q", out, want)
	}
}
