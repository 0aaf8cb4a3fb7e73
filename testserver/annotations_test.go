package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

type annResponse struct {
	Annotations   []map[string]any `json:"annotations"`
	Experimenters []map[string]any `json:"experimenters"`
}

func getAnns(t *testing.T, c *client, query string) annResponse {
	t.Helper()
	status, _, b := c.get("/webclient/api/annotations/?" + query)
	var r annResponse
	if status != http.StatusOK || json.Unmarshal(b, &r) != nil || r.Annotations == nil || r.Experimenters == nil {
		t.Fatalf("%s: %d %s", query, status, b)
	}
	return r
}

func TestAnnotationsShape(t *testing.T) {
	s, c := loggedIn(t, "demo")
	m01, hist := oneImage(t, s, "mitosis_01.dv"), oneImage(t, s, "histology.tif")
	r := getAnns(t, c, fmt.Sprintf("type=map&image=%d&image=%d", m01, hist))
	if len(r.Annotations) != 3 {
		t.Fatalf("%d map annotations", len(r.Annotations))
	}
	// Ordered by namespace, the one without namespace last.
	a := r.Annotations[0]
	for _, k := range []string{"id", "ns", "name", "description", "owner", "date", "permissions", "link", "class", "values"} {
		if _, ok := a[k]; !ok {
			t.Errorf("map annotation without %q: %v", k, a)
		}
	}
	if a["class"] != "MapAnnotationI" || a["ns"] != KVNamespace || a["name"] != nil {
		t.Errorf("annotation %v", a)
	}
	link := a["link"].(map[string]any)
	parent := link["parent"].(map[string]any)
	if parent["class"] != "ImageI" || parent["id"].(float64) != float64(m01) || parent["name"] != "mitosis_01.dv" {
		t.Errorf("link parent %v", parent)
	}
	want := []any{[]any{"Gene", "CDK1"}, []any{"Gene", "CCNB1"}, []any{"cell line", "HeLa"}, []any{"a=b", "x = y"},
		[]any{"Ünïcode 細胞", "🔬 ok"}, []any{"empty", ""}}
	if !reflect.DeepEqual(a["values"], want) {
		t.Errorf("values %v", a["values"])
	}
	if last := r.Annotations[2]; last["ns"] != nil {
		t.Errorf("the annotation without namespace is not last: %v", last)
	}
	if len(r.Experimenters) != 2 || r.Experimenters[0]["omeName"] == nil || r.Experimenters[0]["firstName"] == nil {
		t.Errorf("experimenters %v", r.Experimenters)
	}
	// Tags and comments carry textValue; files carry file{} and canDownload.
	r = getAnns(t, c, fmt.Sprintf("type=tag&image=%d", m01))
	if len(r.Annotations) != 2 || r.Annotations[0]["class"] != "TagAnnotationI" || r.Annotations[0]["textValue"] == nil {
		t.Errorf("tags %v", r.Annotations)
	}
	r = getAnns(t, c, fmt.Sprintf("type=comment&image=%d", m01))
	if len(r.Annotations) != 2 || r.Annotations[0]["class"] != "CommentAnnotationI" {
		t.Errorf("comments %v", r.Annotations)
	}
	r = getAnns(t, c, fmt.Sprintf("type=file&image=%d&image=%d", m01, hist))
	if len(r.Annotations) != 3 {
		t.Fatalf("files %v", r.Annotations)
	}
	f := r.Annotations[0]["file"].(map[string]any)
	for _, k := range []string{"id", "name", "size", "path", "mimetype"} {
		if _, ok := f[k]; !ok {
			t.Errorf("file without %s: %v", k, f)
		}
	}
	if r.Annotations[0]["permissions"].(map[string]any)["canDownload"] != true {
		t.Errorf("attachment not downloadable: %v", r.Annotations[0])
	}
	// No type: every kind, also the rating.
	r = getAnns(t, c, fmt.Sprintf("image=%d", m01))
	if len(r.Annotations) != 9 {
		t.Errorf("all annotations: %d", len(r.Annotations))
	}
	// Other object types, and a well's or plate's annotations.
	r = getAnns(t, c, fmt.Sprintf("type=tag&dataset=%d", datasetNamed(s.data, "Mitosis")))
	if len(r.Annotations) != 1 || r.Annotations[0]["link"].(map[string]any)["parent"].(map[string]any)["class"] != "DatasetI" {
		t.Errorf("dataset tags %v", r.Annotations)
	}
	r = getAnns(t, c, fmt.Sprintf("plate=%d", plateNamed(s.data, "Plate 1")))
	if len(r.Annotations) != 1 {
		t.Errorf("plate annotations %v", r.Annotations)
	}
	// Nothing asked: empty lists, not null.
	if r := getAnns(t, c, "type=map"); len(r.Annotations) != 0 {
		t.Errorf("no ids: %v", r)
	}
	if status, _, _ := c.get("/webclient/api/annotations/?image=x"); status != 500 {
		t.Errorf("image=x: %d", status)
	}
}

