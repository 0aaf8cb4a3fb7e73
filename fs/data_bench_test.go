package fs

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

// Benchmarks of the data view's downloads (make bench; figures in
// docs/benchmarks.md): copying an original through the mount as cp does,
// against downloading it straight from the stand-in with net/http.

// bigOriginalSize is the original the copy benchmarks move: large enough
// that the download, not the mount's set-up, is what is timed.
const bigOriginalSize = 64 << 20

// cpBufSize is the size of cp's reads (coreutils' io_blksize: 128 KiB).
const cpBufSize = 128 << 10

// bigOriginalData is the demo with mitosis_01.dv's original file replaced
// by one of size bytes (incompressible, made once so that the server does
// not make them again for every request). It returns the data, the
// image's id and the file's id.
func bigOriginalData(tb testing.TB, size int) (*testserver.Data, int64, int64) {
	tb.Helper()
	d := testserver.DemoData()
	img := idsNamed(d, "image", "mitosis_01.dv")[0]
	files := d.FilesOf(img)
	if len(files) != 1 {
		tb.Fatalf("mitosis_01.dv has %d original files, want 1", len(files))
	}
	content := make([]byte, size)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range content {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		content[i] = byte(x >> 24)
	}
	f := d.Files[files[0].ID]
	f.Content, f.Size = content, int64(size)
	return d, img, f.ID
}

// cpFile reads the file at p to its end in cp's read size and returns the
// number of bytes read.
func cpFile(p string, buf []byte) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// BenchmarkOriginalCopyMount copies a 64 MiB original out of the mount on
// a fresh mount each time (nothing spooled, nothing in the page cache):
// open, sequential 128 KiB reads, close. The listing of original/ (paths
// and a size probe) is done before the timer starts.
func BenchmarkOriginalCopyMount(b *testing.B) {
	buf := make([]byte, cpBufSize)
	b.SetBytes(bigOriginalSize)
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		d, img, _ := bigOriginalData(b, bigOriginalSize)
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d}})
		p := m.path("data", "images", strconv.FormatInt(img, 10), "original", "mitosis_01.dv")
		if st, err := os.Stat(p); err != nil || st.Size() != bigOriginalSize {
			b.Fatalf("stat %s: %v", p, err)
		}
		m.server.ResetCounters()
		b.StartTimer()
		n, err := cpFile(p, buf)
		b.StopTimer()
		if err != nil || n != bigOriginalSize {
			b.Fatalf("copied %d bytes: %v", n, err)
		}
		if k := m.server.Requests("download_original_file"); k != 1 {
			b.Fatalf("%d downloads for one copy", k)
		}
	}
}

// BenchmarkOriginalCopyDirect downloads the same original from the same
// stand-in with net/http (a logged-in session, the body read in 128 KiB
// pieces): the reference the mount is judged against.
func BenchmarkOriginalCopyDirect(b *testing.B) {
	d, _, fileID := bigOriginalData(b, bigOriginalSize)
	hs := testserver.Start(b, testserver.Options{Data: d})
	hc := loggedInClient(b, hs.URL, "demo")
	u := hs.URL + "/webclient/download_original_file/" + strconv.FormatInt(fileID, 10) + "/"
	buf := make([]byte, cpBufSize)
	b.SetBytes(bigOriginalSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := hc.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, onlyReader{resp.Body}, buf)
		resp.Body.Close()
		if err != nil || n != bigOriginalSize || resp.StatusCode != http.StatusOK {
			b.Fatalf("%d: %d bytes, %v", resp.StatusCode, n, err)
		}
	}
}

// onlyReader hides a body's WriterTo, so that io.CopyBuffer reads it in
// the buffer's size as cp does.
type onlyReader struct{ io.Reader }

// loggedInClient is an http.Client with a session of user on the stand-in
// at base (the password is the user name, as in the demo).
func loggedInClient(tb testing.TB, base, user string) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(base + "/api/v0/token/")
	if err != nil {
		tb.Fatal(err)
	}
	var tok struct{ Data string }
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v0/login/",
		strings.NewReader(url.Values{"username": {user}, "password": {user}, "server": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRFToken", tok.Data)
	req.Header.Set("Referer", base+"/")
	resp, err = hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("login: %d", resp.StatusCode)
	}
	return hc
}

// BenchmarkOriginalCopyRatio times the two copies above alternately in
// each iteration (a direct download, then a copy out of a fresh mount of
// the same server), so that the load of a shared machine falls on both
// alike, and reports their speeds and the mount's share of the direct
// speed (target: at least 0.8).
func BenchmarkOriginalCopyRatio(b *testing.B) {
	d, img, fileID := bigOriginalData(b, bigOriginalSize)
	buf := make([]byte, cpBufSize)
	var direct, mount, spooled, directCPU, mountCPU time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		m := mountTestServer(b, mountConfig{serverOpts: testserver.Options{Data: d}})
		p := m.path("data", "images", strconv.FormatInt(img, 10), "original", "mitosis_01.dv")
		if st, err := os.Stat(p); err != nil || st.Size() != bigOriginalSize {
			b.Fatalf("stat %s: %v", p, err)
		}
		hc := loggedInClient(b, m.http.URL, "demo")
		u := m.http.URL + "/webclient/download_original_file/" + strconv.FormatInt(fileID, 10) + "/"
		start, cpu := time.Now(), cpuTime()
		resp, err := hc.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, onlyReader{resp.Body}, buf)
		resp.Body.Close()
		if err != nil || n != bigOriginalSize {
			b.Fatalf("direct: %d bytes, %v", n, err)
		}
		direct, directCPU = direct+time.Since(start), directCPU+cpuTime()-cpu
		start, cpu = time.Now(), cpuTime()
		if n, err := cpFile(p, buf); err != nil || n != bigOriginalSize {
			b.Fatalf("mount: %d bytes, %v", n, err)
		}
		mount, mountCPU = mount+time.Since(start), mountCPU+cpuTime()-cpu
		// Again, from the spool: the kernel's copy dropped, the download
		// done. The ceiling of the mount's read path on this machine.
		if f, err := os.Open(p); err == nil {
			dropPageCache(f) // soak_test.go
			f.Close()
		}
		start = time.Now()
		if n, err := cpFile(p, buf); err != nil || n != bigOriginalSize {
			b.Fatalf("mount, spooled: %d bytes, %v", n, err)
		}
		spooled += time.Since(start)
	}
	mb := float64(bigOriginalSize) * float64(b.N) / 1e6
	b.ReportMetric(mb/direct.Seconds(), "direct-MB/s")
	b.ReportMetric(mb/mount.Seconds(), "mount-MB/s")
	b.ReportMetric(mb/spooled.Seconds(), "spooled-MB/s")
	b.ReportMetric(direct.Seconds()/mount.Seconds(), "mount/direct")
	// CPU time of this process (server, client and the mount's server,
	// all in it): less noisy than wall time on a shared machine.
	b.ReportMetric(float64(directCPU.Milliseconds())/float64(b.N), "direct-cpu-ms/op")
	b.ReportMetric(float64(mountCPU.Milliseconds())/float64(b.N), "mount-cpu-ms/op")
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
