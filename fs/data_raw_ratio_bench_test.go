package fs

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

// Side-by-side benchmarks of the raw view against a script that fetches
// the same pixels itself (figures in docs/benchmarks.md). Each iteration
// does both, one after the other, on the same stand-in, so the machine's
// load falls on both alike; the mount is fresh each time (setup untimed),
// so nothing it fetched before is kept.

// BenchmarkOMETiffPlanesRatio: on a bare OMERO.web (the OME-TIFF export
// is the only raw route), every plane of a 1024×1024, 10 Z, 3 channel
// uint16 image read out of planes/ as cp does, against one render_ome_tiff
// download to a local file and every page's rows read from it.
func BenchmarkOMETiffPlanesRatio(b *testing.B) {
	size, _ := tiff.PlaneSize(1024, 1024, tiff.Uint16)
	buf := make([]byte, cpBufSize)
	rows := make([]byte, 1024*1024*2)
	var direct, mount, directCPU, mountCPU time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		d, id := rawBenchData()
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d}, rawProbe: "image_00000.tif"})
		dir := m.path("data", "images", strconv.FormatInt(id, 10), "planes")
		ents, err := filepath.Glob(filepath.Join(dir, "*.tif")) // planes/ also holds rois.json
		if err != nil || len(ents) != 30 {
			b.Fatalf("%d planes, %v", len(ents), err)
		}
		ctx := context.Background()
		start, cpu := time.Now(), cpuTime()
		f, err := os.CreateTemp(b.TempDir(), "export-*.ome.tiff")
		if err != nil {
			b.Fatal(err)
		}
		n, err := m.root.client.Conn().OMETiff(ctx, id, f)
		if err != nil {
			b.Fatal(err)
		}
		r, err := tiff.NewReader(f, n)
		if err != nil || len(r.Pages) != 30 {
			b.Fatalf("export: %v", err)
		}
		for p := range r.Pages {
			if err := r.ReadRows(p, 0, 1024, rows); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
		direct, directCPU = direct+time.Since(start), directCPU+cpuTime()-cpu
		m.server.ResetCounters()
		start, cpu = time.Now(), cpuTime()
		for _, e := range ents {
			if n, err := cpFile(e, buf); err != nil || n != size {
				b.Fatalf("%s: %d bytes, %v", e, n, err)
			}
		}
		mount, mountCPU = mount+time.Since(start), mountCPU+cpuTime()-cpu
		if n := m.server.Requests("render_ome_tiff"); n != 1 {
			b.Fatalf("the mount downloaded the export %d times", n)
		}
	}
	mb := float64(30*1024*1024*2*b.N) / 1e6
	b.ReportMetric(mb/direct.Seconds(), "direct-MB/s")
	b.ReportMetric(mb/mount.Seconds(), "mount-MB/s")
	b.ReportMetric(mount.Seconds()/direct.Seconds(), "mount/direct-time")
	b.ReportMetric(float64(directCPU.Milliseconds())/float64(b.N), "direct-cpu-ms/op")
	b.ReportMetric(float64(mountCPU.Milliseconds())/float64(b.N), "mount-cpu-ms/op")
}

// zarrBenchRows are the rows of level-0 chunks read of the 20000×15000
// pyramid: 4 of its 15, all 20 chunks of each, channel 0 (80 MB of the
// level's 900): enough to compare, short enough for this machine.
const zarrBenchRows = 4

