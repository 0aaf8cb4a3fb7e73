package fs

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/fs/thumbnails"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/testserver"
)

// What real OMERO.web servers do and the plain demo stand-in did not
// (docs/omero-web.md), through a real mount: tiles cut to max_tile_length,
// pyramids with 4× steps and levels a pixel off what zoomLevelScaling says,
// gunicorn's 4094-byte request line against a 64-channel image, pyramids
// still being built, get_thumbnails' cached size and nulls, and the matrix
// of OMERO.web versions.

// fidelityMount mounts the demo data plus the fidelity images.
func fidelityMount(t *testing.T, mc mountConfig) (*mounted, map[string]int64) {
	t.Helper()
	if mc.serverOpts.Data == nil {
		mc.serverOpts.Data = testserver.DemoData()
	}
	ids := testserver.AddFidelityImages(mc.serverOpts.Data)
	return mountTestServer(t, mc), ids
}

func fidelityPath(m *mounted, image string) string {
	return m.path("projects", testserver.FidelityProject, testserver.FidelityDataset, image+".png")
}

// readPNG reads a file whole, checks its length against stat and decodes it.
func readPNG(t *testing.T, path string) *render.Image {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if int64(len(data)) != st.Size() {
		t.Fatalf("%s: read %d bytes, stat said %d", path, len(data), st.Size())
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return render.FromImage(img)
}

// closeTo compares a read image with the server's rendering.
func closeTo(t *testing.T, what string, got, want *render.Image) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height {
		t.Fatalf("%s: %d×%d, want %d×%d", what, got.Width, got.Height, want.Width, want.Height)
	}
	var sum, worst float64
	for i := range got.Pix {
		d := absf(float64(got.Pix[i]) - float64(want.Pix[i]))
		sum += d
		worst = max(worst, d)
	}
	if mean := sum / float64(len(got.Pix)); mean > 4 || worst > 64 {
		t.Errorf("%s differs from the server's rendering: mean %.2f, worst %.0f", what, mean, worst)
	}
}

// TestFidelityImagesReadThroughAMount: a 64-channel image against a server
// that enforces gunicorn's request line, and a 4×-step pyramid with 2048
// native tiles at max_tile_length 1024.
func TestFidelityImagesReadThroughAMount(t *testing.T) {
	m, ids := fidelityMount(t, mountConfig{
		serverOpts: testserver.Options{MaxTileLength: 1024, LimitRequestLine: 4094},
		// 1024 keeps the stand-in's work small; the pyramid's level 1
		// (2875×2057, 3×3 tiles cut from 2048 to 1024) is then the one read.
		fsOpts: Options{MaxRenderSize: 1024},
	})
	// The client's short query renders exactly what the stored settings do:
	// its PNG holds the pixels of the server's own JPEG, asked for without
	// any c/m/p/maps.
	mx := readPNG(t, fidelityPath(m, testserver.MultiplexedImage))
	key := m.server.NewSessionKey("demo")
	resp, err := http.Get(fmt.Sprintf("%s/webgateway/render_image/%d/?q=1&bsession=%s", m.http.URL, ids[testserver.MultiplexedImage], key))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := jpeg.Decode(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := render.FromImage(ref); !bytes.Equal(mx.Pix, want.Pix) {
		t.Error("the 64-channel image is not the server's rendering of its stored settings")
	}
	if n := m.server.Requests("request_line_too_large"); n != 0 {
		t.Errorf("%d requests refused for their request line", n)
	}

	py := readPNG(t, fidelityPath(m, testserver.Pyramid4xImage))
	w, h := render.TargetSize(11500, 8230, 1024)
	want, err := m.server.RenderExpectedAt(ids[testserver.Pyramid4xImage], w, h)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "the 4×-step pyramid", py, want)
	if n := m.server.Requests("render_image_region"); n != 9 {
		t.Errorf("%d tiles, want the 3×3 of level 1 at 1024", n)
	}
}

// TestWebVersionMatrix runs the mount's core checks against each OMERO.web
// release the stand-in knows: the tree, stat sizes equal to the bytes read,
// one read per pixel type, and pyramids (before 5.31 with level sizes from
// zoomLevelScaling only).
func TestWebVersionMatrix(t *testing.T) {
	for _, v := range testserver.WebVersions() {
		t.Run(v, func(t *testing.T) {
			m, ids := fidelityMount(t, mountConfig{
				serverOpts: testserver.Options{WebVersion: v},
				fsOpts:     Options{MaxRenderSize: 1024},
			})
			ents, err := os.ReadDir(m.dir)
			if err != nil {
				t.Fatalf("top level: %v", err)
			}
			top := map[string]bool{}
			for _, e := range ents {
				top[e.Name()] = true
			}
			for _, name := range []string{"projects", "datasets", "orphaned", "screens", "plates", "images"} {
				if !top[name] {
					t.Fatalf("top level has no %s: %d entries", name, len(ents))
				}
			}
			mitosis := m.path("projects", "Cell Biology", "Mitosis")
			expect(t, mitosis, "beads_float.ome.tiff.png", "histology.tif.png", "membrane.czi.png", "mitosis_01.dv.png", "mitosis_02.dv.png")
			// One image per pixel type: uint16, uint8, int16, float.
			for _, name := range []string{"mitosis_01.dv", "histology.tif", "membrane.czi", "beads_float.ome.tiff"} {
				img := readPNG(t, filepath.Join(mitosis, name+".png"))
				want, err := m.server.RenderExpected(idsNamed(m.server.Data(), "image", name)[0])
				if err != nil {
					t.Fatal(err)
				}
				closeTo(t, name, img, want)
			}
			py := readPNG(t, fidelityPath(m, testserver.Pyramid4xImage))
			want, err := m.server.RenderExpectedAt(ids[testserver.Pyramid4xImage], py.Width, py.Height)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "the 4×-step pyramid", py, want)
			big := readPNG(t, m.path("orphaned", "Big slide.svs.png"))
			want, err = m.server.RenderExpectedAt(idsNamed(m.server.Data(), "image", "Big slide.svs")[0], big.Width, big.Height)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "Big slide.svs", big, want)
			if _, err := os.Stat(m.path("images", "987654321.png")); !errors.Is(err, syscall.ENOENT) {
				t.Errorf("a missing image: %v, want ENOENT", err)
			}
		})
	}
}

