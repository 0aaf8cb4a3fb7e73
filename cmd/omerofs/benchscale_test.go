package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omerofs/omerofs/gateway"
)

// TestBenchScale is `make bench-scale` (docs/benchmarks.md): `find` over a
// tree of 1,000 datasets of 1,000 images each, served by the demo server
// as another process, on a fresh mount and again within --metadata-ttl.
// It reports time, requests and the mount's memory; it asserts nothing
// about time and runs only when OMEROFS_BENCH_SCALE is set. Size:
// OMEROFS_BENCH_SCALE_SET=DATASETSxN,W,H,C,TYPE (default
// 1000x1000,64,64,1,uint8).
func TestBenchScale(t *testing.T) {
	set := benchSet(t, "OMEROFS_BENCH_SCALE", "make bench-scale", "OMEROFS_BENCH_SCALE_SET", "1000x1000,64,64,1,uint8")
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
	// The baseline: the same list pages, in the same order, fetched directly
	// with the mount's concurrency, before the mount exists.
	directPages, direct := directPaging(t, base, gateway.DefaultMaxRequests)
	t.Logf("direct paging: %d pages in %v", directPages, direct.Round(time.Millisecond))

	mount, _, unmount := startBenchMount(t, base, dir, "--cache-size", fmt.Sprintf("%dMiB", scaleCacheMiB), "--cache-dir", filepath.Join(t.TempDir(), "cache"),
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
	rows = append(rows, row{fmt.Sprintf("the same %d list pages fetched directly (Go HTTP client, same order, %d at a time)", directPages, gateway.DefaultMaxRequests),
		fmt.Sprintf("%v; find / direct = %.2f (target ≤ 1.3)", direct.Round(time.Millisecond), cold.Seconds()/direct.Seconds())})
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
	bound := int64(scaleCacheMiB+128) << 20
	rows = append(rows, row{fmt.Sprintf("peak RSS (VmHWM) against --cache-size %d MiB + 128 MiB", scaleCacheMiB),
		fmt.Sprintf("%d MiB of %d MiB: %s", rss("VmHWM")>>20, bound>>20, map[bool]string{true: "met", false: fmt.Sprintf("missed by %d MiB", (rss("VmHWM")-bound)>>20)}[rss("VmHWM") <= bound])})
	heapProfile(t, omerofsBinary(t), "http://127.0.0.1:"+metricsPort+"/debug/pprof/heap")
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

// scaleCacheMiB is the scale benchmark's --cache-size (the default).
const scaleCacheMiB = 512

// directPaging fetches what the fresh find lists, page by page, with a
// plain Go HTTP client logged in as demo: the projects, the first project's
// datasets, then each dataset's images in server order, workers datasets
// at a time (the mount's requests in flight), each dataset's pages one
// after the other. Every body is decoded (ids and the count), as the mount
// must. It returns the pages fetched and the time they took.
func directPaging(t *testing.T, base string, workers int) (int, time.Duration) {
	ctx := context.Background()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = workers // as the mount's client
	tap := &cookieTap{next: tr}
	conn, err := gateway.Connect(ctx, gateway.Config{BaseURL: base, Username: "demo", Password: "demo", HTTPClient: &http.Client{Transport: tap}})
	if err != nil {
		t.Fatalf("direct paging: log in: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Projects(ctx); err != nil { // a request that carries the session cookie
		t.Fatalf("direct paging: %v", err)
	}
	cookie := tap.cookie()
	hc := &http.Client{Transport: tr}
	var pages atomic.Int64
	type page struct {
		Data []struct {
			ID int64 `json:"@id"`
		} `json:"data"`
		Meta struct {
			TotalCount int `json:"totalCount"`
		} `json:"meta"`
	}
	get := func(path string, offset int) (*page, error) {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v0/%s?offset=%d&limit=500", base, path, offset), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Cookie", cookie)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", path, resp.Status)
		}
		var p page
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		pages.Add(1)
		return &p, nil
	}
	all := func(path string) ([]int64, error) {
		var ids []int64
		for off, total := 0, 1; off < total; {
			p, err := get(path, off)
			if err != nil {
				return nil, err
			}
			for _, o := range p.Data {
				ids = append(ids, o.ID)
			}
			total = p.Meta.TotalCount
			if len(p.Data) == 0 {
				break
			}
			off += len(p.Data)
		}
		return ids, nil
	}
	start := time.Now()
	projects, err := all("m/projects/")
	if err != nil || len(projects) == 0 {
		t.Fatalf("direct paging: projects %v, %v", projects, err)
	}
	datasets, err := all(fmt.Sprintf("m/projects/%d/datasets/", projects[0]))
	if err != nil {
		t.Fatalf("direct paging: %v", err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(datasets); i = int(next.Add(1)) - 1 {
				if _, err := all(fmt.Sprintf("m/datasets/%d/images/", datasets[i])); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("direct paging: %v", err)
	}
	return int(pages.Load()), took
}

// cookieTap remembers the session cookie the gateway's login set, so that a
// plain client can send it.
type cookieTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	last string
}

func (c *cookieTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if v := req.Header.Get("Cookie"); v != "" {
		c.mu.Lock()
		c.last = v
		c.mu.Unlock()
	}
	return c.next.RoundTrip(req)
}

func (c *cookieTap) cookie() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// heapProfile saves the mount's heap profile next to OMEROFS_BENCH_OUT
// (bench-scale-heap.pprof) and logs its top entries.
func heapProfile(t *testing.T, bin, url string) {
	resp, err := http.Get(url + "?gc=1")
	if err != nil {
		t.Logf("heap profile: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := filepath.Join(t.TempDir(), "heap.pprof")
	if p := os.Getenv("OMEROFS_BENCH_OUT"); p != "" {
		out = filepath.Join(filepath.Dir(p), "bench-scale-heap.pprof")
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Logf("heap profile: %v", err)
		return
	}
	top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount", "25", "-sample_index", "inuse_space", bin, out).CombinedOutput()
	t.Logf("heap profile of the mount after the fresh find (%s): %v\n%s", out, err, top)
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
