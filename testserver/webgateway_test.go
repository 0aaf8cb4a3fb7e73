package testserver

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net/http"
	"testing"
)

func bigImage(s *Server) int64 {
	if ids := s.Data().ImageIDs(func(im Image) bool { return im.Levels > 1 }); len(ids) > 0 {
		return ids[0]
	}
	return 0
}

func decodeSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestRenderEndpoints(t *testing.T) {
	s, c := loggedIn(t, "demo")
	im, _ := s.Data().Image(16)
	status, h, b := c.get("/webgateway/render_image/16/")
	if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("render_image: %d %s", status, h.Get("Content-Type"))
	}
	if w, hh := decodeSize(t, b); w != im.SizeX || hh != im.SizeY {
		t.Errorf("render_image is %d×%d, image %d×%d", w, hh, im.SizeX, im.SizeY)
	}
	for _, bad := range []string{"/webgateway/render_image/16/0/99/", "/webgateway/render_image/16/999/0/", "/webgateway/render_image/99999/"} {
		if status, _, _ := c.get(bad); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, status)
		}
	}
	if status, _, _ := c.get("/webgateway/render_image/16/?c=9"); status != http.StatusBadRequest {
		t.Errorf("c=9 on a 2-channel image: %d", status)
	}
	big := bigImage(s)
	if status, _, _ := c.get(fmt.Sprintf("/webgateway/render_image/%d/", big)); status != http.StatusNotFound {
		t.Errorf("render_image of the big image: %d, want 404 (too large a plane)", status)
	}
	status, _, b = c.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?tile=4,0,0", big))
	if status != http.StatusOK {
		t.Fatalf("tile: %d %s", status, b)
	}
	// level 4 of 20000×15000 is 1250×938: tile (0,0) is a full 256×256.
	if w, hh := decodeSize(t, b); w != 256 || hh != 256 {
		t.Errorf("tile is %d×%d", w, hh)
	}
	// the corner: level 4 is 1250×937 (each level halves the previous, rounded down): 1250-1024, 937-768
	_, _, b = c.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?tile=4,4,3", big))
	if w, hh := decodeSize(t, b); w != 226 || hh != 169 {
		t.Errorf("edge tile is %d×%d, want 226×169", w, hh)
	}
	for q, want := range map[string]int{"tile=-1,0,0": 400, "tile=5,0,0": 400, "tile=a,b": 400, "": 400, "region=0,0,10": 400, "tile=4,99,0": 404} {
		if status, _, _ := c.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?%s", big, q)); status != want {
			t.Errorf("region ?%s: %d, want %d", q, status, want)
		}
	}
	if status, _, b := c.get("/webgateway/render_thumbnail/16/"); status != http.StatusOK {
		t.Errorf("thumbnail: %d", status)
	} else if w, hh := decodeSize(t, b); max(w, hh) != 96 {
		t.Errorf("thumbnail %d×%d, want longest side 96", w, hh)
	}
	if status, _, b := c.get(fmt.Sprintf("/webgateway/render_birds_eye_view/%d/200/", big)); status != http.StatusOK {
		t.Errorf("birds eye: %d", status)
	} else if w, _ := decodeSize(t, b); w != 200 {
		t.Errorf("birds eye width %d", w)
	}
}

func TestRenderExpectedMatchesTheJPEG(t *testing.T) {
	s, c := loggedIn(t, "demo")
	want, err := s.RenderExpected(16)
	if err != nil {
		t.Fatal(err)
	}
	_, _, b := c.get("/webgateway/render_image/16/?q=1")
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var diff, n float64
	for y := 0; y < want.Height; y++ {
		for x := 0; x < want.Width; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			er, eg, eb := want.At(x, y)
			diff += absf(float64(r>>8)-float64(er)) + absf(float64(g>>8)-float64(eg)) + absf(float64(bl>>8)-float64(eb))
			n += 3
		}
	}
	if diff/n > 3 {
		t.Errorf("JPEG at q=1 differs from the rendering by %.2f on average", diff/n)
	}
}

func absf(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestFaults(t *testing.T) {
	s, c := loggedIn(t, "demo")
	s.SetFault(Fault{Match: "api_list", Kind: Status, Status: 503, Count: 1})
	if status, _, _ := c.get("/api/v0/m/projects/"); status != 503 {
		t.Errorf("injected 503: %d", status)
	}
	if status, _, _ := c.get("/api/v0/m/projects/"); status != 200 {
		t.Errorf("the fault outlived its count: %d", status)
	}
	s.SetFault(Fault{Match: "/api/v0/m/", Kind: MalformedJSON, Count: 1})
	if _, _, b := c.get("/api/v0/m/projects/"); bytes.HasSuffix(bytes.TrimSpace(b), []byte("}")) {
		t.Errorf("malformed JSON looks whole: %s", b)
	}
	// Until cleared: Go's transport retries a request whose reused
	// connection closed before any answer, so one drop would go unseen.
	s.SetFault(Fault{Match: "render_image", Kind: DropConnection})
	if _, err := c.hc.Get(c.base + "/webgateway/render_image/16/"); err == nil {
		t.Error("dropped connection answered")
	}
	s.ClearFaults()
}
