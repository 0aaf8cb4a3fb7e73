package fs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/render/ijroi"
	"github.com/omerofs/omerofs/wrappers"
)

// roiTestDir stands in for the planes/ folder that is to show the ROI
// files: a folder of one image's RoiSet.zip and rois.json, through the
// helpers planes/ will call.
type roiTestDir struct {
	gofs.Inode
	root *Root
	img  wrappers.ImageObject
}

func (d *roiTestDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	entries := []fuse.DirEntry{{Name: roisJSONName, Mode: syscall.S_IFREG}}
	if ok, err := d.root.hasRoiSet(ctx, d.img); err != nil {
		return nil, syscall.EIO
	} else if ok {
		entries = append(entries, fuse.DirEntry{Name: ijroi.SetName, Mode: syscall.S_IFREG})
	}
	return gofs.NewListDirStream(entries), 0
}

func (d *roiTestDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	switch name {
	case ijroi.SetName:
		return d.root.lookupRoiSet(ctx, &d.Inode, d.img, out)
	case roisJSONName:
		return d.root.lookupROIFile(ctx, &d.Inode, d.img, name, out)
	}
	return nil, syscall.ENOENT
}

// roiFolder mounts a roiTestDir of the named demo image at /<folder>.
func roiFolder(t *testing.T, m *mounted, image, folder string) string {
	t.Helper()
	ctx := context.Background()
	img, err := m.root.client.Image(ctx, idsNamed(m.server.Data(), "image", image)[0])
	if err != nil {
		t.Fatal(err)
	}
	d := &roiTestDir{root: m.root, img: img}
	m.root.AddChild(folder, m.root.NewPersistentInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR}), false)
	return m.path(folder)
}

// TestROIFiles reads rois.json and RoiSet.zip through the mount (sizes
// exact from the first stat, whose ROI listing the reads then use), and
// has ImageJ's reader's view checked by the wrappers' and ijroi's tests.
func TestROIFiles(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	folder := roiFolder(t, m, "mitosis_01.dv", "roitest")
	p := filepath.Join(folder, "rois.json")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	m.server.ResetCounters()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != st.Size() || st.Mode().Perm() != 0o444 {
		t.Errorf("rois.json: stat %d bytes mode %v, read %d", st.Size(), st.Mode(), len(b))
	}
	if n := m.server.TotalRequests(); n != 0 {
		t.Errorf("reading rois.json after its stat took %d more requests", n)
	}
	expect(t, folder, "rois.json", "RoiSet.zip")
	set, err := os.ReadFile(filepath.Join(folder, "RoiSet.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(folder, "RoiSet.zip")); st == nil || st.Size() != int64(len(set)) {
		t.Errorf("RoiSet.zip: stat %v, read %d bytes", st, len(set))
	}
	if zr, err := zip.NewReader(bytes.NewReader(set), int64(len(set))); err != nil || len(zr.File) != 10 {
		t.Errorf("RoiSet.zip read through the mount: %v", err)
	}
	var rois []struct {
		ID     int64            `json:"id"`
		Name   string           `json:"name"`
		Shapes []map[string]any `json:"shapes"`
	}
	if err := json.Unmarshal(b, &rois); err != nil || len(rois) != 8 || rois[0].Name != "Nucleus" || len(rois[0].Shapes) != 2 {
		t.Fatalf("rois.json: %v\n%s", err, b)
	}
	none := roiFolder(t, m, "histology.tif", "roitest-none")
	if b, err := os.ReadFile(filepath.Join(none, "rois.json")); err != nil || string(b) != "[]\n" {
		t.Errorf("rois.json of an image without ROIs: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(none, "RoiSet.zip")); !os.IsNotExist(err) {
		t.Errorf("RoiSet.zip of an image without ROIs: %v", err)
	}
	if got := names(t, none); len(got) != 1 || !got["rois.json"] {
		t.Errorf("listing of an image without ROIs: %v", got)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err == nil {
		t.Error("rois.json is writable")
	}

	// RoiSet.zip, for planes/: from the same listing, a stored ZIP of one
	// .roi per shape; none for an image without ROIs.
	ctx := context.Background()
	id := idsNamed(m.server.Data(), "image", "mitosis_01.dv")[0]
	img, err := m.root.client.Image(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := m.root.hasRoiSet(ctx, img); !ok || err != nil {
		t.Fatalf("hasRoiSet: %v, %v", ok, err)
	}
	files, _ := m.root.roiFilesOf(ctx, img)
	zr, err := zip.NewReader(bytes.NewReader(files.set), int64(len(files.set)))
	if err != nil || len(zr.File) != 10 || files.shapes != 10 {
		t.Fatalf("RoiSet.zip: %v, %d entries", err, len(zr.File))
	}
	direct, _, _ := img.(*wrappers.Image).RoiSet(ctx)
	if !bytes.Equal(direct, files.set) {
		t.Error("the mount's RoiSet.zip differs from the wrapper's")
	}
	hist, _ := m.root.client.Image(ctx, idsNamed(m.server.Data(), "image", "histology.tif")[0])
	if ok, err := m.root.hasRoiSet(ctx, hist); ok || err != nil {
		t.Errorf("hasRoiSet of an image without ROIs: %v, %v", ok, err)
	}
}
