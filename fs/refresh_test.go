package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omerofs/omerofs/render"
)

// TestImageSizeFollowsServer: an image the kernel still holds (its dentry
// cached from an earlier stat) takes the newer listing once --metadata-ttl has
// passed. go-fuse keeps the first node made for an inode number, so a fresh
// node made from the new listing would be dropped and stat would keep
// answering the old size.
func TestImageSizeFollowsServer(t *testing.T) {
	ttl := 500 * time.Millisecond
	m, _ := faultMount(t, mountConfig{fsOpts: Options{MetadataTTL: ttl}})
	names, err := readDirNames(t, m, batchDir)
	if err != nil || len(names) == 0 {
		t.Fatalf("ls %s: %q, %v", batchDir, names, err)
	}
	rel := filepath.Join(batchDir, names[0])
	// An open file keeps the node; its fstat asks the node itself (GETATTR)
	// once the attributes expire, as the kernel does for a cached dentry.
	held, err := os.Open(m.path(rel))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	before, err := held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	id := objectID(t, m, rel)
	img, ok := m.server.Data().Image(id)
	if !ok {
		t.Fatalf("image %d is not on the server", id)
	}
	sizeX, sizeY := img.SizeX/2+1, img.SizeY/2+1
	want := render.PNGSize(render.TargetSize(sizeX, sizeY, m.root.opts.MaxRenderSize))
	if want == before.Size() {
		t.Fatalf("the new size %dx%d gives the same PNG length %d", sizeX, sizeY, want)
	}
	m.server.Data().SetImageSize(id, sizeX, sizeY)
	time.Sleep(2 * ttl)
	eventually(t, "stat size after the change", func() (int64, error) {
		fi, err := os.Stat(m.path(rel))
		if err == nil && fi.Size() != want {
			err = fmt.Errorf("size %d, want %d (was %d)", fi.Size(), want, before.Size())
		}
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	})
	// The lookup above answered the new size; once that answer expires the
	// kernel asks the node, which must say the same.
	time.Sleep(2 * ttl)
	fi, err := held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != want {
		t.Fatalf("fstat of the open file after the attributes expired: size %d, want %d (was %d)", fi.Size(), want, before.Size())
	}
	if fi2, err := os.Stat(m.path(rel)); err != nil || fi2.Size() != want {
		t.Fatalf("stat after the attributes expired: %v, %v; want size %d", fi2, err, want)
	}
}

// TestRenamedImageFollowsServer: an image renamed and resized on the server
// while the kernel holds its node (an open file) shows the new size through
// that node too once --metadata-ttl has passed: the lookup of the new name
// finds the node go-fuse holds for the image rather than making one go-fuse
// would drop.
func TestRenamedImageFollowsServer(t *testing.T) {
	ttl := 500 * time.Millisecond
	m, _ := faultMount(t, mountConfig{fsOpts: Options{MetadataTTL: ttl}})
	names, err := readDirNames(t, m, batchDir)
	if err != nil || len(names) == 0 {
		t.Fatalf("ls %s: %q, %v", batchDir, names, err)
	}
	rel := filepath.Join(batchDir, names[0])
	held, err := os.Open(m.path(rel))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	before, err := held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	id := objectID(t, m, rel)
	img, _ := m.server.Data().Image(id)
	sizeX, sizeY := img.SizeX/2+1, img.SizeY/2+1
	want := render.PNGSize(render.TargetSize(sizeX, sizeY, m.root.opts.MaxRenderSize))
	m.server.Data().SetImageSize(id, sizeX, sizeY)
	m.server.Data().RenameImage(id, "renamed on the server.tif")
	renamed := filepath.Join(batchDir, "renamed on the server.tif.png")
	time.Sleep(2 * ttl)
	eventually(t, "stat of the new name", func() (int64, error) {
		fi, err := os.Stat(m.path(renamed))
		if err == nil && fi.Size() != want {
			err = fmt.Errorf("size %d, want %d (was %d)", fi.Size(), want, before.Size())
		}
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	})
	time.Sleep(2 * ttl)
	fi, err := held.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != want {
		t.Fatalf("fstat of the file opened under the old name: size %d, want %d (was %d)", fi.Size(), want, before.Size())
	}
}
