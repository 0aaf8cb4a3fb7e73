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
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

// idsNamed returns the ids of the images (or projects) with a name (""
// for none), lowest first, from the server's own data.
func idsNamed(d *testserver.Data, kind, name string) []int64 {
	match := func(n *string) bool { return (n == nil && name == "") || (n != nil && *n == name) }
	switch kind {
	case "image":
		return d.ImageIDs(func(im testserver.Image) bool { return match(im.Name) })
	case "project":
		return d.ProjectIDs(func(p testserver.Project) bool { return match(p.Name) })
	}
	return nil
}

func names(t *testing.T, dir string) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	m := map[string]bool{}
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

func expect(t *testing.T, dir string, want ...string) {
	t.Helper()
	got := names(t, dir)
	for _, w := range want {
		if !got[w] {
			var have []string
			for n := range got {
				have = append(have, n)
			}
			sort.Strings(have)
			t.Errorf("%s: no %q; have %q", dir, w, have)
		}
	}
}

// TestTreeNames walks the demo tree and checks every naming edge case of
// the demo data against design.md's rules, with ids from the server.
func TestTreeNames(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	d := m.server.Data()
	cells := idsNamed(d, "image", "cells.tif")
	expect(t, m.path("projects", "Cell Biology", "Duplicates"),
		"cells.tif.png", fmt.Sprintf("cells.tif (id %d).png", cells[1]), fmt.Sprintf("cells.tif (id %d).png", cells[2]), "CELLS.tif.png")

	noName := idsNamed(d, "image", "")
	empty := d.ImageIDs(func(im testserver.Image) bool { return im.Name != nil && *im.Name == "" })
	dot, dotdot := idsNamed(d, "image", "."), idsNamed(d, "image", "..")
	long := idsNamed(d, "image", strings.Repeat("très long nom d'image ", 16))
	odd := m.path("projects", "Cell Biology", "Odd names")
	expect(t, odd, "a∕b∕c.tif.png", "ünïcødé 細胞 🔬.tif.png", "  leading and trailing spaces  .png", "tab\there.png",
		fmt.Sprintf("Image %d.png", noName[0]), fmt.Sprintf("Image %d.png", empty[0]),
		fmt.Sprintf("Image %d.png", dot[0]), fmt.Sprintf("Image %d.png", dotdot[0]))
	var longNames []string
	for n := range names(t, odd) {
		if len(n) > 200 {
			longNames = append(longNames, n)
		}
		if len(n) > 255 {
			t.Errorf("name of %d bytes: %q", len(n), n)
		}
	}
	sort.Strings(longNames)
	if len(longNames) != 2 || !strings.HasSuffix(longNames[0], fmt.Sprintf(" (id %d).png", long[1])) || !strings.HasSuffix(longNames[1], ".png") {
		t.Errorf("long names: %q", longNames)
	}

	same := idsNamed(d, "project", "Same name")
	nameless := idsNamed(d, "project", "")
	expect(t, m.path("projects"), "Cell Biology", "Screening archive", "Facility QC", "Same name",
		fmt.Sprintf("Same name (id %d)", same[1]), fmt.Sprintf("Project %d", nameless[0]))
	if got := len(names(t, m.path("projects", "Screening archive"))); got != 30 {
		t.Errorf("Screening archive has %d datasets, want 30", got)
	}
	// A dataset linked into two projects shows in both, with the same content.
	a := names(t, m.path("projects", "Cell Biology", "Shared dataset"))
	b := names(t, m.path("projects", "Same name", "Shared dataset"))
	if !a["shared.tif.png"] || !b["shared.tif.png"] {
		t.Errorf("shared dataset: %v / %v", a, b)
	}
	expect(t, m.path("datasets"), "Unfiled", "∕")
	orphans := idsNamed(d, "image", "orphan.tif")
	expect(t, m.path("orphaned"), "orphan.tif.png", fmt.Sprintf("orphan.tif (id %d).png", orphans[1]), "stack.tif.png", "Big slide.svs.png")
	if got := len(names(t, m.path("projects", "Cell Biology", "1200 images"))); got != 1200 {
		t.Errorf("1200 images: %d entries", got)
	}

	wells := names(t, m.path("screens", "HCS Screen", "Plate 1"))
	if len(wells) != 96 || !wells["A1"] || !wells["H12"] || !wells["D7"] {
		t.Errorf("plate wells: %d (A1 %v, H12 %v)", len(wells), wells["A1"], wells["H12"])
	}
	expect(t, m.path("screens", "HCS Screen", "Plate 1", "B3"), "Plate 1 [Well B3, Field 1].png", "Plate 1 [Well B3, Field 2].png")
	expect(t, m.path("plates", "Loose plate"), "1-1", "1-3", "2-1", "2-3")
}

