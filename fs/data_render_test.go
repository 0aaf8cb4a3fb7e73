package fs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/testserver"
)

// imageDiff is the mean and worst channel difference of two renderings.
func imageDiff(a, b *render.Image) (mean, worst float64) {
	if a.Width != b.Width || a.Height != b.Height {
		return 255, 255
	}
	var sum float64
	for i := range a.Pix {
		d := absf(float64(a.Pix[i]) - float64(b.Pix[i]))
		sum += d
		worst = max(worst, d)
	}
	return sum / float64(len(a.Pix)), worst
}

// Lossless rendering: where raw pixels are reachable, image.png (the
// rendered view's very file) is rendered here from them, pixel for pixel
// what the stand-in renders before its JPEG step, with no render request;
// and within JPEG tolerance of the server's JPEG (--render server).
func TestLocalRendering(t *testing.T) {
	local := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
	server := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif",
		fsOpts: Options{Render: RenderServer}})
	// Settings that exercise every rule: a max projection, an inverted
	// channel, the non-linear families, greyscale.
	for _, m := range []*mounted{local, server} {
		d := m.server.Data()
		st := d.Images[testImage(t, m, "stack.tif").ID]
		st.Defaults.Projection = render.ProjectionMax
		st.Defaults.Channels[1].Inverted = true
		mb := d.Images[testImage(t, m, "membrane.czi").ID]
		mb.Defaults.Channels[0].Family, mb.Defaults.Channels[0].Coefficient = render.FamilyPoly, 1.7
		mb.Defaults.Channels[2].Family = render.FamilyLog
		mb.Defaults.Channels[3].Active = false
		mb.Defaults.T = 2
		h := d.Images[testImage(t, m, "histology.tif").ID]
		h.Defaults.Model = render.ModelGreyscale
	}
	for _, name := range []string{"mitosis_01.dv", "stack.tif", "membrane.czi", "histology.tif", "mitosis_02.dv", "beads_float.ome.tiff"} {
		id := testImage(t, local, name).ID
		want, err := local.server.RenderExpected(id)
		if err != nil {
			t.Fatal(err)
		}
		local.server.ResetCounters()
		got := readPNG(t, filepath.Join(local.imageDir(t, name), "image.png"))
		if n := local.server.Requests("render_image") + local.server.Requests("render_image_region"); n != 0 {
			t.Errorf("%s: %d render requests in local mode", name, n)
		}
		if !bytes.Equal(got.Pix, want.Pix) || got.Width != want.Width {
			mean, worst := imageDiff(got, want)
			t.Errorf("%s: local rendering differs from the stand-in's exact one: mean %.3f, worst %.0f", name, mean, worst)
		}
		jpeg := readPNG(t, filepath.Join(server.imageDir(t, name), "image.png"))
		if server.server.Requests("render_image") == 0 {
			t.Errorf("%s: --render server made no render request", name)
		}
		if mean, worst := imageDiff(got, jpeg); mean > 4 || worst > 64 {
			t.Errorf("%s: local rendering is off the server's JPEG: mean %.2f, worst %.0f", name, mean, worst)
		}
	}
}

// A pyramid image renders locally from the level the tiled path picks,
// read through the pixel-buffer service; where the route reads the full
// size only (omero-web-zarr), the server renders it by tiles.
func TestLocalRenderingPyramid(t *testing.T) {
	opts := Options{MaxRenderSize: 1024}
	pb := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif", fsOpts: opts})
	zr := mountTestServer(t, mountConfig{serverOpts: testserver.Options{Zarr: true}, rawProbe: "histology.tif", fsOpts: opts})
	got := readPNG(t, filepath.Join(pb.imageDir(t, "Big slide.svs"), "image.png"))
	if n := pb.server.Requests("render_image_region"); n != 0 {
		t.Errorf("%d region renders in local mode", n)
	}
	if pb.server.Requests("pixel_buffer_tile") == 0 {
		t.Error("no raw pixels read")
	}
	tiles := readPNG(t, filepath.Join(zr.imageDir(t, "Big slide.svs"), "image.png"))
	if zr.server.Requests("render_image_region") == 0 {
		t.Error("zarr route: the pyramid was not rendered by the server")
	}
	if mean, worst := imageDiff(got, tiles); got.Width != 1024 || mean > 4 || worst > 64 {
		t.Errorf("local %d×%d vs server tiles: mean %.2f, worst %.0f", got.Width, got.Height, mean, worst)
	}
}

