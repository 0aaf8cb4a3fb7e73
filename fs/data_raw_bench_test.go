package fs

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

// Benchmarks of the raw view (figures in docs/benchmarks.md).

// rawBenchData is one 1024×1024 image, 10 Z, 3 channels, uint16.
func rawBenchData() (*testserver.Data, int64) {
	d := testserver.SyntheticDataset(1, 1024, 1024, 3, "uint16")
	id := d.ImageIDs(func(testserver.Image) bool { return true })[0]
	d.Images[id].SizeZ = 10
	d.Images[id].Defaults.Z = 5
	return d, id
}

// BenchmarkPlanesPixelBuffer reads all 30 planes of the image through
// planes/ on a fresh mount (pixel-buffer route): what `cp -r planes/`
// costs, TIFF framing and FUSE included.
func BenchmarkPlanesPixelBuffer(b *testing.B) {
	size, _ := tiff.PlaneSize(1024, 1024, tiff.Uint16)
	b.SetBytes(30 * size)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d, id := rawBenchData()
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d, PixelBuffer: true}, rawProbe: "image_00000.tif"})
		dir := m.path("data", "images", strconv.FormatInt(id, 10), "planes")
		b.StartTimer()
		ents, err := filepath.Glob(filepath.Join(dir, "*.tif")) // planes/ also holds rois.json
		if err != nil || len(ents) != 30 {
			b.Fatalf("%d planes, %v", len(ents), err)
		}
		for _, e := range ents {
			if data, err := os.ReadFile(e); err != nil || int64(len(data)) != size {
				b.Fatalf("%s: %d bytes, %v", e, len(data), err)
			}
		}
	}
}

// BenchmarkTilesDirect fetches the same 30 planes as whole-plane tiles
// straight from the pixel-buffer service (what a script would do), for
// comparison with BenchmarkPlanesPixelBuffer.
func BenchmarkTilesDirect(b *testing.B) {
	b.SetBytes(30 * 1024 * 1024 * 2)
	d, id := rawBenchData()
	m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d, PixelBuffer: true}})
	conn := m.root.client.Conn()
	info, err := conn.ProbePixelBuffer(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for z := 0; z < 10; z++ {
			for c := 0; c < 3; c++ {
				data, err := conn.PixelBufferTile(context.Background(), info, gateway.TileRequest{ImageID: id, Z: z, C: c,
					W: 1024, H: 1024, Resolution: -1, BytesPerPixel: 2})
				if err != nil || len(data) != 1024*1024*2 {
					b.Fatalf("tile z=%d c=%d: %d bytes, %v", z, c, len(data), err)
				}
			}
		}
	}
}

// benchRender renders the image's PNG (1024×1024) again and again, past
// the PNG cache: locally from the raw planes the reader keeps (read once
// before the timer), or by the server (render_image round trip, JPEG
// decode).
func benchRender(b *testing.B, mode string) {
	d, id := rawBenchData()
	m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d, PixelBuffer: true}, rawProbe: "image_00000.tif",
		fsOpts: Options{Render: mode}})
	img, err := m.root.client.Image(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := render.RenderPNG(context.Background(), m.root.renderer(img), 1024, 1024); err != nil {
		b.Fatal(err)
	}
	m.server.ResetCounters()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := render.RenderPNG(context.Background(), m.root.renderer(img), 1024, 1024); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(m.server.Requests("render_image"))/float64(b.N), "render-requests/op")
	b.ReportMetric(float64(m.server.Requests("pixel_buffer_tile"))/float64(b.N), "tile-requests/op")
	b.ReportMetric(float64(m.server.TotalRequests())/float64(b.N), "all-requests/op") // imgData: the settings, each render
}

func BenchmarkRenderLocalCached(b *testing.B) { benchRender(b, RenderLocal) }
func BenchmarkRenderServer(b *testing.B)      { benchRender(b, RenderServer) }
