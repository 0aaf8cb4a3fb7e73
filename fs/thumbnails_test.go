package fs

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/thumbnails"
)

// TestThumbnailsFillTheCache lists a folder with thumbnails on and checks
// that the standard's cache gets a thumbnail per image, named by the MD5 of
// the file's URI, carrying Thumb::URI and a Thumb::MTime equal to the
// file's mtime, made from OMERO's thumbnails, without any full render.
func TestThumbnailsFillTheCache(t *testing.T) {
	cacheDir := t.TempDir()
	m := mountTestServer(t, mountConfig{fsOpts: Options{ThumbnailDir: cacheDir}})
	dir := m.path("projects", "Cell Biology", "Odd names")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The listing waited for the thumbnails: they are there now, before a
	// file manager would look for them.
	for _, e := range ents {
		abs := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(thumbnails.Path(cacheDir, abs))
		if err != nil {
			t.Fatalf("no thumbnail for %q right after the listing: %v", e.Name(), err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("thumbnail of %q: %v", e.Name(), err)
		}
		if b := img.Bounds(); max(b.Dx(), b.Dy()) > 128 {
			t.Errorf("thumbnail %v larger than 128", b)
		}
		st, _ := os.Stat(abs)
		if !bytes.Contains(data, []byte("Thumb::URI\x00"+thumbnails.URI(abs))) || !bytes.Contains(data, []byte("Thumb::MTime\x00"+strconv.FormatInt(st.ModTime().Unix(), 10))) {
			t.Errorf("thumbnail of %q lacks the URI or the file's mtime", e.Name())
		}
	}
	if n := m.server.Requests("render_image") + m.server.Requests("render_image_region"); n != 0 {
		t.Errorf("thumbnails cost %d full renders", n)
	}
	if n := m.server.Requests("get_thumbnails"); n != 1 {
		t.Errorf("%d get_thumbnails requests for %d images, want one batch", n, len(ents))
	}
	// Listing again makes nothing new: the thumbnails are up to date.
	os.ReadDir(dir)
	if n := m.server.Requests("get_thumbnails"); n != 1 {
		t.Errorf("a second listing asked for thumbnails again (%d)", n)
	}
	// A big folder: 1,200 images in 24 batches of 50. The listing waits a
	// bounded time for them (more under the race detector than that), so
	// poll until the rest are written in the background.
	big := m.path("projects", "Cell Biology", "1200 images")
	bigEnts, err := os.ReadDir(big)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, e := range bigEnts {
		for {
			_, err := os.Stat(thumbnails.Path(cacheDir, filepath.Join(big, e.Name())))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no thumbnail for %q after 2 minutes", e.Name())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := m.server.Requests("get_thumbnails"); n != 1+24 {
		t.Errorf("%d get_thumbnails requests, want 1 + 24", n)
	}
}