// logLines records what the mount logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Levels() []logrus.Level { return logrus.AllLevels }
func (l *logLines) Fire(e *logrus.Entry) error {
	s, _ := e.String()
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	return nil
}

func (l *logLines) matching(level logrus.Level, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, "level="+level.String()) && strings.Contains(s, substr) {
			n++
		}
	}
	return n
}

func recordingLogger() (*logrus.Logger, *logLines) {
	log := logrus.New()
	log.SetLevel(logrus.InfoLevel)
	log.SetOutput(discard{})
	lines := &logLines{}
	log.AddHook(lines)
	return log, lines
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestPendingPyramidIsEAGAIN: while the server builds a pyramid the read
// fails with EAGAIN (not EIO) after retrying within the request timeout,
// the log says why, and once the pyramid is there the file reads.
func TestPendingPyramidIsEAGAIN(t *testing.T) {
	log, lines := recordingLogger()
	m, ids := fidelityMount(t, mountConfig{timeout: 2 * time.Second, fsOpts: Options{MaxRenderSize: 256, Logger: log}})
	id := ids[testserver.Pyramid4xImage]
	path := fidelityPath(m, testserver.Pyramid4xImage)
	// Pending for one answer: the client waits out the backOff and reads.
	m.server.Data().SetPyramidPending(ids[testserver.MultiplexedImage], 1, time.Time{}, 200)
	readPNG(t, fidelityPath(m, testserver.MultiplexedImage))
	if n := m.server.Requests("imgData"); n != 2 {
		t.Errorf("%d imgData requests, want 2 (pending, then the answer)", n)
	}

	m.server.Data().SetPyramidPending(id, 0, time.Now().Add(time.Hour), 300)
	err := rawRead(path)
	if !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("read while the pyramid is built: %v, want EAGAIN", err)
	}
	if n := m.server.Requests("imgData"); n < 2+3 {
		t.Errorf("%d imgData requests: the backOff was not waited out and retried", n)
	}
	if lines.matching(logrus.ErrorLevel, "still building") == 0 {
		t.Errorf("no log line says the server is still building the pyramid: %q", lines.lines)
	}
	m.server.Data().SetPyramidPending(id, 0, time.Time{}, 0)
	// Not remembered as a failure for long: within the cache's short
	// negative time the file reads.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := rawRead(path)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			t.Fatalf("read after the pyramid was built: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rawRead reads the start of a file with read(2) itself: Go's os.File
// registers a FUSE file with its poller and so retries EAGAIN until the
// read works, as a blocking read would.
func rawRead(path string) error {
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	_, err = syscall.Read(fd, buf)
	return err
}

// TestThumbnailsAreOMEROsCachedSize: thumbnails are asked at the size
// OMERO's thumbnail service keeps (no render per image), and an image the
// server gives null for simply gets no thumbnail, quietly.
func TestThumbnailsAreOMEROsCachedSize(t *testing.T) {
	log, lines := recordingLogger()
	cacheDir := t.TempDir()
	data := testserver.DemoData()
	m, ids := fidelityMount(t, mountConfig{serverOpts: testserver.Options{Data: data}, fsOpts: Options{ThumbnailDir: cacheDir, Logger: log}})
	data.SetPyramidPending(ids[testserver.Pyramid4xImage], 0, time.Now().Add(time.Hour), 1000)
	dir := m.path("projects", testserver.FidelityProject, testserver.FidelityDataset)
	if _, err := os.ReadDir(dir); err != nil {
		t.Fatal(err)
	}
	if n := m.server.Requests("thumbnail_rendered"); n != 0 {
		t.Errorf("%d thumbnails rendered for the request; want all from OMERO's cache", n)
	}
	if n := m.server.Requests("thumbnail_cached"); n != 1 {
		t.Errorf("%d cached thumbnails served, want 1", n)
	}
	if _, err := os.Stat(thumbnails.Path(cacheDir, fidelityPath(m, testserver.MultiplexedImage))); err != nil {
		t.Errorf("no thumbnail for the readable image: %v", err)
	}
	if _, err := os.Stat(thumbnails.Path(cacheDir, fidelityPath(m, testserver.Pyramid4xImage))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a thumbnail for the image the server gave null for: %v", err)
	}
	for _, lvl := range []logrus.Level{logrus.WarnLevel, logrus.ErrorLevel} {
		if n := lines.matching(lvl, "thumbnail"); n != 0 {
			t.Errorf("%d %s lines about thumbnails: %q", n, lvl, lines.lines)
		}
	}
}
