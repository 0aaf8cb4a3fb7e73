package wrappers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
)

func TestOriginalFilesLayout(t *testing.T) {
	ts, c := client(t, nil)
	ctx := context.Background()
	slide := ts.Data().ImageNamed(t, "Big slide.svs")
	fs, err := c.OriginalFiles(ctx, slide)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, f := range fs.Files {
		got[f.Path] = f.Size
		if f.SizeErr != nil {
			t.Errorf("%s: %v", f.Path, f.SizeErr)
		}
	}
	if _, ok := got["Big slide.mrxs"]; !ok || got["Big slide/Data0000.dat"] != 1<<20+1 || len(got) != 5 {
		t.Errorf("layout %v", got)
	}
	// A single file: its name only. Images sharing a fileset share one listing.
	hist := ts.Data().ImageNamed(t, "histology.tif")
	if fs, err := c.OriginalFiles(ctx, hist); err != nil || len(fs.Files) != 1 || fs.Files[0].Path != "histology.tif" {
		t.Errorf("histology: %+v %v", fs, err)
	}
	a, b := ts.Data().ImageNamed(t, "batch03_a.tif"), ts.Data().ImageNamed(t, "batch03_b.tif")
	fa, _ := c.OriginalFiles(ctx, a)
	ts.ResetCounters()
	fb, err := c.OriginalFiles(ctx, b)
	if err != nil || fb != fa || ts.TotalRequests() != 1 {
		t.Errorf("shared fileset: %v, %d requests", err, ts.TotalRequests())
	}
	// No fileset: no files.
	if fs, err := c.OriginalFiles(ctx, ts.Data().ImageNamed(t, "tab\there")); err != nil || len(fs.Files) != 0 {
		t.Errorf("no fileset: %+v %v", fs, err)
	}
	// Refused by policy: listed with the reason.
	fs, err = c.OriginalFiles(ctx, ts.Data().ImageNamed(t, "beads_1.tif"))
	if err != nil || len(fs.Files) != 1 || !errors.Is(fs.Files[0].SizeErr, gateway.ErrServer) {
		t.Errorf("refused: %+v %v", fs, err)
	}
	// Stream one.
	r, size, err := c.OpenOriginalFile(ctx, fa.Files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil || int64(len(data)) != size || !bytes.Equal(data, ts.Data().FileBytes(fa.Files[0].ID)) {
		t.Errorf("stream: %d of %d, %v", len(data), size, err)
	}
}

func TestMatchFiles(t *testing.T) {
	repo := []string{"u_1/2024/x/a/b.dat", "u_1/2024/x/a.mrxs", "u_1/2024/x/a/c.dat"}
	links := []gateway.FileLink{{ID: 3, Name: "a.mrxs"}, {ID: 1, Name: "c.dat"}, {ID: 2, Name: "b.dat"}, {ID: 9, Name: "extra.txt"}}
	got := matchFiles(repo, links)
	want := []OriginalFile{{ID: 2, Path: "a/b.dat"}, {ID: 3, Path: "a.mrxs"}, {ID: 1, Path: "a/c.dat"}, {ID: 9, Path: "extra.txt"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	if commonFolder([]string{"a/b/c.tif"}) != "a/b/" || commonFolder([]string{"a/x", "b/y"}) != "" || commonFolder([]string{"a/b/c", "a/bc/d"}) != "a/" {
		t.Error("commonFolder")
	}
}

func TestAnnotationsAndMetadata(t *testing.T) {
	ts, c := client(t, nil)
	ctx := context.Background()
	m01, hist := ts.Data().ImageNamed(t, "mitosis_01.dv"), ts.Data().ImageNamed(t, "histology.tif")
	ts.ResetCounters()
	anns, err := c.AnnotationsOf(ctx, "image", []int64{m01, hist, 999999})
	if err != nil || ts.TotalRequests() != 1 {
		t.Fatalf("%v, %d requests", err, ts.TotalRequests())
	}
	a := anns[m01]
	if len(a.KeyValues) != 7 || a.KeyValues[0] != (KeyValue{Key: "Gene", Value: "CDK1", Namespace: testserver.KVNamespace, AnnotationID: a.KeyValues[0].AnnotationID}) {
		t.Errorf("key-values %+v", a.KeyValues)
	}
	if len(a.Tags) != 2 || len(a.Comments) != 2 || len(a.Attachments) != 2 || len(anns[999999].Tags) != 0 {
		t.Errorf("annotations %+v", a)
	}
	objs, err := c.Image(ctx, m01)
	if err != nil {
		t.Fatal(err)
	}
	ts.ResetCounters()
	b, err := objs.(*Image).Metadata(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if ts.TotalRequests() != 2 {
		t.Errorf("metadata took %d requests", ts.TotalRequests())
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != m01 || m.Dimensions != (MetaDimensions{X: 256, Y: 192, Z: 9, C: 3, T: 1}) || m.PixelType != "uint16" ||
		m.PhysicalSize.X == nil || m.PhysicalSize.X.Symbol != "µm" || len(m.Channels) != 3 || m.Channels[0].Name == nil ||
		*m.Channels[0].Name != "DAPI" || m.Channels[0].EmissionWavelength == nil || m.Owner.UserName != "alice" || m.AcquisitionDate == nil {
		t.Errorf("metadata %s", b)
	}
	if len(m.Containers) != 2 || m.Containers[0].Type != "Project" || m.Containers[1].Name != "Mitosis" {
		t.Errorf("containers %+v", m.Containers)
	}
	if len(m.KeyValuePairs) != 7 || len(m.Tags) != 2 || !strings.HasSuffix(m.URLs.Webclient, "webclient/?show=image-"+itoa(m01)) {
		t.Errorf("annotations or URLs in metadata: %s", b)
	}
	// Keys in the documented order, and the same bytes every time.
	keys := []string{"schema", "id", "name", "description", "owner", "group", "acquisition_date", "dimensions", "pixel_type",
		"physical_size", "channels", "rendering", "containers", "key_value_pairs", "tags", "comments", "attachments", "urls"}
	last := -1
	for _, k := range keys {
		i := bytes.Index(b, []byte("\n  \""+k+"\": "))
		if i < 0 || i < last {
			t.Errorf("key %q missing or out of order", k)
		}
		last = i
	}
	b2, _ := objs.(*Image).Metadata(ctx, a)
	if !bytes.Equal(b, b2) {
		t.Error("metadata.json differs between builds")
	}
	if !bytes.Contains(b, []byte(`"Ünïcode 細胞"`)) || !bytes.Contains(b, []byte(`"a=b"`)) {
		t.Error("unicode or '=' escaped in metadata.json")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// An OMERO.web without the routes (404 pages): empty answers and one
// warning for the whole mount, not an error per image.
func TestOldServerWithoutDataRoutes(t *testing.T) {
	ts := testserver.New(testserver.Options{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range []string{"/webgateway/original_file_paths/", "/webclient/api/annotations/"} {
			if strings.HasPrefix(r.URL.Path, p) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusNotFound)
				w.Write([]byte("<h1>Not Found</h1>"))
				return
			}
		}
		ts.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	log, hook := logtest.NewNullLogger()
	conn, err := gateway.Connect(context.Background(), gateway.Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := NewClient(conn, nil)
	c.SetLogger(log)
	ctx := context.Background()
	for _, name := range []string{"histology.tif", "mitosis_01.dv", "Big slide.svs"} {
		fs, err := c.OriginalFiles(ctx, ts.Data().ImageNamed(t, name))
		if err != nil || len(fs.Files) != 0 {
			t.Errorf("%s: %+v, %v", name, fs, err)
		}
		anns, err := c.AnnotationsOf(ctx, "image", []int64{ts.Data().ImageNamed(t, name)})
		if err != nil || len(anns) != 1 {
			t.Errorf("%s annotations: %v, %v", name, anns, err)
		}
	}
	warnings := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel {
			warnings++
		}
	}
	if warnings != 2 {
		t.Errorf("%d warnings, want one per missing route", warnings)
	}
}
