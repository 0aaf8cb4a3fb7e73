package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/render"
)

// TestBenchTable is `make bench`'s harness (docs/benchmarks.md): it runs the demo
// server with a synthetic data set and omerofs as separate processes on
// loopback, measures each figure next to its reference in the same run, and
// prints one table. It asserts nothing about time; it runs only when
// OMEROFS_BENCH is set. Size: OMEROFS_BENCH_SET=N,W,H,C,TYPE (default
// 10000,1024,1024,3,uint16).
func TestBenchTable(t *testing.T) {
	set := benchSet(t, "OMEROFS_BENCH", "make bench", "OMEROFS_BENCH_SET", "10000,1024,1024,3,uint16")
	nImages, _ := strconv.Atoi(strings.Split(set, ",")[0])
	base, stopServer := startDemoServer(t, 10*time.Second, set)
	defer stopServer()

	const cacheSize = 256 << 20
	const maxRequests = 8
	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	metricsPort := freePort(t)
	// No reading ahead here (the cold reads below go in listing order) and
	// a fresh disk cache; benchCopyRows measures both.
	mount, _, unmount := startBenchMount(t, base, dir, "--cache-size", "256MiB", "--max-requests", strconv.Itoa(maxRequests),
		"--read-ahead", "0", "--cache-dir", filepath.Join(t.TempDir(), "cache"),
		"--metrics-addr", "127.0.0.1:"+metricsPort)
	defer unmount()
	ds := filepath.Join(dir, "projects", "Benchmark", "Benchmark")
	os.ReadDir(filepath.Join(dir, "projects", "Benchmark"))

	type row struct{ what, figure, reference, target string }
	var rows []row
	stats := func(reset bool) (map[string]float64, float64) {
		u := base + "/testserver/stats"
		if reset {
			u += "?reset=1"
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct {
			Requests      map[string]float64
			MaxConcurrent float64
		}
		json.NewDecoder(resp.Body).Decode(&s)
		return s.Requests, s.MaxConcurrent
	}
	stats(true)

	// 1. ls -l of the dataset vs the same pages with a plain HTTP client.
	start := time.Now()
	ents, err := os.ReadDir(ds)
	if err != nil || len(ents) != nImages {
		t.Fatalf("%d entries, %v", len(ents), err)
	}
	for _, e := range ents {
		if _, err := e.Info(); err != nil {
			t.Fatal(err)
		}
	}
	lsTime := time.Since(start)
	req, _ := stats(true)
	hc := login(t, base)
	start = time.Now()
	pages := 0
	for off := 0; off < nImages; off += 500 {
		resp, err := hc.Get(fmt.Sprintf("%s/api/v0/m/datasets/%d/images/?offset=%d&limit=500", base, datasetIDOf(t, hc, base), off))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		pages++
	}
	direct := time.Since(start)
	stats(true)
	rows = append(rows, row{fmt.Sprintf("ls -l of %d images", nImages), fmt.Sprintf("%v, %.0f list requests, %.0f renders", lsTime.Round(time.Millisecond), req["api_list"], req["render_image"]+req["render_image_region"]),
		fmt.Sprintf("%v for the %d pages directly (ratio %.2f)", direct.Round(time.Millisecond), pages, lsTime.Seconds()/direct.Seconds()), "≤ 21 requests, 0 renders, ratio ≤ 1.3"})

	// 2. Cold read of one image vs its JPEG fetched and decoded directly.
	paths := make([]string, len(ents))
	for i, e := range ents {
		paths[i] = filepath.Join(ds, e.Name())
	}
	var coldSum, refSum time.Duration
	const coldN = 5
	for i := 0; i < coldN; i++ {
		start = time.Now()
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		coldSum += time.Since(start)
		id := imageIDOf(t, paths[i])
		start = time.Now()
		resp, err := hc.Get(fmt.Sprintf("%s/webgateway/render_image/%d/?q=1", base, id))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		refSum += time.Since(start)
		_ = data
	}
	cold, ref := coldSum/coldN, refSum/coldN
	// The client's own share: decode + PNG encode of one such image.
	resp, _ := hc.Get(fmt.Sprintf("%s/webgateway/render_image/%d/?q=1", base, imageIDOf(t, paths[0])))
	jpg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	start = time.Now()
	dec, _ := jpeg.Decode(bytes.NewReader(jpg))
	decode := time.Since(start)
	rgb := render.FromImage(dec)
	buf := make([]byte, 0, render.PNGSize(rgb.Width, rgb.Height))
	start = time.Now()
	const encN = 20
	for i := 0; i < encN; i++ {
		buf = render.AppendPNG(buf[:0], rgb)
	}
	encode := time.Since(start) / encN
	srvTime := ref - decode
	rest := cold - srvTime - decode - encode // imgData (the engine's open) and the FUSE round trips
	rows = append(rows, row{"cold read of one image (open → last byte)",
		fmt.Sprintf("%v = server %v + decode %v + PNG encode %v + imgData and FUSE %v", cold.Round(time.Millisecond), srvTime.Round(time.Millisecond), decode.Round(time.Millisecond), encode.Round(time.Millisecond), rest.Round(time.Millisecond)),
		fmt.Sprintf("%v for render_image + decode directly (ratio %.2f)", ref.Round(time.Millisecond), cold.Seconds()/ref.Seconds()), "ratio ≤ 1.25"})

	// 3. Warm re-read vs tmpfs.
	data, _ := os.ReadFile(paths[0])
	const warmN = 50
	start = time.Now()
	for i := 0; i < warmN; i++ {
		os.ReadFile(paths[0])
	}
	warm := float64(len(data)*warmN) / time.Since(start).Seconds()
	// A folder of its own on tmpfs (t.TempDir() is on disk), removed after.
	shmDir, err := os.MkdirTemp("/dev/shm", "omerofs-bench")
	if err != nil {
		shmDir = t.TempDir()
	} else {
		defer os.RemoveAll(shmDir)
	}
	shm := filepath.Join(shmDir, "image.png")
	os.WriteFile(shm, data, 0o644)
	start = time.Now()
	for i := 0; i < warmN; i++ {
		os.ReadFile(shm)
	}
	tmpfs := float64(len(data)*warmN) / time.Since(start).Seconds()
	rows = append(rows, row{"warm re-read of a cached image", fmt.Sprintf("%.0f MB/s", warm/1e6), fmt.Sprintf("%.0f MB/s from tmpfs (ratio %.2f)", tmpfs/1e6, warm/tmpfs), "ratio ≥ 0.5"})

	// 4. 16 processes reading 200 distinct uncached images.
	stats(true)
	const procs, distinct = 16, 200
	todo := make(chan string, distinct)
	for _, p := range paths[coldN : coldN+distinct] {
		todo <- p
	}
	close(todo)
	var wg sync.WaitGroup
	start = time.Now()
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range todo {
				exec.Command("cat", p).Run()
			}
		}()
	}
	wg.Wait()
	par := time.Since(start)
	req, peak := stats(false)
	rows = append(rows, row{"16 processes, 200 uncached images", fmt.Sprintf("%.1f images/s, %.0f MB/s", distinct/par.Seconds(), float64(distinct*len(data))/par.Seconds()/1e6),
		fmt.Sprintf("peak %.0f concurrent server requests (--max-requests %d), %.0f renders", peak, maxRequests, req["render_image"]), "peak ≤ max-requests, renders = 200"})

	// 5. Memory: read 3× --cache-size, then the mount's peak RSS.
	need := 3 * cacheSize / len(data)
	todo2 := make(chan string, need)
	for _, p := range paths[coldN+distinct : min(len(paths), coldN+distinct+need)] {
		todo2 <- p
	}
	close(todo2)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range todo2 {
				os.ReadFile(p)
			}
		}()
	}
	wg.Wait()
	rss := vmHWM(t, mount.Process.Pid)
	rows = append(rows, row{fmt.Sprintf("peak RSS after reading %d images (3× cache)", need), fmt.Sprintf("%d MiB", rss>>20), fmt.Sprintf("cache %d MiB + 64 MiB = %d MiB", cacheSize>>20, (cacheSize>>20)+64), "≤ cache + 64 MiB"})

	// 6. Encoder and decoder costs.
	rows = append(rows, row{"PNG encode (stored blocks), one core", fmt.Sprintf("%.2f GB/s", float64(len(rgb.Pix))/encode.Seconds()/1e9), "", "≥ 1 GB/s"})
	rows = append(rows, row{"JPEG decode of one image", decode.Round(time.Millisecond).String(), fmt.Sprintf("%.0f%% of the direct fetch+decode", 100*decode.Seconds()/ref.Seconds()), ""})

	metrics, _ := http.Get("http://127.0.0.1:" + metricsPort + "/metrics")
	if metrics != nil {
		b, _ := io.ReadAll(metrics.Body)
		metrics.Body.Close()
		if m := regexp.MustCompile(`omerofs_cache_hits_total (\d+)`).FindSubmatch(b); m != nil {
			rows = append(rows, row{"cache hits (from --metrics-addr)", string(m[1]), "", ""})
		}
	}

	for _, r := range benchCopyRows(t) {
		rows = append(rows, row{r[0], r[1], r[2], r[3]})
	}

	var out strings.Builder
	fmt.Fprintf(&out, "\nomerofs benchmark — data set %s, %s\n\n", set, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&out, "| measure | omerofs | reference (same run) | target |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&out, "| %s | %s | %s | %s |\n", r.what, r.figure, r.reference, r.target)
	}
	fmt.Print(out.String())
	if p := os.Getenv("OMEROFS_BENCH_OUT"); p != "" {
		os.WriteFile(p, []byte(out.String()), 0o644)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// login returns a plain HTTP client logged in as demo, for the references.
func login(t *testing.T, base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(base + "/api/v0/token/")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Data string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v0/login/", strings.NewReader(url.Values{"username": {"demo"}, "password": {"demo"}, "server": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRFToken", tok.Data)
	resp, err = hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	return hc
}

func datasetIDOf(t *testing.T, hc *http.Client, base string) int64 {
	resp, err := hc.Get(base + "/api/v0/m/datasets/?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Data []struct {
			ID int64 `json:"@id"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&v)
	if len(v.Data) == 0 {
		t.Fatal("no dataset")
	}
	return v.Data[0].ID
}

// imageIDOf reads an image file's id from its xattr.
func imageIDOf(t *testing.T, path string) int64 {
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(path, "user.omero.id", buf)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(string(buf[:n]), 10, 64)
	return id
}

// vmHWM is a process's peak resident set size in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no VmHWM")
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}