// On a bare OMERO.web (the OME-TIFF export only), --render auto renders
// on the client only images whose export planes/ has fetched already: the
// export is the whole image, too dear for one plane. --render local
// fetches it.
func TestLocalRenderingOMETiff(t *testing.T) {
	m := mountTestServer(t, mountConfig{rawProbe: "histology.tif"})
	m.server.ResetCounters() // the probe asked render_ome_tiff for its count
	got := readPNG(t, filepath.Join(m.imageDir(t, "mitosis_01.dv"), "image.png"))
	if m.server.Requests("render_image") != 1 || m.server.Requests("render_ome_tiff") != 0 {
		t.Errorf("auto, export not fetched: %d render_image, %d render_ome_tiff requests",
			m.server.Requests("render_image"), m.server.Requests("render_ome_tiff"))
	}
	if want, _ := m.server.RenderExpected(testImage(t, m, "mitosis_01.dv").ID); got.Width != want.Width {
		t.Fatal("server rendering has the wrong size")
	}
	ti := testImage(t, m, "histology.tif")
	checkPlaneFile(t, m, ti, 0, 1, 0)
	m.server.ResetCounters()
	got = readPNG(t, filepath.Join(m.imageDir(t, "histology.tif"), "image.png"))
	want, _ := m.server.RenderExpected(ti.ID)
	if n := m.server.Requests("render_image") + m.server.Requests("render_ome_tiff"); n != 0 || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("auto after planes/: %d requests, exact: %v", n, bytes.Equal(got.Pix, want.Pix))
	}

	l := mountTestServer(t, mountConfig{rawProbe: "histology.tif", fsOpts: Options{Render: RenderLocal}})
	l.server.ResetCounters()
	got = readPNG(t, filepath.Join(l.imageDir(t, "mitosis_01.dv"), "image.png"))
	want, _ = l.server.RenderExpected(testImage(t, l, "mitosis_01.dv").ID)
	if l.server.Requests("render_image") != 0 || l.server.Requests("render_ome_tiff") != 1 || !bytes.Equal(got.Pix, want.Pix) {
		t.Errorf("local: %d render_image, %d render_ome_tiff, exact %v", l.server.Requests("render_image"), l.server.Requests("render_ome_tiff"), bytes.Equal(got.Pix, want.Pix))
	}
}

// Planes read once are kept on local disk: the image's local rendering
// and its zarr chunks then cost the server no request at all.
func TestSpooledPlanesServeRenders(t *testing.T) {
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
	ti := testImage(t, m, "mitosis_01.dv")
	dir := m.imageDir(t, "mitosis_01.dv")
	ents, err := os.ReadDir(filepath.Join(dir, "planes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, err := os.ReadFile(filepath.Join(dir, "planes", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	m.server.ResetCounters()
	got := readPNG(t, filepath.Join(dir, "image.png"))
	chunk, err := os.ReadFile(filepath.Join(dir, "image.ome.zarr", "0", "0", "1", "6", "0", "0"))
	want, _ := testserver.RawRegion(ti, 0, 6, 1, 0, 0, 0, ti.SizeX, ti.SizeY)
	if err != nil || !bytes.Equal(chunk, want) {
		t.Errorf("zarr chunk from the spooled plane: %v", err)
	}
	if n := m.server.Requests("pixel_buffer_tile") + m.server.Requests("render_image") + m.server.Requests("render_image_region"); n != 0 {
		t.Errorf("%d tile or render requests for planes already read", n)
	}
	if exp, _ := m.server.RenderExpected(ti.ID); !bytes.Equal(got.Pix, exp.Pix) {
		t.Error("rendering from spooled planes differs from the stand-in's")
	}
}
