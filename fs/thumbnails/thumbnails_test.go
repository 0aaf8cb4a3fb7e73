package thumbnails

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/omerofs/omerofs/gateway"
)

func TestURI(t *testing.T) {
	cases := map[string]string{
		"/tmp/m/a b.png":           "file:///tmp/m/a%20b.png",
		"/tmp/m/ü.png":             "file:///tmp/m/%C3%BC.png",
		"/tmp/m/x [12].png":        "file:///tmp/m/x%20%5B12%5D.png",
		"/tmp/m/a&b=c@d~e!f'g.png": "file:///tmp/m/a&b=c@d~e!f'g.png",
		"/tmp/m/50%;#?.png":        "file:///tmp/m/50%25%3B%23%3F.png",
	}
	for in, want := range cases {
		if got := URI(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

// fakeSource answers get_thumbnails with a 128×96 JPEG per id whose grey
// level is the id, and records each request's ids. block, when set, holds
// every request until its context ends.
type fakeSource struct {
	mu       sync.Mutex
	requests [][]int64
	block    bool
	bad      map[int64]bool // ids answered with bytes that are no JPEG
	ended    chan struct{}  // closed by a blocked request once its context ends
}

func (f *fakeSource) Thumbnails(ctx context.Context, ids []int64, size int) (map[int64][]byte, error) {
	f.mu.Lock()
	f.requests = append(f.requests, append([]int64(nil), ids...))
	f.mu.Unlock()
	if len(ids) > gateway.MaxThumbnailBatch {
		return nil, fmt.Errorf("%d ids in one request", len(ids))
	}
	if f.block {
		<-ctx.Done()
		close(f.ended)
		return nil, ctx.Err()
	}
	out := map[int64][]byte{}
	for _, id := range ids {
		if f.bad[id] {
			out[id] = []byte("not a JPEG")
			continue
		}
		img := image.NewGray(image.Rect(0, 0, size, size*3/4))
		for i := range img.Pix {
			img.Pix[i] = uint8(id)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, nil); err != nil {
			return nil, err
		}
		out[id] = buf.Bytes()
	}
	return out, nil
}

func (f *fakeSource) calls() [][]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]int64(nil), f.requests...)
}

