package testserver

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func oneImage(t *testing.T, s *Server, name string) int64 {
	t.Helper()
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	ids := imagesNamed(s.data, name)
	if len(ids) == 0 {
		t.Fatalf("no image %q", name)
	}
	return ids[0]
}

func TestOriginalFilePaths(t *testing.T) {
	s, c := loggedIn(t, "demo")
	hist := oneImage(t, s, "histology.tif")
	v := c.getJSON(fmt.Sprintf("/webgateway/original_file_paths/%d/", hist))
	repo := v["repo"].([]any)
	if len(repo) != 1 || !strings.HasSuffix(repo[0].(string), "/histology.tif") || !strings.HasPrefix(repo[0].(string), "alice_") {
		t.Errorf("repo = %v", repo)
	}
	if cl := v["client"].([]any); len(cl) != 1 || cl[0] != "home/alice/microscope/histology.tif" {
		t.Errorf("client = %v", cl)
	}
	if fs := v["fileset"].(map[string]any); fs["id"].(float64) <= 0 {
		t.Errorf("fileset = %v", fs)
	}
	v = c.getJSON(fmt.Sprintf("/webgateway/original_file_paths/%d/", oneImage(t, s, "Big slide.svs")))
	if repo := v["repo"].([]any); len(repo) != 5 || !strings.HasSuffix(repo[1].(string), "/Big slide/Slidedat.ini") {
		t.Errorf("mrxs repo = %v", repo)
	}
	// An image imported before filesets: {}.
	status, _, b := c.get(fmt.Sprintf("/webgateway/original_file_paths/%d/", oneImage(t, s, "tab\there")))
	if status != http.StatusOK || strings.TrimSpace(string(b)) != "{}" {
		t.Errorf("no fileset: %d %s", status, b)
	}
	// An unknown image: the jsonp decorator turns Http404 into a 500 JSON.
	status, h, b := c.get("/webgateway/original_file_paths/999999/")
	var e map[string]any
	if status != http.StatusInternalServerError || h.Get("Content-Type") != "application/json" || json.Unmarshal(b, &e) != nil || e["message"] != "" {
		t.Errorf("unknown image: %d %s %s", status, h.Get("Content-Type"), b)
	}
}

func TestDownloadOriginalFile(t *testing.T) {
	s, c := loggedIn(t, "demo")
	files := s.data.FilesOf(oneImage(t, s, "mitosis_01.dv"))
	f := files[0]
	status, h, b := c.get(fmt.Sprintf("/webclient/download_original_file/%d/", f.ID))
	if status != http.StatusOK || !bytes.Equal(b, s.data.FileBytes(f.ID)) || int64(len(b)) != f.Size || f.Size <= 2*chunkSize {
		t.Fatalf("download: %d, %d bytes of %d", status, len(b), f.Size)
	}
	if h.Get("Content-Length") != fmt.Sprint(f.Size) || h.Get("Content-Disposition") != "attachment; filename=mitosis_01.dv" {
		t.Errorf("headers %v", h)
	}
	status, h, b2 := c.get(fmt.Sprintf("/webclient/get_original_file/%d/", f.ID))
	if status != http.StatusOK || !bytes.Equal(b2, b) || h.Get("Content-Disposition") != "" || h.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("get_original_file: %d %v", status, h)
	}
	// Names: spaces become '_', commas '.', and text beyond latin-1 an encoded-word.
	for name, want := range map[string]string{
		"Big slide, v2.mrxs": "attachment; filename=Big_slide._v2.mrxs",
		"café.tif":           "attachment; filename=caf\xe9.tif",
		"細胞 1.tif":           "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte("attachment; filename=細胞_1.tif")) + "?=",
	} {
		s.data.mu.Lock()
		s.data.Files[f.ID].Name = name
		s.data.mu.Unlock()
		if _, h, _ := c.get(fmt.Sprintf("/webclient/download_original_file/%d/", f.ID)); h.Get("Content-Disposition") != want {
			t.Errorf("%q: Content-Disposition %q, want %q", name, h.Get("Content-Disposition"), want)
		}
	}
	// A missing file: handlerInternalError, a 404.
	if status, _, _ := c.get("/webclient/download_original_file/999999/"); status != http.StatusNotFound {
		t.Errorf("missing file: %d", status)
	}
	// The empty file.
	z := s.data.FilesOf(oneImage(t, s, "beads_float.ome.tiff"))[0]
	if status, h, b := c.get(fmt.Sprintf("/webclient/download_original_file/%d/", z.ID)); status != 200 || len(b) != 0 || h.Get("Content-Length") != "0" {
		t.Errorf("empty file: %d %v %d", status, h, len(b))
	}
}

