package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// tieServer is a public OMERO.web fake whose images tie on name in threes
// and whose order among ties flips with every list request, as a database
// free to order equal keys as it likes may do. Page boundaries (500, 1000)
// fall inside a tie group, so a single pass misses some images and repeats
// others.
type tieServer struct {
	n     int
	mu    sync.Mutex
	lists int
}

func (s *tieServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/":
		w.Write([]byte(`{"data":[{"version":"0","url:base":"http://x/api/v0/"}]}`))
		return
	case "/api/v0/m/projects/":
		w.Write([]byte(`{"data":[],"meta":{"offset":0,"limit":1,"maxLimit":500,"totalCount":0}}`))
		return
	case "/api/v0/m/datasets/7/images/":
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"not found"}`))
		return
	}
	s.mu.Lock()
	s.lists++
	flip := s.lists%2 == 0
	s.mu.Unlock()
	ids := make([]int64, s.n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	group := func(id int64) int64 { return (id - 1) / 3 }
	sort.Slice(ids, func(i, j int) bool {
		if gi, gj := group(ids[i]), group(ids[j]); gi != gj {
			return gi < gj
		}
		if flip {
			return ids[i] > ids[j]
		}
		return ids[i] < ids[j]
	})
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	end := min(offset+limit, len(ids))
	data := []map[string]any{}
	for _, id := range ids[min(offset, len(ids)):end] {
		data = append(data, map[string]any{
			"@id": id, "@type": "http://www.openmicroscopy.org/Schemas/OME/2016-06#Image",
			"Name": "tie_" + strconv.FormatInt(group(id), 10) + ".tif",
			"Pixels": map[string]any{"@id": id, "SizeX": 8, "SizeY": 8, "SizeZ": 1, "SizeC": 1, "SizeT": 1,
				"Type": map[string]any{"value": "uint8"}},
		})
	}
	json.NewEncoder(w).Encode(map[string]any{"data": data,
		"meta": map[string]any{"offset": offset, "limit": limit, "maxLimit": 500, "totalCount": len(ids)}})
}

// TestPagingTiesReordered: no single pass over the flipping server is
// complete, yet the listing has every image exactly once, in a bounded
// number of requests.
func TestPagingTiesReordered(t *testing.T) {
	ts := &tieServer{n: 1200}
	hs := httptest.NewServer(ts)
	defer hs.Close()
	c := connect(t, Config{BaseURL: hs.URL})
	ims, err := c.Images(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, im := range ims {
		if seen[im.ID] {
			t.Fatalf("image %d listed twice", im.ID)
		}
		seen[im.ID] = true
	}
	if len(seen) != ts.n {
		t.Fatalf("listed %d distinct images of %d", len(seen), ts.n)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.lists <= 3 || ts.lists > 3*listAttempts {
		t.Errorf("%d list requests: want more than one pass (the first is incomplete) and at most %d", ts.lists, 3*listAttempts)
	}
}

// TestConnectionRefused: a port nobody listens on gives a transport error
// naming the address, after the one retry.
func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Connect(context.Background(), Config{BaseURL: "http://" + addr + "/omero/"})
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if !errors.Is(err, errTransport) {
		t.Errorf("refused connection: got %v, want a transport error", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the address", err)
	}
}
