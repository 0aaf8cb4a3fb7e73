package fs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

// Benchmarks of the mounted tree (make bench; figures in docs/benchmarks.md).
// They mount for real, like the tests.

// BenchmarkLsL1200 is `ls -l` of the 1,200-image demo dataset on a fresh
// mount (nothing cached): readdir plus a stat of every file. Reported:
// server list requests and renders per listing.
func BenchmarkLsL1200(b *testing.B) {
	var lists, renders int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := mountTestServer(b, mountConfig{})
		dir := m.path("projects", "Cell Biology", "1200 images")
		os.ReadDir(m.path("projects", "Cell Biology")) // the parents are not what is measured
		m.server.ResetCounters()
		b.StartTimer()
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != 1200 {
			b.Fatalf("%d entries, %v", len(ents), err)
		}
		for _, e := range ents {
			if _, err := e.Info(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		lists += m.server.Requests("api_list")
		renders += m.server.Requests("render_image") + m.server.Requests("render_image_region")
		b.StartTimer()
	}
	b.ReportMetric(float64(lists)/float64(b.N), "list-requests/op")
	b.ReportMetric(float64(renders)/float64(b.N), "renders/op")
}

// benchDataset mounts n synthetic 1024×1024, 3-channel uint16 images.
func benchDataset(b *testing.B, n int) (*mounted, []string) {
	m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: testserver.SyntheticDataset(n, 1024, 1024, 3, "uint16")}, cacheBytes: 1 << 30})
	dir := m.path("projects", "Benchmark", "Benchmark")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != n {
		b.Fatalf("%d entries, %v", len(ents), err)
	}
	paths := make([]string, n)
	for i, e := range ents {
		paths[i] = filepath.Join(dir, e.Name())
	}
	return m, paths
}

// BenchmarkColdRead1024 reads a never-read 1024×1024 image: open to last
// byte, including the server's render.
func BenchmarkColdRead1024(b *testing.B) {
	const n = 64
	_, paths := benchDataset(b, n)
	b.SetBytes(int64(1024*1024*3 + 1024))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i >= n {
			b.StopTimer()
			_, paths = benchDataset(b, n)
			b.StartTimer()
		}
		if _, err := os.ReadFile(paths[i%n]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmRead1024 re-reads a cached 1024×1024 image.
func BenchmarkWarmRead1024(b *testing.B) {
	_, paths := benchDataset(b, 1)
	data, err := os.ReadFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := os.ReadFile(paths[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTmpfsRead1024 reads the same bytes from a local file, the
// reference the warm read is judged against.
func BenchmarkTmpfsRead1024(b *testing.B) {
	// A folder of its own on tmpfs (b.TempDir() is on disk), removed after.
	dir, err := os.MkdirTemp("/dev/shm", "omerofs-bench")
	if err != nil {
		dir = b.TempDir()
	} else {
		defer os.RemoveAll(dir)
	}
	f := filepath.Join(dir, "image.png")
	if err := os.WriteFile(f, make([]byte, 1024*1024*3+12393), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1024*1024*3 + 12393)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
}
