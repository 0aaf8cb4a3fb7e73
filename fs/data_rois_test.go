package fs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/omerofs/omerofs/wrappers"
)

// TestROIFiles reads rois.json through the mount (its size exact from the
// first stat, whose ROI listing the read then uses) and checks the RoiSet.zip
// that the planes folder is to show.
func TestROIFiles(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	folder := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv")
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
	expect(t, folder, "rois.json", "metadata.json")
	var rois []struct {
		ID     int64            `json:"id"`
		Name   string           `json:"name"`
		Shapes []map[string]any `json:"shapes"`
	}
	if err := json.Unmarshal(b, &rois); err != nil || len(rois) != 8 || rois[0].Name != "Nucleus" || len(rois[0].Shapes) != 2 {
		t.Fatalf("rois.json: %v\n%s", err, b)
	}
	none := filepath.Join(m.path("data", "projects", "Cell Biology", "Mitosis", "histology.tif"), "rois.json")
	if b, err := os.ReadFile(none); err != nil || string(b) != "[]\n" {
		t.Errorf("rois.json of an image without ROIs: %q, %v", b, err)
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