func TestAnnotationsPaging(t *testing.T) {
	s, c := loggedIn(t, "demo")
	scans := s.data.Datasets[datasetNamed(s.data, "1200 images")].Images
	q := "type=tag"
	for _, id := range scans[:20] {
		q += fmt.Sprintf("&image=%d", id)
	}
	if r := getAnns(t, c, q); len(r.Annotations) != 10 {
		t.Errorf("tags on the first 20 scans: %d", len(r.Annotations))
	}
	seen := map[float64]bool{}
	for page := 1; page <= 4; page++ {
		r := getAnns(t, c, fmt.Sprintf("%s&limit=3&page=%d", q, page))
		if want := min(3, 10-3*(page-1)); len(r.Annotations) != want {
			t.Errorf("page %d: %d links", page, len(r.Annotations))
		}
		for _, a := range r.Annotations {
			seen[a["link"].(map[string]any)["id"].(float64)] = true
		}
	}
	if len(seen) != 10 {
		t.Errorf("pages gave %d distinct links", len(seen))
	}
	if r := getAnns(t, c, q+"&limit=3&page=0"); len(r.Annotations) != 10 {
		t.Errorf("page=0 (no paging): %d", len(r.Annotations))
	}
}

func TestDownloadAnnotation(t *testing.T) {
	s, c := loggedIn(t, "demo")
	r := getAnns(t, c, fmt.Sprintf("type=file&image=%d", oneImage(t, s, "mitosis_01.dv")))
	for _, a := range r.Annotations {
		f := a["file"].(map[string]any)
		status, h, b := c.get(fmt.Sprintf("/webclient/annotation/%d/", int64(a["id"].(float64))))
		if status != 200 || !bytes.Equal(b, s.data.FileBytes(int64(f["id"].(float64)))) || float64(len(b)) != f["size"].(float64) {
			t.Errorf("%v: %d, %d bytes", f["name"], status, len(b))
		}
		if h.Get("Content-Type") != "application/force-download" || h.Get("Content-Length") != fmt.Sprint(len(b)) {
			t.Errorf("headers %v", h)
		}
		if f["name"] == "notes, v2.txt" && h.Get("Content-Disposition") != "attachment; filename=notes,_v2.txt" {
			t.Errorf("disposition %q", h.Get("Content-Disposition"))
		}
	}
	if status, _, _ := c.get("/webclient/annotation/999999/"); status != 404 {
		t.Errorf("missing annotation: %d", status)
	}
	// A tag is not a file annotation.
	tags := getAnns(t, c, fmt.Sprintf("type=tag&image=%d", oneImage(t, s, "mitosis_01.dv")))
	if status, _, _ := c.get(fmt.Sprintf("/webclient/annotation/%d/", int64(tags.Annotations[0]["id"].(float64)))); status != 404 {
		t.Errorf("tag as file: %d", status)
	}
}
