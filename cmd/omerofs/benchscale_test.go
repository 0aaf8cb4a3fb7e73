package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
)

// TestBenchScale is `make bench-scale` (docs/benchmarks.md): `find` over a
// tree of 1,000 datasets of 1,000 images each, served by the demo server
// as another process, on a fresh mount and again within --metadata-ttl.
// It reports time, requests and the mount's memory; it asserts nothing
// about time and runs only when OMEROFS_BENCH_SCALE is set. Size:
// OMEROFS_BENCH_SCALE_SET=DATASETSxN,W,H,C,TYPE (default
// 1000x1000,64,64,1,uint8).
func TestBenchScale(t *testing.T) {
	if os.Getenv("OMEROFS_BENCH_SCALE") == "" {
		t.Skip("the scale benchmark runs under make bench-scale (OMEROFS_BENCH_SCALE=1)")
	}
	fusetest.RequireFUSE(t)
	set := os.Getenv("OMEROFS_BENCH_SCALE_SET")
	if set == "" {
		set = "1000x1000,64,64,1,uint8"
	}
	var nDatasets, perDataset int
	fmt.Sscanf(strings.Split(set, ",")[0], "%dx%d", &nDatasets, &perDataset)
	want := nDatasets * perDataset

	start := time.Now()
	base, stopServer := startDemoServer(t, 10*time.Minute, set)
	defer stopServer()
	t.Logf("server up with %d images in %v", want, time.Since(start).Round(time.Millisecond))

	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	metricsPort := freePort(t)
	mount, _, unmount := startBenchMount(t, base, dir, "--cache-dir", filepath.Join(t.TempDir(), "cache"),
		"--metrics-addr", "127.0.0.1:"+metricsPort, "--metadata-ttl", "10m")
	defer unmount()

	requests := func() float64 {
		resp, err := http.Get(base + "/testserver/stats?reset=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`"api_list":\s*(\d+)`).FindSubmatch(b)
		if m == nil {
			return 0
		}
		n, _ := strconv.ParseFloat(string(m[1]), 64)
		return n
	}
	requests()
	find := func() (int, time.Duration) {
		start := time.Now()
		out, err := exec.Command("find", filepath.Join(dir, "projects"), "-type", "f").Output()
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		return bytes.Count(out, []byte("\n")), time.Since(start)
	}
	type row struct{ what, figure string }
	var rows []row
	n, cold := find()
	if n != want {
		t.Fatalf("find saw %d files, want %d", n, want)
	}
	rows = append(rows, row{fmt.Sprintf("find of %d files, fresh mount", n), fmt.Sprintf("%v (%.0f files/s), %.0f list requests", cold.Round(time.Millisecond), float64(n)/cold.Seconds(), requests())})
	rss := func(field string) int64 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", mount.Process.Pid))
		m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(b)
		if m == nil {
			return 0
		}
		kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
		return kb << 10
	}
	rows = append(rows, row{"mount's resident memory after it (peak)", fmt.Sprintf("%d MiB (%d MiB), %.0f bytes per file", rss("VmRSS")>>20, rss("VmHWM")>>20, float64(rss("VmRSS"))/float64(n))})
	_, warm := find()
	rows = append(rows, row{"the same find again (listings held, --metadata-ttl 10m)", fmt.Sprintf("%v (%.0f files/s), %.0f list requests", warm.Round(time.Millisecond), float64(n)/warm.Seconds(), requests())})
	ls := filepath.Join(dir, "projects", "Scale", "dataset_0000")
	start = time.Now()
	ents, err := os.ReadDir(ls)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		e.Info()
	}
	rows = append(rows, row{fmt.Sprintf("ls -l of one dataset (%d files) after that", len(ents)), time.Since(start).Round(time.Millisecond).String()})

	var out strings.Builder
	fmt.Fprintf(&out, "\nomerofs scale benchmark — %s, %s, measured on a shared machine under load\n\n| measure | figure |\n|---|---|\n", set, time.Now().UTC().Format(time.RFC3339))
	for _, r := range rows {
		fmt.Fprintf(&out, "| %s | %s |\n", r.what, r.figure)
	}
	fmt.Print(out.String())
	if p := os.Getenv("OMEROFS_BENCH_OUT"); p != "" {
		os.WriteFile(p, []byte(out.String()), 0o644)
	}
}

// benchCopyRows are the benchmark table's read-ahead and disk-cache rows:
// `cp -r` of a folder of 32 small images from a server that takes 200 ms
// per render and serves 5 requests at a time (gunicorn's default workers),
// without and with --read-ahead, then again on a fresh mount that shares
// the second one's disk cache.
func benchCopyRows(t *testing.T) [][4]string {
	const n, latency = 32, 200 * time.Millisecond
	base, stopServer := startDemoServer(t, 10*time.Second, fmt.Sprintf("%d,256,256,1,uint8", n),
		"--latency", latency.String(), "--workers", "5")
	defer stopServer()
	renders := func() int {
		resp, err := http.Get(base + "/testserver/stats?reset=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`"render_image":\s*(\d+)`).FindSubmatch(b)
		if m == nil {
			return 0
		}
		r, _ := strconv.Atoi(string(m[1]))
		return r
	}
	cacheDir := filepath.Join(t.TempDir(), "cache")
	copyOnce := func(args ...string) (time.Duration, int) {
		dir := filepath.Join(t.TempDir(), "mnt")
		os.Mkdir(dir, 0o755)
		_, _, unmount := startBenchMount(t, base, dir, args...)
		defer unmount()
		src := filepath.Join(dir, "projects", "Benchmark", "Benchmark")
		os.ReadDir(src)
		renders()
		start := time.Now()
		if out, err := exec.Command("cp", "-r", src, filepath.Join(t.TempDir(), "copy")).CombinedOutput(); err != nil {
			t.Fatalf("cp -r: %v: %s", err, out)
		}
		return time.Since(start), renders()
	}
	off, offRenders := copyOnce("--read-ahead", "0", "--disk-cache-size", "0")
	on, onRenders := copyOnce("--read-ahead", "4", "--cache-dir", cacheDir)
	again, againRenders := copyOnce("--read-ahead", "4", "--cache-dir", cacheDir)
	return [][4]string{
		{fmt.Sprintf("cp -r of %d images, server %v per render", n, latency),
			fmt.Sprintf("%v with --read-ahead 4 (%d renders)", on.Round(time.Millisecond), onRenders),
			fmt.Sprintf("%v with --read-ahead 0 (%d renders; ratio %.2f)", off.Round(time.Millisecond), offRenders, on.Seconds()/off.Seconds()),
			"ratio ≤ 0.5, renders = images"},
		{"the same cp -r on a new mount sharing the disk cache",
			fmt.Sprintf("%v, %d renders", again.Round(time.Millisecond), againRenders),
			fmt.Sprintf("%v rendering (ratio %.2f)", on.Round(time.Millisecond), again.Seconds()/on.Seconds()), "0 renders"},
	}
}
