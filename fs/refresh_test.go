package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omerofs/omerofs/render"
)

// heldImage is an image of batchDir held open by the test (so the kernel
// keeps its node), and the size it is about to be given on the server.
type heldImage struct {
	m      *mounted
	rel    string
	id     int64
	held   *os.File
	before int64 // the file's size before the change
	want   int64 // its PNG size after SetImageSize(id, sizeX, sizeY)
	sizeX  int
	sizeY  int
}

// holdImage mounts with a --metadata-ttl of ttl, opens the first image of
// batchDir and picks a new size for it whose PNG length differs.
func holdImage(t *testing.T, ttl time.Duration) *heldImage {
	t.Helper()
	m, _ := faultMount(t, mountConfig{fsOpts: Options{MetadataTTL: ttl}})
	names, err := readDirNames(t, m, batchDir)
	if err != nil || len(names) == 0 {
		t.Fatalf("ls %s: %q, %v", batchDir, names, err)
	}
	h := &heldImage{m: m, rel: filepath.Join(batchDir, names[0])}
	// An open file keeps the node; its fstat asks the node itself (GETATTR)
	// once the attributes expire, as the kernel does for a cached dentry.
	if h.held, err = os.Open(m.path(h.rel)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.held.Close() })
	fi, err := h.held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	h.before = fi.Size()
	h.id = objectID(t, m, h.rel)
	img, ok := m.server.Data().Image(h.id)
	if !ok {
		t.Fatalf("image %d is not on the server", h.id)
	}
	h.sizeX, h.sizeY = img.SizeX/2+1, img.SizeY/2+1
	h.want = render.PNGSize(render.TargetSize(h.sizeX, h.sizeY, m.root.opts.MaxRenderSize))
	if h.want == h.before {
		t.Fatalf("the new size %dx%d gives the same PNG length %d", h.sizeX, h.sizeY, h.want)
	}
	return h
}

// eventuallySized waits until stat of rel answers the new size.
func (h *heldImage) eventuallySized(t *testing.T, what, rel string) {
	t.Helper()
	eventually(t, what, func() (int64, error) {
		fi, err := os.Stat(h.m.path(rel))
		if err == nil && fi.Size() != h.want {
			err = fmt.Errorf("size %d, want %d (was %d)", fi.Size(), h.want, h.before)
		}
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	})
}

// heldSize is the size fstat of the held file answers.
func (h *heldImage) heldSize(t *testing.T) int64 {
	t.Helper()
	fi, err := h.held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestImageSizeFollowsServer: an image the kernel still holds (its dentry
// cached from an earlier stat) takes the newer listing once --metadata-ttl has
// passed. go-fuse keeps the first node made for an inode number, so a fresh
// node made from the new listing would be dropped and stat would keep
// answering the old size.
func TestImageSizeFollowsServer(t *testing.T) {
	ttl := 500 * time.Millisecond
	h := holdImage(t, ttl)
	h.m.server.Data().SetImageSize(h.id, h.sizeX, h.sizeY)
	time.Sleep(2 * ttl)
	h.eventuallySized(t, "stat size after the change", h.rel)
	// The lookup above answered the new size; once that answer expires the
	// kernel asks the node, which must say the same.
	time.Sleep(2 * ttl)
	if got := h.heldSize(t); got != h.want {
		t.Fatalf("fstat of the open file after the attributes expired: size %d, want %d (was %d)", got, h.want, h.before)
	}
	if fi2, err := os.Stat(h.m.path(h.rel)); err != nil || fi2.Size() != h.want {
		t.Fatalf("stat after the attributes expired: %v, %v; want size %d", fi2, err, h.want)
	}
}

// TestRenamedImageFollowsServer: an image renamed and resized on the server
// while the kernel holds its node (an open file) shows the new size through
// that node too once --metadata-ttl has passed: the lookup of the new name
// finds the node go-fuse holds for the image rather than making one go-fuse
// would drop.
func TestRenamedImageFollowsServer(t *testing.T) {
	ttl := 500 * time.Millisecond
	h := holdImage(t, ttl)
	h.m.server.Data().SetImageSize(h.id, h.sizeX, h.sizeY)
	h.m.server.Data().RenameImage(h.id, "renamed on the server.tif")
	time.Sleep(2 * ttl)
	h.eventuallySized(t, "stat of the new name", filepath.Join(batchDir, "renamed on the server.tif.png"))
	time.Sleep(2 * ttl)
	if got := h.heldSize(t); got != h.want {
		t.Fatalf("fstat of the file opened under the old name: size %d, want %d (was %d)", got, h.want, h.before)
	}
}