func TestImagesByID(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	if got := names(t, m.path("images")); len(got) != 0 {
		t.Errorf("images/ lists %d entries; it must list none", len(got))
	}
	id := idsNamed(m.server.Data(), "image", "stack.tif")[0]
	st, err := os.Stat(m.path("images", fmt.Sprintf("%d.png", id)))
	if err != nil {
		t.Fatal(err)
	}
	viaTree, err := os.Stat(m.path("orphaned", "stack.tif.png"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != viaTree.Size() || st.Sys().(*syscall.Stat_t).Ino != viaTree.Sys().(*syscall.Stat_t).Ino {
		t.Errorf("images/%d.png and orphaned/stack.tif.png differ in size or inode", id)
	}
	before := m.server.TotalRequests()
	for _, bad := range []string{"abc.png", "-1.png", "0.png", "99999999999999999999.png", "007.png", "1", strings.Repeat("7", 300) + ".png", "tab\t.png"} {
		if _, err := os.Stat(m.path("images", bad)); !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENAMETOOLONG) {
			t.Errorf("images/%q: %v, want ENOENT", bad, err)
		}
	}
	if n := m.server.TotalRequests() - before; n != 0 {
		t.Errorf("names that cannot be ids made %d server requests", n)
	}
	if _, err := os.Stat(m.path("images", "987654321.png")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("a missing image: %v, want ENOENT", err)
	}
	if _, err := os.Stat(m.path("projects", "no such project")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("a missing name: %v", err)
	}
}

// TestPixelsMatchTheServer reads PNGs and compares their pixels with the
// server's own rendering of the same plane with the same settings.
func TestPixelsMatchTheServer(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	d := m.server.Data()
	for _, path := range []string{
		filepath.Join("projects", "Cell Biology", "Mitosis", "mitosis_01.dv.png"),
		filepath.Join("projects", "Cell Biology", "Mitosis", "membrane.czi.png"),
		filepath.Join("projects", "Cell Biology", "Mitosis", "beads_float.ome.tiff.png"),
		filepath.Join("orphaned", "stack.tif.png"),
	} {
		data, err := os.ReadFile(m.path(path))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".png")
		want, err := m.server.RenderExpected(idsNamed(d, "image", name)[0])
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != want.Width || img.Bounds().Dy() != want.Height {
			t.Fatalf("%s: %v, want %d×%d", path, img.Bounds(), want.Width, want.Height)
		}
		var sum, worst float64
		for y := 0; y < want.Height; y++ {
			for x := 0; x < want.Width; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				er, eg, eb := want.At(x, y)
				for _, dlt := range []float64{absf(float64(r>>8) - float64(er)), absf(float64(g>>8) - float64(eg)), absf(float64(b>>8) - float64(eb))} {
					sum += dlt
					worst = max(worst, dlt)
				}
			}
		}
		mean := sum / float64(3*want.Width*want.Height)
		// The server sends a JPEG at quality 1 (with 4:2:0 chroma): small,
		// bounded differences from its exact rendering.
		if mean > 4 || worst > 48 {
			t.Errorf("%s differs from the server's rendering: mean %.2f, worst %.0f", path, mean, worst)
		}
		// And exactly the server's own JPEG of the stored settings (asked
		// for without any c/m/p, so the client's query is not trusted).
		key := m.server.NewSessionKey("demo")
		resp, err := http.Get(fmt.Sprintf("%s/webgateway/render_image/%d/?q=1&bsession=%s", m.http.URL, idsNamed(d, "image", name)[0], key))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := jpeg.Decode(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < want.Height; y++ {
			for x := 0; x < want.Width; x++ {
				r1, g1, b1, _ := img.At(x, y).RGBA()
				r2, g2, b2, _ := ref.At(x, y).RGBA()
				if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
					t.Fatalf("%s: pixel (%d,%d) = %d,%d,%d; the server's JPEG has %d,%d,%d", path, x, y, r1>>8, g1>>8, b1>>8, r2>>8, g2>>8, b2>>8)
				}
			}
		}
	}
}

func absf(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