func TestDownloadRefusedByPolicy(t *testing.T) {
	s, c := loggedIn(t, "demo") // a member of the facility, whose policy is -image,-plate
	f := s.data.FilesOf(oneImage(t, s, "beads_1.tif"))[0]
	resp, err := c.hc.Get(c.base + fmt.Sprintf("/webclient/download_original_file/%d/", f.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !resp.Close || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("refused download: %d close=%v %v", resp.StatusCode, resp.Close, resp.Header)
	}
	// archived_files does not check an image in a dataset: the same 500.
	if status, _, _ := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", oneImage(t, s, "beads_1.tif"))); status != 500 {
		t.Errorf("archived_files of a refused image in a dataset: %d", status)
	}
	// It does check a plate's images: 404 before anything streams.
	plateImage := s.data.Wells[s.data.Plates[plateNamed(s.data, "Plate 1")].Wells[0]].Samples[0].ImageID
	if status, _, b := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", plateImage)); status != 404 || len(b) != 0 {
		t.Errorf("archived_files of a plate image: %d %q", status, b)
	}
	// and images in no dataset, when the policy refuses them.
	orphan := oneImage(t, s, "orphan.tif")
	if status, _, _ := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", orphan)); status != 200 {
		t.Errorf("orphan under +read,+image: %d", status)
	}
	s.data.mu.Lock()
	s.data.Groups[groupLab].BinaryAccess = "-image"
	s.data.mu.Unlock()
	if status, _, _ := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", orphan)); status != 404 {
		t.Errorf("orphan under -image: %d", status)
	}
}

func TestPolicy(t *testing.T) {
	for v, want := range map[string]string{"": "image read write", "+read,+image": "image read", "-image,-plate": "read write",
		"+read,+write,+image,+plate": "image plate read write", "-read": "image write"} {
		var got []string
		for _, k := range []string{"image", "plate", "read", "write"} {
			if policy(v)[k] {
				got = append(got, k)
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("policy(%q) = %v, want %s", v, got, want)
		}
	}
}

func TestArchivedFiles(t *testing.T) {
	s, c := newClient(t, Options{MaxZipSize: 1 << 20})
	c.login("demo", "demo", c.token())
	hist := oneImage(t, s, "histology.tif")
	status, h, b := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", hist))
	f := s.data.FilesOf(hist)[0]
	if status != 200 || !bytes.Equal(b, s.data.FileBytes(f.ID)) || h.Get("Content-Type") != "application/force-download" {
		t.Errorf("single file: %d %v", status, h)
	}
	// Several files under the limit: a ZIP built whole.
	lif := oneImage(t, s, "batch01_a.tif")
	status, _, b = c.get(fmt.Sprintf("/webgateway/archived_files/download/?image=%d&image=%d", lif, oneImage(t, s, "histology.tif")))
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if status != 200 || err != nil || len(zr.File) != 2 {
		t.Errorf("zip: %d %v", status, err)
	}
	// Above it: 403.
	status, _, b = c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", oneImage(t, s, "Big slide.svs")))
	if status != http.StatusForbidden || !strings.Contains(string(b), "is larger than 1048576") {
		t.Errorf("over the limit: %d %s", status, b)
	}
	if status, _, b := c.get("/webgateway/archived_files/download/999999/"); status != 500 || string(b) != "Cannot download archived file because Images not found (ids: ['999999'])" {
		t.Errorf("unknown image: %d %s", status, b)
	}
	if status, _, b := c.get(fmt.Sprintf("/webgateway/archived_files/download/%d/", oneImage(t, s, "tab\there"))); status != 500 || !strings.Contains(string(b), "no files archived") {
		t.Errorf("no fileset: %d %s", status, b)
	}
}

func TestDownloadPlaceholder(t *testing.T) {
	s, c := loggedIn(t, "demo")
	slide := oneImage(t, s, "Big slide.svs")
	status, _, b := c.get(fmt.Sprintf("/webclient/download_placeholder/?ids=image-%d", slide))
	page := string(b)
	if status != 200 || !strings.Contains(page, "You have chosen to download 5 files.") {
		t.Fatalf("%d %s", status, page)
	}
	for _, f := range s.data.FilesOf(slide) {
		link := fmt.Sprintf("<a href=\"/webclient/download_original_file/%d/\">", f.ID)
		if !strings.Contains(page, link) || !strings.Contains(page, "\n"+f.Name+"\n") {
			t.Errorf("no link for %s", f.Name)
		}
	}
	if !strings.Contains(page, "> 1.0\u00a0MB</span>") || !strings.Contains(page, "> 1.5\u00a0KB</span>") {
		t.Errorf("sizes are not Django's filesizeformat: %s", page)
	}
	// Images sharing a fileset list its files once.
	a, bb := oneImage(t, s, "batch02_a.tif"), oneImage(t, s, "batch02_b.tif")
	_, _, b = c.get(fmt.Sprintf("/webclient/download_placeholder/?ids=image-%d|image-%d", a, bb))
	if strings.Count(string(b), "download_original_file/") != 1 {
		t.Errorf("shared fileset listed twice: %s", b)
	}
	if status, _, _ := c.get("/webclient/download_placeholder/?ids=image-999999"); status != 404 {
		t.Errorf("unknown image: %d", status)
	}
	for n, want := range map[int64]string{0: "0\u00a0bytes", 1: "1\u00a0byte", 1023: "1023\u00a0bytes", 1024: "1.0\u00a0KB", 309965: "302.7\u00a0KB", 3 << 30: "3.0\u00a0GB"} {
		if got := filesizeformat(n); got != want {
			t.Errorf("filesizeformat(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDataRoutesNeedLogin(t *testing.T) {
	s, c := newClient(t, Options{})
	hist := oneImage(t, s, "histology.tif")
	for _, p := range []string{fmt.Sprintf("/webgateway/original_file_paths/%d/", hist), "/webclient/api/annotations/?type=tag&image=1",
		fmt.Sprintf("/webclient/download_original_file/%d/", s.data.FilesOf(hist)[0].ID)} {
		if status, _, _ := c.get(p); status != http.StatusFound {
			t.Errorf("%s without login: %d", p, status)
		}
	}
}