// BenchmarkZarrChunksRatio: level 0 of the demo's 20000×15000 pyramid
// ("Big slide.svs", uint8, through the pixel-buffer service) read out of
// image.ome.zarr/ chunk by chunk in dask's order (row by row of chunks),
// each file as cp does, against the same regions fetched as pixel-buffer
// tiles, the requests the mount makes for them.
func BenchmarkZarrChunksRatio(b *testing.B) {
	buf := make([]byte, cpBufSize)
	var direct, mount, directCPU, mountCPU time.Duration
	var chunkBytes int64
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{PixelBuffer: true}, rawProbe: "histology.tif"})
		ti := testImage(b, m, "Big slide.svs")
		dir := filepath.Join(m.imageDir(b, "Big slide.svs"), "image.ome.zarr", "0", "0", "0", "0")
		if _, err := os.Stat(filepath.Join(m.imageDir(b, "Big slide.svs"), "image.ome.zarr", "0", ".zarray")); err != nil {
			b.Fatal(err)
		}
		conn := m.root.client.Conn()
		info, err := conn.ProbePixelBuffer(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		const chunk = 1024
		cols := (ti.SizeX + chunk - 1) / chunk
		start, cpu := time.Now(), cpuTime()
		for y := 0; y < zarrBenchRows; y++ {
			for x := 0; x < cols; x++ {
				w, h := min(chunk, ti.SizeX-x*chunk), min(chunk, ti.SizeY-y*chunk)
				data, err := conn.PixelBufferTile(context.Background(), info, gateway.TileRequest{ImageID: ti.ID,
					X: x * chunk, Y: y * chunk, W: w, H: h, Resolution: -1, BytesPerPixel: 1})
				if err != nil || len(data) != w*h {
					b.Fatalf("tile %d,%d: %d bytes, %v", x, y, len(data), err)
				}
			}
		}
		direct, directCPU = direct+time.Since(start), directCPU+cpuTime()-cpu
		m.server.ResetCounters()
		start, cpu = time.Now(), cpuTime()
		for y := 0; y < zarrBenchRows; y++ {
			for x := 0; x < cols; x++ {
				n, err := cpFile(filepath.Join(dir, strconv.Itoa(y), strconv.Itoa(x)), buf)
				if err != nil || n != chunk*chunk {
					b.Fatalf("chunk %d/%d: %d bytes, %v", y, x, n, err)
				}
				chunkBytes += n
			}
		}
		mount, mountCPU = mount+time.Since(start), mountCPU+cpuTime()-cpu
		b.ReportMetric(float64(m.server.Requests("pixel_buffer_tile"))/float64(zarrBenchRows*cols), "mount-tiles/chunk")
	}
	mb := float64(chunkBytes) / 1e6
	b.ReportMetric(mb/direct.Seconds(), "direct-MB/s")
	b.ReportMetric(mb/mount.Seconds(), "mount-MB/s")
	b.ReportMetric(mount.Seconds()/direct.Seconds(), "mount/direct-time")
	b.ReportMetric(float64(directCPU.Milliseconds())/float64(b.N), "direct-cpu-ms/op")
	b.ReportMetric(float64(mountCPU.Milliseconds())/float64(b.N), "mount-cpu-ms/op")
}

// BenchmarkPyramidPlaneMemory reads one plane of a 50000×30000 uint16
// pyramid (the demo's big slide made larger; pixel-buffer route) out of
// planes/ as cp does, a 3 GB file, and reports the peak of the Go heap in
// use (runtime.MemStats.HeapInuse, sampled every 20 ms) above what it was
// before the read. The stand-in runs in the same process: its tiles are in
// the figure too. The mount's image cache is 256 MiB.
func BenchmarkPyramidPlaneMemory(b *testing.B) {
	const sizeX, sizeY = 50000, 30000
	size, _ := tiff.PlaneSize(sizeX, sizeY, tiff.Uint16)
	buf := make([]byte, cpBufSize)
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		d := testserver.DemoData()
		big := d.Images[d.ImageNamed(b, "Big slide.svs")]
		big.SizeX, big.SizeY, big.SizeC, big.PixelsType = sizeX, sizeY, 1, "uint16"
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d, PixelBuffer: true}, rawProbe: "histology.tif",
			cacheBytes: 256 << 20})
		p := filepath.Join(m.path("data", "images", strconv.FormatInt(big.ID, 10)), "planes", "t1_z1_c1.tif")
		if st, err := os.Stat(p); err != nil || st.Size() != size {
			b.Fatalf("stat %s: %v", p, err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapInuse, ms.HeapInuse
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					var s runtime.MemStats
					runtime.ReadMemStats(&s)
					peak = max(peak, s.HeapInuse)
				}
			}
		}()
		start := time.Now()
		b.StartTimer()
		n, err := cpFile(p, buf)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil || n != size {
			b.Fatalf("read: %d bytes, %v", n, err)
		}
		_, kept, budget := m.root.raw.routes.KeptBytes()
		b.ReportMetric(float64(peak-base)/(1<<20), "heap-peak-MiB")
		b.ReportMetric(float64(kept)/(1<<20), "kept-rows-peak-MiB")
		b.ReportMetric(float64(budget)/(1<<20), "kept-rows-budget-MiB")
		b.ReportMetric(float64(size)/1e6/time.Since(start).Seconds(), "MB/s")
		b.ReportMetric(float64(m.server.Requests("pixel_buffer_tile")), "tiles")
	}
}
