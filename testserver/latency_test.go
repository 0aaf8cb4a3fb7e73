package testserver

import (
	"net/http"
	"testing"
	"time"
)

// TestRenderLatencyDelaysRendersOnly: RenderLatency holds every render for
// at least its duration (a lower bound, which no machine load can break)
// and leaves other requests alone.
func TestRenderLatencyDelaysRendersOnly(t *testing.T) {
	const d = 300 * time.Millisecond
	s, c := loggedInWith(t, Options{RenderLatency: d}, "demo")
	start := time.Now()
	if status, _, _ := c.get("/webgateway/render_image/16/"); status != http.StatusOK {
		t.Fatalf("render_image: %d", status)
	}
	if took := time.Since(start); took < d {
		t.Fatalf("render took %v, less than RenderLatency %v", took, d)
	}
	before := s.Requests("render_image")
	if status, _, _ := c.get("/webgateway/render_image/99999/"); status != http.StatusNotFound || s.Requests("render_image") != before+1 {
		t.Fatalf("a render of a missing image: %d", status)
	}
}

func TestSyntheticTree(t *testing.T) {
	d := SyntheticTree(3, 4, 64, 48, 1, "uint8")
	if len(d.Datasets) != 3 || len(d.Images) != 12 || len(d.Projects) != 1 {
		t.Fatalf("%d datasets, %d images, %d projects; want 3, 12, 1", len(d.Datasets), len(d.Images), len(d.Projects))
	}
	for _, p := range d.Projects {
		if len(p.Datasets) != 3 {
			t.Fatalf("project holds %d datasets", len(p.Datasets))
		}
	}
}

func TestListLatencyDelaysLists(t *testing.T) {
	const d = 300 * time.Millisecond
	_, c := loggedInWith(t, Options{ListLatency: d}, "demo")
	start := time.Now()
	if status, _, _ := c.get("/api/v0/m/projects/"); status != http.StatusOK {
		t.Fatalf("projects: %d", status)
	}
	if took := time.Since(start); took < d {
		t.Fatalf("list took %v, less than ListLatency %v", took, d)
	}
}
