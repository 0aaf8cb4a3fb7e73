package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

func TestOriginalFilePathsAndLinks(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	ctx := context.Background()
	slide := ts.Data().ImageNamed(t, "Big slide.svs")
	p, err := c.OriginalFilePaths(ctx, slide)
	if err != nil || p.FilesetID == 0 || len(p.Repo) != 5 || len(p.Client) != 5 {
		t.Fatalf("paths %+v, %v", p, err)
	}
	links, err := c.DownloadPlaceholder(ctx, slide)
	if err != nil || len(links) != 5 {
		t.Fatalf("links %+v, %v", links, err)
	}
	for i, f := range ts.Data().FilesOf(slide) {
		if links[i].ID != f.ID || links[i].Name != f.Name || !strings.HasSuffix(p.Repo[i], "/"+f.Name) {
			t.Errorf("file %d: link %+v, path %s, want %d %s", i, links[i], p.Repo[i], f.ID, f.Name)
		}
	}
	if links[3].HumanSize != "1.0 MB" {
		t.Errorf("human size %q", links[3].HumanSize)
	}
	p, err = c.OriginalFilePaths(ctx, ts.Data().ImageNamed(t, "tab\there"))
	if err != nil || p.FilesetID != 0 || len(p.Repo) != 0 {
		t.Errorf("no fileset: %+v, %v", p, err)
	}
	if _, err := c.OriginalFilePaths(ctx, 999999); !errors.Is(err, ErrServer) {
		t.Errorf("unknown image: %v", err)
	}
	names := `<a href="/omero/webclient/download_original_file/7/">
                    <div>
                        a &amp; b.tif
                        <span style="margin-left:20px"> 12` + "\u00a0" + `bytes</span>`
	if l := parsePlaceholder([]byte(names)); len(l) != 1 || l[0] != (FileLink{ID: 7, Name: "a & b.tif", HumanSize: "12 bytes"}) {
		t.Errorf("parse %+v", l)
	}
}

func TestStreamOriginalFile(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	ctx := context.Background()
	f := ts.Data().FilesOf(ts.Data().ImageNamed(t, "mitosis_01.dv"))[0]
	size, err := c.OriginalFileSize(ctx, f.ID)
	if err != nil || size != f.Size {
		t.Fatalf("size %d, %v; want %d", size, err, f.Size)
	}
	d, err := c.OpenOriginalFile(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(d)
	d.Close()
	if err != nil || !bytes.Equal(b, ts.Data().FileBytes(f.ID)) {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	// A server that dies mid-file: an error, never a short EOF.
	ts.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.ResetMidBody, Count: 1})
	d, err = c.OpenOriginalFile(ctx, f.ID)
	if err == nil {
		_, err = io.ReadAll(d)
		d.Close()
	}
	if err == nil {
		t.Error("a cut download read without error")
	}
	ts.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.TruncateBody, Count: 1})
	d, err = c.OpenOriginalFile(ctx, f.ID)
	if err == nil {
		_, err = io.ReadAll(d)
		d.Close()
	}
	if err == nil {
		t.Error("a truncated download read without error")
	}
	// Refused by the group's policy: a 500 before any byte.
	refused := ts.Data().FilesOf(ts.Data().ImageNamed(t, "beads_1.tif"))[0]
	if _, err := c.OpenOriginalFile(ctx, refused.ID); !errors.Is(err, ErrServer) {
		t.Errorf("refused download: %v", err)
	}
	if _, err := c.OpenOriginalFile(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

func TestAnnotationsBatched(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	ctx := context.Background()
	ds := datasetID(t, c, "1200 images")
	ims, err := c.Images(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ims))
	for i, im := range ims {
		ids[i] = im.ID
	}
	ts.ResetCounters()
	anns, owners, err := c.Annotations(ctx, "tag", "image", ids)
	if err != nil || len(anns) != 10 || len(owners) != 1 {
		t.Fatalf("%d tags, %d owners, %v", len(anns), len(owners), err)
	}
	if n := ts.Requests("api_annotations"); n != 6 {
		t.Errorf("%d requests for 1200 images", n)
	}
	m01 := ts.Data().ImageNamed(t, "mitosis_01.dv")
	anns, _, err = c.Annotations(ctx, "", "image", []int64{m01})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range anns {
		kinds[a.Class]++
		if a.Link.Parent.ID != m01 || a.Link.Parent.Class != "ImageI" {
			t.Errorf("link %+v", a.Link)
		}
		if a.File != nil {
			d, err := c.OpenAnnotationFile(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(d)
			d.Close()
			if !bytes.Equal(b, ts.Data().FileBytes(a.File.ID)) || int64(len(b)) != a.File.Size {
				t.Errorf("attachment %s: %d bytes", a.File.Name, len(b))
			}
		}
	}
	if kinds["MapAnnotationI"] != 2 || kinds["TagAnnotationI"] != 2 || kinds["CommentAnnotationI"] != 2 || kinds["FileAnnotationI"] != 2 {
		t.Errorf("kinds %v", kinds)
	}
}

func TestAnnotationsRouteMissing(t *testing.T) {
	ts := testserver.New(testserver.Options{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/webclient/api/annotations/") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			w.Write([]byte("<h1>Not Found</h1>"))
			return
		}
		ts.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	if _, _, err := c.Annotations(context.Background(), "map", "image", []int64{1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing route: %v", err)
	}
}

func TestArchivedFileRefused(t *testing.T) {
	data := testserver.DemoData()
	data.Groups[1].BinaryAccess = "-image" // the lab: images refused
	ts, hs := startServer(t, testserver.Options{Data: data})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	ctx := context.Background()
	// In no dataset: checked in advance.
	if err := c.ArchivedFileRefused(ctx, ts.Data().ImageNamed(t, "orphan.tif")); !errors.Is(err, ErrForbidden) {
		t.Errorf("orphan: %v", err)
	}
	// In a dataset: not checked; the download fails on its own.
	if err := c.ArchivedFileRefused(ctx, ts.Data().ImageNamed(t, "histology.tif")); err != nil {
		t.Errorf("in a dataset: %v", err)
	}
	ts.ResetCounters()
	if err := c.ArchivedFileRefused(ctx, ts.Data().ImageNamed(t, "beads_2.tif")); err != nil || ts.Requests("archived_files") != 1 {
		t.Errorf("allowed: %v", err)
	}
}
