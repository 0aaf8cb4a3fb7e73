package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

// TestSessionKeyOnTwoServers: an OMERO.web with two servers refuses a
// ?bsession= join that does not name its server; the client always does.
func TestSessionKeyOnTwoServers(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{Servers: 2})
	key := ts.NewSessionKey("demo")
	c := connect(t, Config{BaseURL: hs.URL, SessionKey: key})
	if ps, err := c.Projects(context.Background()); err != nil || len(ps) == 0 {
		t.Fatalf("projects through a joined session: %d, %v", len(ps), err)
	}
	_, err := Connect(context.Background(), Config{BaseURL: hs.URL, SessionKey: key, ServerID: 2, Logger: quietLogger()})
	if !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "server 2") {
		t.Errorf("a server-1 key on server 2: %v", err)
	}
}

// TestHTTPSLogoutEndsTheSession: over HTTPS the logout POST carries the
// Referer Django wants, so closing the connection closes the OMERO session.
func TestHTTPSLogoutEndsTheSession(t *testing.T) {
	ts := testserver.New(testserver.Options{})
	hs := httptest.NewTLSServer(ts)
	defer hs.Close()
	c, err := Connect(context.Background(), Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Insecure: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if n := ts.LiveSessions("demo"); n != 1 {
		t.Fatalf("%d live sessions after login, want 1", n)
	}
	c.Close()
	if n := ts.LiveSessions("demo"); n != 0 {
		t.Fatalf("%d live sessions after Close over HTTPS: the logout was refused", n)
	}
	if got := ts.Requests("logout"); got != 1 {
		t.Errorf("%d logout requests, want 1", got)
	}
}

// TestPublicForbiddenImageNoRelogin: to the public user, imgData of an
// image it may not see is an empty 403; that is "forbidden", not an expired
// session to renew.
func TestPublicForbiddenImageNoRelogin(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{Public: true})
	c := connect(t, Config{BaseURL: hs.URL})
	var hidden int64
	for id, im := range ts.Data().Images {
		if im.GroupID != ts.Data().Experimenters[userID(t, ts, "public")].Groups[0] {
			hidden = id
			break
		}
	}
	if hidden == 0 {
		t.Fatal("no image hidden from the public user")
	}
	before := ts.TotalRequests()
	_, err := c.ImgData(context.Background(), hidden)
	if !errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("hidden image: %v, want forbidden", err)
	}
	if _, relogins, _ := c.Snapshot(); relogins != 0 {
		t.Errorf("%d re-logins for a forbidden image", relogins)
	}
	if n := ts.TotalRequests() - before; n != 1 {
		t.Errorf("%d requests for one forbidden image, want 1", n)
	}
}

func userID(t *testing.T, ts *testserver.Server, name string) int64 {
	t.Helper()
	for id, e := range ts.Data().Experimenters {
		if e.UserName == name {
			return id
		}
	}
	t.Fatalf("no user %s", name)
	return 0
}

// TestPublicFilterWithoutAPI: a server whose public URLs are /webgateway/
// only gets a one-line error naming the setting.
func TestPublicFilterWithoutAPI(t *testing.T) {
	_, hs := startServer(t, testserver.Options{Public: true, PublicURLFilter: regexp.MustCompile(`^/webgateway/`)})
	_, err := Connect(context.Background(), Config{BaseURL: hs.URL, Logger: quietLogger()})
	if !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(err.Error(), "omero.web.public.url_filter") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("webgateway-only public server: %v", err)
	}
	_, hs2 := startServer(t, testserver.Options{})
	if _, err := Connect(context.Background(), Config{BaseURL: hs2.URL, Logger: quietLogger()}); err == nil || strings.Contains(err.Error(), "url_filter") {
		t.Errorf("private server: %v", err)
	}
}

// TestKeepAliveRenewsAGoneSession: "Connection Failed" from the ping means
// the session is gone: one login renews it.
func TestKeepAliveRenewsAGoneSession(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	if err := c.KeepAlive(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := ts.Requests("login")
	ts.ExpireSessions()
	if err := c.KeepAlive(context.Background()); err != nil {
		t.Fatalf("keepalive after expiry: %v", err)
	}
	if n := ts.Requests("login") - before; n != 1 {
		t.Fatalf("%d logins after the ping found the session gone, want 1", n)
	}
	if err := c.KeepAlive(context.Background()); err != nil || ts.Requests("login")-before != 1 {
		t.Fatalf("keepalive on the renewed session: %v", err)
	}
	key := ts.NewSessionKey("demo")
	sk := connect(t, Config{BaseURL: hs.URL, SessionKey: key})
	ts.ExpireSessions()
	if err := sk.KeepAlive(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("keepalive of a dead session key: %v", err)
	}
}

// TestDefaultConcurrencyFitsTheWorkers: with OMERO.web's default 5 workers,
// the default bound never makes a request queue.
func TestDefaultConcurrencyFitsTheWorkers(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{Workers: 5})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	burst(ts, c, 20*time.Millisecond)
	if p := ts.MaxConcurrent(); p > DefaultMaxRequests || p < 2 {
		t.Errorf("peak %d requests in flight, want 2..%d", p, DefaultMaxRequests)
	}
	if q := ts.MaxQueued(); q != 0 {
		t.Errorf("%d requests queued for a worker", q)
	}
}
