package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/testserver"
)

func quietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	return l
}

func startServer(t *testing.T, opts testserver.Options) (*testserver.Server, *testserver.Running) {
	t.Helper()
	hs := testserver.Start(t, opts)
	return hs.Server, hs
}

func connect(t *testing.T, cfg Config) *Conn {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	c, err := Connect(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPasswordLogin(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	if ec := c.EventContext(); ec == nil || ec.UserName != "demo" || len(ec.MemberOfGroups) != 2 {
		t.Fatalf("event context %+v", ec)
	}
	if ts.Requests("token") != 1 || ts.Requests("login") != 1 {
		t.Errorf("login took %d token and %d login requests", ts.Requests("token"), ts.Requests("login"))
	}
	ps, err := c.Projects(context.Background())
	if err != nil || len(ps) == 0 {
		t.Fatalf("projects: %d, %v", len(ps), err)
	}
}

func TestLoginFailures(t *testing.T) {
	_, hs := startServer(t, testserver.Options{})
	_, err := Connect(context.Background(), Config{BaseURL: hs.URL, Username: "demo", Password: "wrong", Logger: quietLogger()})
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "check your user name and password") {
		t.Errorf("bad password: %v", err)
	}
	_, err = Connect(context.Background(), Config{BaseURL: hs.URL, Logger: quietLogger()})
	if !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "needs a login") {
		t.Errorf("no credentials on a private server: %v", err)
	}
	_, err = Connect(context.Background(), Config{BaseURL: hs.URL + "/nothing-here/", Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "not an OMERO.web") {
		t.Errorf("wrong address: %v", err)
	}
	for _, bad := range []string{"", "omero.example.org", "ftp://host/", "http://"} {
		if _, err := Connect(context.Background(), Config{BaseURL: bad}); err == nil {
			t.Errorf("Connect(%q) accepted", bad)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Connect(ctx, Config{BaseURL: "http://127.0.0.1:1/", Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable: %v", err)
	}
}

// TestCSRFIsEnforced logs in by hand without the token, then with a wrong
// one: both refused; with the token the same form succeeds.
func TestCSRFIsEnforced(t *testing.T) {
	_, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "alice", Password: "alice"})
	form := strings.NewReader("username=alice&password=alice&server=1")
	resp, err := http.Post(hs.URL+"/api/v0/login/", "application/x-www-form-urlencoded", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF: HTTP %d, want 403", resp.StatusCode)
	}
	tok, err := c.csrfToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := c.roundTrip(context.Background(), request{method: http.MethodPost, path: apiBase + "login/",
		form: map[string][]string{"username": {"alice"}, "password": {"alice"}}, headers: map[string]string{"X-CSRFToken": strings.Repeat("x", 32)}})
	if err != nil || r.status != http.StatusForbidden || !strings.Contains(string(r.body), "CSRF") {
		t.Errorf("login with a wrong token: %v %v", r, err)
	}
	r, _, err = c.roundTrip(context.Background(), request{method: http.MethodPost, path: apiBase + "login/",
		form: map[string][]string{"username": {"alice"}, "password": {"alice"}, "server": {"1"}}, headers: map[string]string{"X-CSRFToken": tok}})
	if err != nil || r.status != http.StatusOK {
		t.Errorf("login with the token: %v %v", r, err)
	}
}

func TestPublicAndSessionKeyAccess(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{Public: true})
	pub := connect(t, Config{BaseURL: hs.URL})
	if pub.EventContext() != nil {
		t.Error("public access has an event context")
	}
	if ps, err := pub.Projects(context.Background()); err != nil || len(ps) == 0 {
		t.Fatalf("public projects: %d, %v", len(ps), err)
	}
	key := ts.NewSessionKey("bob")
	sk := connect(t, Config{BaseURL: hs.URL, SessionKey: key})
	screens, err := sk.Screens(context.Background())
	if err != nil || len(screens) != 1 {
		t.Fatalf("bob's screens through his session key: %d, %v", len(screens), err)
	}
	_, err = Connect(context.Background(), Config{BaseURL: hs.URL, SessionKey: "no-such-key", Logger: quietLogger()})
	if err == nil {
		// public mode lets anything in; a private server must refuse it
		t.Log("public server accepted an unknown key as public access")
	}
	_, hs2 := startServer(t, testserver.Options{})
	if _, err := Connect(context.Background(), Config{BaseURL: hs2.URL, SessionKey: "no-such-key", Logger: quietLogger()}); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("unknown session key on a private server: %v", err)
	}
}

