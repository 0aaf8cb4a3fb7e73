package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fidelityServer is a logged-in client of a server with the fidelity images.
func fidelityServer(t *testing.T, opts Options) (*Server, *client, map[string]int64) {
	t.Helper()
	if opts.Data == nil {
		opts.Data = DemoData()
	}
	ids := AddFidelityImages(opts.Data)
	s, c := loggedInWith(t, opts, "demo")
	return s, c, ids
}

func TestTilesAreCutToMaxTileLength(t *testing.T) {
	_, c, ids := fidelityServer(t, Options{})
	id := ids[Pyramid4xImage]
	d := c.getJSON(fmt.Sprintf("/webgateway/imgData/%d/", id))
	if ts := d["tile_size"].(map[string]any); ts["width"] != 2048.0 || ts["height"] != 2048.0 {
		t.Fatalf("tile_size %v, want the native 2048", ts)
	}
	region := func(q string) []byte {
		t.Helper()
		status, _, b := c.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?%s", id, q))
		if status != http.StatusOK {
			t.Fatalf("?%s: %d %s", q, status, b)
		}
		return b
	}
	// Asked for 2048: cut to 1024, and tile (1,0) starts at x = 1024.
	cut := region("tile=0,1,0,2048,2048")
	if w, h := decodeSize(t, cut); w != 1024 || h != 1024 {
		t.Errorf("a 2048 tile at max_tile_length 1024 is %d×%d", w, h)
	}
	if !bytes.Equal(cut, region("region=1024,0,1024,1024")) {
		t.Error("tile (1,0) cut to 1024 is not the region at x = 1024")
	}
	// No size, or a size ≤ 0: the native tile, not cut.
	for _, q := range []string{"tile=0,0,0", "tile=0,0,0,0,0"} {
		if w, h := decodeSize(t, region(q)); w != 2048 || h != 2048 {
			t.Errorf("?%s: %d×%d, want the native 2048×2048", q, w, h)
		}
	}
	_, c512, ids512 := fidelityServer(t, Options{MaxTileLength: 512})
	status, _, b := c512.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?tile=1,0,0,1024,1024", ids512[Pyramid4xImage]))
	if status != http.StatusOK {
		t.Fatal(status)
	}
	if w, h := decodeSize(t, b); w != 512 || h != 512 {
		t.Errorf("max_tile_length 512: tile %d×%d", w, h)
	}
}

