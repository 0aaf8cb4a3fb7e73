package gateway

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

func fidelityConn(t *testing.T, opts testserver.Options, timeout time.Duration) (*testserver.Server, *Conn, map[string]int64) {
	t.Helper()
	opts.Data = testserver.DemoData()
	ids := testserver.AddFidelityImages(opts.Data)
	ts, hs := startServer(t, opts)
	return ts, connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Timeout: timeout}), ids
}

// TestImgDataWaitsForAPendingPyramid: while the server builds a pyramid,
// imgData answers a ConcurrencyException; the client asks again after its
// backOff, and past the request timeout says so with ErrPyramidPending.
func TestImgDataWaitsForAPendingPyramid(t *testing.T) {
	ts, c, ids := fidelityConn(t, testserver.Options{}, 2*time.Second)
	id := ids[testserver.Pyramid4xImage]
	ts.Data().SetPyramidPending(id, 2, time.Time{}, 100)
	d, err := c.ImgData(context.Background(), id)
	if err != nil || d.ID != id {
		t.Fatalf("imgData after two pending answers: %v", err)
	}
	if n := ts.Requests("imgData"); n != 3 {
		t.Errorf("%d imgData requests, want 3", n)
	}
	ts.Data().SetPyramidPending(id, 0, time.Now().Add(time.Hour), 400)
	start := time.Now()
	_, err = c.ImgData(context.Background(), id)
	if !errors.Is(err, ErrPyramidPending) || errors.Is(err, ErrBadResponse) {
		t.Fatalf("a pyramid still pending: %v, want ErrPyramidPending", err)
	}
	if !strings.Contains(err.Error(), "still building") {
		t.Errorf("error %q does not say the pyramid is being built", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %v; the request timeout is 2s", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ImgData(ctx, id); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestImgDataOfAMissingImageByVersion: 5.6 answers 500 `""`, later 404.
func TestImgDataOfAMissingImageByVersion(t *testing.T) {
	for _, v := range testserver.WebVersions() {
		_, c, _ := fidelityConn(t, testserver.Options{WebVersion: v}, 5*time.Second)
		if _, err := c.ImgData(context.Background(), 987654321); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: imgData of a missing image: %v, want ErrNotFound", v, err)
		}
	}
}

// TestThumbnailsNullAndLimit: get_thumbnails answers null for an id it
// cannot read (no thumbnail, no error) and 500 above 50 ids.
func TestThumbnailsNullAndLimit(t *testing.T) {
	ts, c, ids := fidelityConn(t, testserver.Options{}, 5*time.Second)
	got, err := c.Thumbnails(context.Background(), []int64{ids[testserver.MultiplexedImage], 987654321}, 96)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[ids[testserver.MultiplexedImage]]) == 0 {
		t.Errorf("thumbnails: %d, want the one readable", len(got))
	}
	if ts.Requests("thumbnail_rendered") != 0 || ts.Requests("thumbnail_cached") != 1 {
		t.Errorf("96 px: %d rendered, %d cached", ts.Requests("thumbnail_rendered"), ts.Requests("thumbnail_cached"))
	}
	many := make([]int64, 51)
	for i := range many {
		many[i] = int64(i + 1)
	}
	if _, err := c.Thumbnails(context.Background(), many, 96); err == nil {
		t.Error("51 ids accepted")
	}
}

// TestGroupByNameOnOldServers: OMERO.web 5.6 has no group list; the error
// says to give the group's id.
func TestGroupByNameOnOldServers(t *testing.T) {
	_, c, _ := fidelityConn(t, testserver.Options{WebVersion: "5.6"}, 5*time.Second)
	_, err := c.GroupByName(context.Background(), "Demo Lab")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "group's id") {
		t.Errorf("5.6: %v", err)
	}
	_, c, _ = fidelityConn(t, testserver.Options{WebVersion: "5.20"}, 5*time.Second)
	if id, err := c.GroupByName(context.Background(), "Demo Lab"); err != nil || id == 0 {
		t.Errorf("5.20: %d, %v", id, err)
	}
}

// TestRequestLineTooLargeSaysSo: gunicorn's refusal of a long request line
// reaches the error with its own words.
func TestRequestLineTooLargeSaysSo(t *testing.T) {
	_, c, ids := fidelityConn(t, testserver.Options{}, 5*time.Second)
	q := url.Values{"c": {strings.Repeat("1,", 2100) + "1"}}
	_, err := c.RenderImage(context.Background(), ids[testserver.MultiplexedImage], 0, 0, q)
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "Request Line is too large (") || !strings.Contains(err.Error(), " > 4094)") {
		t.Errorf("a too long request line: %v", err)
	}
}