func datasetID(t *testing.T, c *Conn, name string) int64 {
	t.Helper()
	ps, err := c.Projects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		ds, err := c.Datasets(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Name != nil && *d.Name == name {
				return d.ID
			}
		}
	}
	t.Fatalf("no dataset %q", name)
	return 0
}

// TestPaging1200 lists the 1,200-image dataset, whose names tie in fours:
// three requests (500 + 500 + 200), every image once.
func TestPaging1200(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	id := datasetID(t, c, "1200 images")
	before := ts.Requests("api_list")
	ims, err := c.Images(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if n := ts.Requests("api_list") - before; n != 3 {
		t.Errorf("%d list requests for 1,200 images, want 3", n)
	}
	want := map[int64]bool{}
	for _, x := range ts.Data().ImageIDsOf(id) {
		want[x] = true
	}
	got := map[int64]bool{}
	for _, im := range ims {
		if got[im.ID] {
			t.Fatalf("image %d listed twice", im.ID)
		}
		got[im.ID] = true
		if !want[im.ID] {
			t.Fatalf("image %d is not in the dataset", im.ID)
		}
		if im.Pixels == nil || im.Pixels.SizeX == 0 {
			t.Fatalf("image %d listed without Pixels", im.ID)
		}
	}
	if len(got) != len(want) || len(want) != 1200 {
		t.Fatalf("listed %d of %d", len(got), len(want))
	}
}

// shufflingServer wraps a server and can change its data after a given
// page (ties reordered between pages are tested with tieServer).
type shufflingServer struct {
	inner  http.Handler
	mu     sync.Mutex
	pages  int
	onPage func(n int)
}

func (s *shufflingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/images/") && r.URL.Query().Get("offset") != "" {
		s.mu.Lock()
		s.pages++
		n := s.pages
		s.mu.Unlock()
		if s.onPage != nil {
			s.onPage(n)
		}
	}
	s.inner.ServeHTTP(w, r)
}

// TestPagingSurvivesChanges adds an image while the listing is paged: the
// count changes, the client reads again, and the result has every image
// once, the new one included.
func TestPagingSurvivesChanges(t *testing.T) {
	ts := testserver.New(testserver.Options{})
	sh := &shufflingServer{inner: ts}
	hs := httptest.NewServer(sh)
	defer hs.Close()
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	id := datasetID(t, c, "1200 images")
	ids := ts.Data().ImageIDsOf(id)
	var added int64
	sh.onPage = func(n int) {
		if n == 2 { // after the first page: a new image sorts first, shifting every offset
			added = ts.Data().AddImage(id, "aaa_new.tif", ids[0])
		}
	}
	ims, err := c.Images(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, im := range ims {
		if seen[im.ID] {
			t.Fatalf("image %d twice", im.ID)
		}
		seen[im.ID] = true
	}
	if len(seen) != 1201 || !seen[added] {
		t.Fatalf("got %d images (new one seen: %v), want 1201", len(seen), seen[added])
	}
}

func TestErrorClasses(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Timeout: 2 * time.Second})
	ctx := context.Background()
	if _, err := c.Image(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	if _, err := c.ImgData(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing imgData: %v", err)
	}
	cases := []struct {
		fault testserver.Fault
		want  error
	}{
		{testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 500, Count: 2}, ErrServer},
		{testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 502, Count: 2}, ErrServer},
		{testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 503, Count: 2}, ErrServer},
		{testserver.Fault{Match: "api_list", Kind: testserver.MalformedJSON, Count: 2}, ErrBadResponse},
		{testserver.Fault{Match: "api_list", Kind: testserver.WrongShapeJSON, Count: 2}, ErrBadResponse},
		{testserver.Fault{Match: "api_list", Kind: testserver.TruncateBody, Count: 2}, errTransport},
		{testserver.Fault{Match: "api_list", Kind: testserver.DropConnection, Count: 2}, errTransport},
		{testserver.Fault{Match: "api_list", Kind: testserver.ResetMidBody, Count: 2}, errTransport},
		{testserver.Fault{Match: "api_list", Kind: testserver.Latency, Delay: 5 * time.Second, Count: 2}, context.DeadlineExceeded},
		{testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 403, Count: 1}, ErrForbidden},
		{testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 400, Count: 1}, ErrBadRequest},
	}
	for _, cs := range cases {
		ts.ClearFaults()
		ts.SetFault(cs.fault)
		_, err := c.Projects(ctx)
		if !errors.Is(err, cs.want) {
			t.Errorf("fault %+v: got %v, want %v", cs.fault, err, cs.want)
		}
	}
	ts.ClearFaults()
	// One transient failure is retried away.
	ts.SetFault(testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 503, Count: 1})
	if _, err := c.Projects(ctx); err != nil {
		t.Errorf("a single 503 was not retried: %v", err)
	}
	// A redirect to the login page (webgateway, expired session, no re-login possible).
	ts.SetFault(testserver.Fault{Match: "render_image", Kind: testserver.Status, Status: 500, Count: 2})
	if _, err := c.RenderImage(ctx, 1, 0, 0, nil); !errors.Is(err, ErrServer) && !errors.Is(err, ErrNotFound) {
		t.Errorf("render error: %v", err)
	}
	if err := classify(302, nil, "/webclient/login/?url=/x", "u"); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("302 to login: %v", err)
	}
	if err := classify(403, nil, "", "u"); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("403 with no body (XHR expiry): %v", err)
	}
	if err := classify(403, []byte(`{"message":"Not logged in"}`), "", "u"); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("403 Not logged in: %v", err)
	}
}