func TestImgDataLevelsByVersion(t *testing.T) {
	for _, v := range WebVersions() {
		t.Run(v, func(t *testing.T) {
			_, c, ids := fidelityServer(t, Options{WebVersion: v})
			d := c.getJSON(fmt.Sprintf("/webgateway/imgData/%d/", ids[Pyramid4xImage]))
			res, has := d["resolutions"].(map[string]any)
			if has != (v == "5.31") {
				t.Fatalf("resolutions present: %v (%v)", has, d["resolutions"])
			}
			if has {
				l1 := res["1"].(map[string]any)
				if l1["sizeX"] != 2875.0 || l1["sizeY"] != 2057.0 {
					t.Errorf("level 1 is %v×%v, want 2875×2057", l1["sizeX"], l1["sizeY"])
				}
			}
			zoom := d["zoomLevelScaling"].(map[string]any)
			if zoom["0"] != 1.0 || zoom["1"] != 0.25 || zoom["2"] != 718.0/11500 {
				t.Errorf("zoomLevelScaling %v", zoom)
			}
			// The height the scale gives is one pixel off the level's.
			status, _, b := c.get(fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?tile=1,2,2,1024,1024", ids[Pyramid4xImage]))
			if status != http.StatusOK {
				t.Fatal(status)
			}
			if w, h := decodeSize(t, b); w != 2875-2048 || h != 2057-2048 {
				t.Errorf("corner tile of level 1 is %d×%d, want %d×%d", w, h, 2875-2048, 2057-2048)
			}
			status, hdr, b := c.get("/webgateway/imgData/987654321/")
			if v == "5.6" {
				if status != 500 || string(b) != `""` || hdr.Get("Content-Type") != "text/javascript" {
					t.Errorf("5.6 imgData of a missing image: %d %q %s", status, b, hdr.Get("Content-Type"))
				}
			} else if status != 404 || string(b) != "Image:987654321 not found" {
				t.Errorf("imgData of a missing image: %d %q", status, b)
			}
		})
	}
}

func TestRegionsIgnoreProjection(t *testing.T) {
	s, c := loggedIn(t, "demo")
	var stack int64
	for id, im := range s.Data().Images {
		if im.SizeZ > 5 && im.Levels <= 1 {
			stack = id
		}
	}
	get := func(path string) []byte {
		status, _, b := c.get(path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		return b
	}
	base := fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?region=0,0,40,40", stack)
	if !bytes.Equal(get(base), get(base+"&p=intmax")) {
		t.Error("render_image_region applied p=intmax; renderJpegRegion renders plane Z only")
	}
	img := fmt.Sprintf("/webgateway/render_image/%d/0/0/", stack)
	if bytes.Equal(get(img), get(img+"?p=intmax")) {
		t.Error("render_image ignored p=intmax")
	}
}

func TestPyramidPending(t *testing.T) {
	s, c, ids := fidelityServer(t, Options{})
	id := ids[Pyramid4xImage]
	s.Data().SetPyramidPending(id, 2, time.Time{}, 750)
	path := fmt.Sprintf("/webgateway/imgData/%d/", id)
	tile := fmt.Sprintf("/webgateway/render_image_region/%d/0/0/?tile=2,0,0", id)
	for i := 0; i < 2; i++ {
		if status, _, _ := c.get(tile); status != http.StatusInternalServerError {
			t.Errorf("a tile while the pyramid is pending: %d, want 500", status)
		}
		d := c.getJSON(path)
		ce, ok := d["ConcurrencyException"].(map[string]any)
		if !ok || ce["backOff"] != 750.0 || len(d) != 1 {
			t.Fatalf("request %d: %v, want only a ConcurrencyException with backOff 750", i, d)
		}
	}
	if d := c.getJSON(path); d["id"] != float64(id) {
		t.Errorf("after the pending requests: %v", d)
	}
	if status, _, _ := c.get(tile); status != http.StatusOK {
		t.Errorf("tile after: %d", status)
	}
	s.Data().SetPyramidPending(id, 0, time.Now().Add(time.Hour), 0)
	if d := c.getJSON(path); d["ConcurrencyException"] == nil {
		t.Errorf("pending until a time: %v", d)
	}
}

func TestRequestLineLimit(t *testing.T) {
	_, c := loggedIn(t, "demo")
	// "GET " + path + " HTTP/1.1" is 4 + len(path) + 9 bytes.
	path := "/webgateway/render_image/16/?c=1&x="
	exact := path + strings.Repeat("a", 4094-13-len(path))
	if status, _, _ := c.get(exact); status != http.StatusOK {
		t.Errorf("a request line of exactly 4094 bytes: %d", status)
	}
	status, hdr, b := c.get(exact + "a")
	if status != http.StatusBadRequest || hdr.Get("Content-Type") != "text/html" ||
		!strings.Contains(string(b), "Request Line is too large (4095 &gt; 4094)") {
		t.Errorf("4095 bytes: %d %s %q", status, hdr.Get("Content-Type"), b)
	}
	_, c2 := newClient(t, Options{LimitRequestLine: -1})
	if status, _, _ := c2.get("/api/?x=" + strings.Repeat("a", 10000)); status != http.StatusOK {
		t.Errorf("no limit: %d", status)
	}
}

func TestGetThumbnails(t *testing.T) {
	s, c := loggedIn(t, "demo")
	var ids []string
	for id := range s.Data().Images {
		ids = append(ids, fmt.Sprint(id))
		if len(ids) == 51 {
			break
		}
	}
	status, hdr, b := c.get("/webgateway/get_thumbnails/?id=" + strings.Join(ids, "&id="))
	if status != 500 || string(b) != "Max 50 thumbnails at a time." || hdr.Get("Content-Type") != "text/javascript" {
		t.Errorf("51 ids: %d %q %s", status, b, hdr.Get("Content-Type"))
	}
	s.ResetCounters()
	q := "?id=" + ids[0] + "&id=" + ids[0] + "&id=987654321&id=" + ids[1]
	got := map[string]*string{}
	_, _, b = c.get("/webgateway/get_thumbnails/" + q)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["987654321"] != nil || got[ids[0]] == nil || got[ids[1]] == nil {
		t.Errorf("thumbnails: %s", b)
	}
	if s.Requests("thumbnail_cached") != 2 || s.Requests("thumbnail_rendered") != 0 {
		t.Errorf("96 px: %d cached, %d rendered", s.Requests("thumbnail_cached"), s.Requests("thumbnail_rendered"))
	}
	c.get("/webgateway/get_thumbnails/128/" + q)
	if s.Requests("thumbnail_rendered") != 2 {
		t.Errorf("128 px: %d rendered, want 2", s.Requests("thumbnail_rendered"))
	}
}

func TestGroupListsComeWith57(t *testing.T) {
	for _, v := range WebVersions() {
		_, c, _ := fidelityServer(t, Options{WebVersion: v})
		status, _, _ := c.get("/api/v0/m/experimentergroups/")
		base := c.getJSON("/api/v0/")
		_, listed := base["url:experimentergroups"]
		if old := v == "5.6"; (status == http.StatusNotFound) != old || listed == old {
			t.Errorf("%s: experimentergroups %d, listed in discovery %v", v, status, listed)
		}
	}
}