// waitForRequest returns once a request is in flight.
func (f *fakeSource) waitForRequest(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(f.calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no request within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}

func newWriter(t *testing.T, src Source, wait time.Duration) (*Writer, string, string) {
	t.Helper()
	cacheDir, mnt := t.TempDir(), "/mnt/omero"
	w, err := New(context.Background(), Options{CacheDir: cacheDir, Mountpoint: mnt, Source: src, Wait: wait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, cacheDir, mnt
}

func folder(n int, mtime time.Time) []Image {
	ims := make([]Image, n)
	for i := range ims {
		ims[i] = Image{Path: fmt.Sprintf("projects/P/D/image %d.png", i+1), ID: int64(i + 1), MTime: mtime}
	}
	return ims
}

// TestFolderWritesTheStandardsThumbnails checks the files a listing leaves
// in the cache: one per image, named by the MD5 of its URI, a PNG of at
// most Size pixels carrying Thumb::URI and Thumb::MTime, fetched in batches
// of at most gateway.MaxThumbnailBatch ids, and not fetched again while
// up to date.
func TestFolderWritesTheStandardsThumbnails(t *testing.T) {
	src := &fakeSource{}
	w, cacheDir, mnt := newWriter(t, src, time.Minute)
	mtime := time.Unix(1700000000, 0)
	ims := folder(2*gateway.MaxThumbnailBatch+20, mtime)
	w.Folder(ims)
	calls := src.calls()
	if len(calls) != 3 {
		t.Fatalf("%d requests for %d images, want 3", len(calls), len(ims))
	}
	seen := map[int64]bool{}
	for _, c := range calls {
		for _, id := range c {
			seen[id] = true
		}
	}
	if len(seen) != len(ims) {
		t.Errorf("%d distinct ids asked for, want %d", len(seen), len(ims))
	}
	for _, im := range ims {
		abs := filepath.Join(mnt, im.Path)
		data, err := os.ReadFile(Path(cacheDir, abs))
		if err != nil {
			t.Fatalf("no thumbnail for %s: %v", im.Path, err)
		}
		dec, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", im.Path, err)
		}
		if b := dec.Bounds(); b.Dx() != Size || b.Dy() != Size*3/4 {
			t.Errorf("%s: %v", im.Path, b)
		}
		if g := color.GrayModel.Convert(dec.At(5, 5)).(color.Gray).Y; int(g) < int(uint8(im.ID))-3 || int(g) > int(uint8(im.ID))+3 {
			t.Errorf("%s shows grey %d, want ≈%d: another image's thumbnail", im.Path, g, uint8(im.ID))
		}
		if !bytes.Contains(data, []byte("Thumb::URI\x00"+URI(abs))) || !bytes.Contains(data, []byte("Thumb::MTime\x001700000000")) {
			t.Errorf("%s lacks Thumb::URI or Thumb::MTime", im.Path)
		}
	}
	w.Folder(ims)
	if n := len(src.calls()); n != 3 {
		t.Errorf("up-to-date thumbnails fetched again (%d requests)", n)
	}
	// A newer MTime makes the thumbnail stale.
	ims[0].MTime = mtime.Add(time.Hour)
	w.Folder(ims)
	if c := src.calls(); len(c) != 4 || len(c[3]) != 1 || c[3][0] != ims[0].ID {
		t.Errorf("after a change of mtime: requests %v", c[3:])
	}
	if tmp, _ := filepath.Glob(filepath.Join(cacheDir, "normal", ".omerofs-*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestBadJPEGWritesNothing: an undecodable answer is no thumbnail, and no
// temporary file is left behind.
func TestBadJPEGWritesNothing(t *testing.T) {
	src := &fakeSource{bad: map[int64]bool{1: true}}
	w, cacheDir, mnt := newWriter(t, src, time.Minute)
	ims := folder(1, time.Unix(1, 0))
	w.Folder(ims)
	if _, err := os.Stat(Path(cacheDir, filepath.Join(mnt, ims[0].Path))); err == nil {
		t.Error("a thumbnail was written from bytes that are no JPEG")
	}
	ents, _ := os.ReadDir(filepath.Join(cacheDir, "normal"))
	if len(ents) != 0 {
		t.Errorf("left in the cache: %v", ents)
	}
}

// TestCloseStopsAndWaits: Folder returns after its wait with the batch
// still in flight; Close cancels that batch and returns only once it has
// ended; a Folder after Close asks for nothing.
func TestCloseStopsAndWaits(t *testing.T) {
	src := &fakeSource{block: true, ended: make(chan struct{})}
	w, _, _ := newWriter(t, src, 10*time.Millisecond)
	w.Folder(folder(3, time.Unix(1, 0)))
	src.waitForRequest(t)
	select {
	case <-src.ended:
		t.Fatal("the batch ended before Close")
	default:
	}
	w.Close()
	select {
	case <-src.ended:
	default:
		t.Fatal("Close returned with the batch still in flight")
	}
	w.Folder(folder(5, time.Unix(2, 0)))
	if n := len(src.calls()); n != 1 {
		t.Errorf("%d requests, want only the one before Close", n)
	}
}

// TestTheMountsContextEndsTheWork: ending the context New was given (the
// mount going away) cancels the batch in flight.
func TestTheMountsContextEndsTheWork(t *testing.T) {
	src := &fakeSource{block: true, ended: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := New(ctx, Options{CacheDir: t.TempDir(), Mountpoint: "/m", Source: src, Wait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Folder(folder(1, time.Unix(1, 0)))
	src.waitForRequest(t)
	cancel()
	select {
	case <-src.ended:
	case <-time.After(time.Minute):
		t.Fatal("the batch went on after the mount's context ended")
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	for _, o := range []Options{
		{Mountpoint: "/m", Source: &fakeSource{}},
		{CacheDir: t.TempDir(), Mountpoint: "relative", Source: &fakeSource{}},
		{CacheDir: t.TempDir(), Mountpoint: "/m"},
	} {
		if _, err := New(context.Background(), o); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
}