// TestReloginOnceFor50 expires the session and lets 50 requests find it at
// once: exactly one login follows, and every request succeeds.
func TestReloginOnceFor50(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo", MaxRequests: 50})
	ts.ExpireSessions()
	before := ts.Requests("login")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.Screens(context.Background())
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("request after expiry: %v", err)
		}
	}
	if n := ts.Requests("login") - before; n != 1 {
		t.Fatalf("%d logins after one expiry, want 1", n)
	}
	if _, relogins, _ := c.Snapshot(); relogins != 1 {
		t.Fatalf("%d re-logins counted, want 1", relogins)
	}
	// Webgateway expiry (302 to the login page) is renewed too.
	ts.ExpireSessions()
	if _, err := c.ImgData(context.Background(), 20); err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatalf("imgData after expiry: %v", err)
	}
	if n := ts.Requests("login") - before; n != 2 {
		t.Fatalf("%d logins after two expiries, want 2", n)
	}
}

func TestSessionKeyRejoinsAfterExpiry(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	key := ts.NewSessionKey("demo")
	c := connect(t, Config{BaseURL: hs.URL, SessionKey: key})
	ts.ExpireSessions()
	// The OMERO session itself is dead: rejoining must fail clearly.
	if _, err := c.Projects(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("dead session key: %v", err)
	}
}

// burst makes 20 requests at once, each held delay by the server, after
// resetting its counters, and returns when all are answered.
func burst(ts *testserver.Server, c *Conn, delay time.Duration) {
	ts.SetFault(testserver.Fault{Match: "api_get", Kind: testserver.Latency, Delay: delay})
	ts.ResetCounters()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Image(context.Background(), 20) }()
	}
	wg.Wait()
}

func TestBoundedConcurrency(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo", MaxRequests: 3})
	burst(ts, c, 50*time.Millisecond)
	if p := ts.MaxConcurrent(); p > 3 {
		t.Fatalf("%d requests in flight, limit 3", p)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	_, hs := startServer(t, testserver.Options{})
	base := fusetest.SteadyGoroutines()
	for i := 0; i < 3; i++ {
		c, err := Connect(context.Background(), Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		c.Projects(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c.Screens(ctx)
		c.Close()
	}
	hs.CloseClientConnections()
	fusetest.WaitGoroutines(t, base)
}

func TestGroupByName(t *testing.T) {
	_, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	id, err := c.GroupByName(context.Background(), "Imaging Facility")
	if err != nil {
		t.Fatal(err)
	}
	c.SetGroupFilter(id)
	ps, err := c.Projects(context.Background())
	if err != nil || len(ps) != 1 || *ps[0].Name != "Facility QC" {
		t.Fatalf("projects of the facility group: %d, %v", len(ps), err)
	}
	if _, err := c.GroupByName(context.Background(), "Nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "Demo Lab") {
		t.Fatalf("unknown group: %v", err)
	}
}
