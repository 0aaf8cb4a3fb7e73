package testserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// post sends a form with the given headers and returns status and body.
func (c *client) post(path string, form url.Values, headers map[string]string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func message(b []byte) string {
	var m struct{ Message string }
	json.Unmarshal(b, &m)
	return m.Message
}

var demoLogin = url.Values{"username": {"demo"}, "password": {"demo"}, "server": {"1"}}

// TestCSRFTokensAreMasked: the token differs from the cookie and from the
// previous token, unmasks to the cookie's secret, and both forms pass.
func TestCSRFTokensAreMasked(t *testing.T) {
	_, c := newClient(t, Options{})
	t1, t2 := c.token(), c.token()
	secret := c.cookie("csrftoken")
	if len(t1) != 64 || len(secret) != 32 || t1 == t2 || strings.Contains(t1, secret) {
		t.Fatalf("token %q, %q; cookie %q: want 64-character masked tokens, a 32-character cookie", t1, t2, secret)
	}
	if UnmaskCSRFToken(t1) != secret || UnmaskCSRFToken(t2) != secret {
		t.Fatalf("tokens unmask to %q, %q, cookie %q", UnmaskCSRFToken(t1), UnmaskCSRFToken(t2), secret)
	}
	for _, tok := range []string{t1, secret} {
		if status, _, b := c.post("/api/v0/login/", demoLogin, map[string]string{"X-CSRFToken": tok}); status != http.StatusOK {
			t.Errorf("login with %d-character token: %d %s", len(tok), status, b)
		}
	}
	cases := map[string]string{
		strings.Repeat("x", 64): "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
		"short":                 "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
		strings.Repeat("-", 32): "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
	}
	for tok, want := range cases {
		status, h, b := c.post("/api/v0/login/", demoLogin, map[string]string{"X-CSRFToken": tok})
		if status != http.StatusForbidden || message(b) != want || !strings.Contains(h.Get("Content-Type"), "json") {
			t.Errorf("token %q: %d %s; want 403 %q", tok, status, b, want)
		}
	}
	form := url.Values{"csrfmiddlewaretoken": {strings.Repeat("y", 32)}}
	for k, v := range demoLogin {
		form[k] = v
	}
	if _, _, b := c.post("/api/v0/login/", form, nil); message(b) != "CSRF Failed: CSRF token from POST incorrect." {
		t.Errorf("wrong form token: %s", b)
	}
	_, fresh := newClient(t, Options{})
	if _, _, b := fresh.post("/api/v0/login/", demoLogin, map[string]string{"X-CSRFToken": t1}); message(b) != "CSRF Failed: CSRF cookie not set." {
		t.Errorf("no cookie: %s", b)
	}
}

// TestCSRFRefererUnderTLS: over HTTPS, Django wants an Origin or a Referer
// of the same host before it looks at the token.
func TestCSRFRefererUnderTLS(t *testing.T) {
	hs := httptest.NewTLSServer(New(Options{}))
	defer hs.Close()
	hc := hs.Client()
	hc.Jar, _ = cookiejar.New(nil)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &client{t: t, base: hs.URL, hc: hc}
	tok := c.token()
	host := strings.TrimPrefix(hs.URL, "https://")
	cases := []struct {
		headers map[string]string
		want    string // "" = accepted
	}{
		{map[string]string{}, "CSRF Failed: Referer checking failed - no Referer."},
		{map[string]string{"Referer": "not a url"}, "CSRF Failed: Referer checking failed - Referer is malformed."},
		{map[string]string{"Referer": "http://" + host + "/"}, "CSRF Failed: Referer checking failed - Referer is insecure while host is secure."},
		{map[string]string{"Referer": "https://evil.example.org/"}, "CSRF Failed: Referer checking failed - https://evil.example.org/ does not match any trusted origins."},
		{map[string]string{"Origin": "https://evil.example.org"}, "CSRF Failed: Origin checking failed - https://evil.example.org does not match any trusted origins."},
		{map[string]string{"Origin": "https://" + host}, ""},
		{map[string]string{"Referer": hs.URL + "/omero/"}, ""},
	}
	for _, cs := range cases {
		cs.headers["X-CSRFToken"] = tok
		status, _, b := c.post("/api/v0/login/", demoLogin, cs.headers)
		switch {
		case cs.want == "" && status != http.StatusOK:
			t.Errorf("%v: %d %s, want 200", cs.headers, status, b)
		case cs.want != "" && (status != http.StatusForbidden || message(b) != cs.want):
			t.Errorf("%v: %d %s, want 403 %q", cs.headers, status, b, cs.want)
		}
	}
	// Plain HTTP checks no Referer.
	_, plain := newClient(t, Options{})
	if status, _, b := plain.post("/api/v0/login/", demoLogin, map[string]string{"X-CSRFToken": plain.token()}); status != http.StatusOK {
		t.Errorf("HTTP login without Referer: %d %s", status, b)
	}
}

// TestLogoutEndsTheSession: GET asks, POST (with CSRF) closes the OMERO
// session; without CSRF nothing happens.
func TestLogoutEndsTheSession(t *testing.T) {
	s, c := newClient(t, Options{})
	if status, _, b := c.post("/api/v0/login/", demoLogin, map[string]string{"X-CSRFToken": c.token()}); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, b)
	}
	status, h, b := c.get("/webclient/logout/")
	if status != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "html") || !strings.Contains(string(b), "<form") {
		t.Errorf("GET logout: %d %s %.80s", status, h.Get("Content-Type"), b)
	}
	if status, _, b := c.post("/webclient/logout/", url.Values{}, nil); status != http.StatusForbidden || message(b) != "CSRF Failed: CSRF token missing." {
		t.Errorf("logout without a token: %d %s", status, b)
	}
	if n := s.LiveSessions("demo"); n != 1 {
		t.Fatalf("%d live sessions before logout, want 1", n)
	}
	status, h, _ = c.post("/webclient/logout/", url.Values{}, map[string]string{"X-CSRFToken": c.token()})
	if status != http.StatusFound || h.Get("Location") != "/webclient/login/" {
		t.Errorf("logout: %d to %q", status, h.Get("Location"))
	}
	if n := s.LiveSessions("demo"); n != 0 {
		t.Errorf("%d live sessions after logout", n)
	}
	status, h, _ = c.get("/webclient/logout/")
	if status != http.StatusFound || h.Get("Location") != "/webclient/login/?url=%2Fwebclient%2F" {
		t.Errorf("GET logout when logged out: %d to %q", status, h.Get("Location"))
	}
	if _, h, b := c.get("/webclient/keepalive_ping/"); string(b) != "Connection Failed" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("keepalive after logout: %q (%s)", b, h.Get("Content-Type"))
	}
}

// TestLoginFormErrors: the LoginForm's messages, fields in form order.
func TestLoginFormErrors(t *testing.T) {
	_, c := newClient(t, Options{Servers: 2})
	tok := c.token()
	cases := []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"username": {"demo"}, "password": {"demo"}}, 403, "Server: This field is required."},
		{url.Values{"server": {"1"}}, 403, "Username: This field is required. Password: This field is required."},
		{url.Values{"username": {"guest"}, "password": {"x"}, "server": {"1"}}, 403, "Username: Guest account is not supported."},
		{url.Values{"username": {"demo"}, "password": {"demo"}, "server": {"3"}}, 403, "Server: Select a valid choice. That choice is not one of the available choices."},
		{url.Values{"username": {"demo"}, "password": {"demo"}, "server": {"one"}}, 500, ""},
		{url.Values{"username": {"demo"}, "password": {"demo"}, "server": {"2"}}, 200, ""},
	}
	for _, cs := range cases {
		status, _, b := c.post("/api/v0/login/", cs.form, map[string]string{"X-CSRFToken": tok})
		if status != cs.status || (cs.want != "" && message(b) != cs.want) {
			t.Errorf("%v: %d %s; want %d %q", cs.form, status, b, cs.status, cs.want)
		}
	}
}

// TestBsessionNeedsServerWithTwo: with two servers a join names its server;
// with one it may leave it out.
func TestBsessionNeedsServerWithTwo(t *testing.T) {
	s, c := newClient(t, Options{Servers: 2})
	if d := c.getJSON("/api/v0/servers/")["data"].([]any); len(d) != 2 {
		t.Fatalf("servers: %v", d)
	}
	key := s.NewSessionKey("demo")
	if status, _, b := c.get("/api/v0/m/projects/?bsession=" + key); status != http.StatusForbidden || message(b) != "Not logged in" {
		t.Errorf("join without server on two servers: %d %s", status, b)
	}
	if status, _, _ := c.get("/api/v0/m/projects/?server=2&bsession=" + key); status != http.StatusForbidden {
		t.Errorf("join of a server-1 session on server 2: %d", status)
	}
	if status, _, b := c.get("/api/v0/m/projects/?server=1&bsession=" + key); status != http.StatusOK {
		t.Errorf("join with server=1: %d %s", status, b)
	}
	s1, c1 := newClient(t, Options{})
	if status, _, _ := c1.get("/api/v0/m/projects/?bsession=" + s1.NewSessionKey("demo")); status != http.StatusOK {
		t.Errorf("join without server on one server: %d", status)
	}
}

// invisibleToPublic is an image the public user may not see.
func invisibleToPublic(t *testing.T, s *Server) int64 {
	t.Helper()
	pub := s.userByName("public")
	for id, im := range s.Data().Images {
		if !s.visible(pub, im.Owned, nil) {
			return id
		}
	}
	t.Fatal("every image is public")
	return 0
}

// TestPublicURLFilter: public access covers GETs of the filter's paths
// only; imgData of an image the public user cannot see is an empty 403.
func TestPublicURLFilter(t *testing.T) {
	s, c := newClient(t, Options{Public: true, PublicURLFilter: regexp.MustCompile(`^/webgateway/`)})
	hidden := invisibleToPublic(t, s)
	if status, _, b := c.get("/webgateway/imgData/16/"); status != http.StatusOK {
		t.Fatalf("public imgData: %d %.100s", status, b)
	}
	if status, _, b := c.get("/webgateway/proj/list/"); status != http.StatusOK || !strings.HasPrefix(string(b), `[{"description":`) {
		t.Errorf("public proj/list: %d %.100s", status, b)
	}
	_, private := newClient(t, Options{})
	if status, h, _ := private.get("/webgateway/proj/list/"); status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/webclient/login/") {
		t.Errorf("proj/list on a private server: %d %s", status, h.Get("Location"))
	}
	// Even with the public web session's cookie, /api/ is not public.
	if status, _, b := c.get("/api/v0/m/projects/"); status != http.StatusForbidden || message(b) != "Not logged in" {
		t.Errorf("API outside the filter: %d %s", status, b)
	}
	if status, _, b := c.get(fmt.Sprintf("/webgateway/imgData/%d/", hidden)); status != http.StatusForbidden || len(b) != 0 {
		t.Errorf("hidden image to the public user: %d %q, want an empty 403", status, b)
	}
	// A logged-in user gets the 404 for the same image.
	_, in := loggedIn(t, "demo")
	if status, _, _ := in.get("/webgateway/imgData/123456789/"); status != http.StatusNotFound {
		t.Errorf("missing image to a user: %d", status)
	}
	_, all := newClient(t, Options{Public: true})
	if status, _, _ := all.get("/api/v0/m/projects/"); status != http.StatusOK {
		t.Errorf("no filter: API refused: %d", status)
	}
}

// TestNonIntegerParametersAre500: group= and the parent filters are read
// outside get_opts' try.
func TestNonIntegerParametersAre500(t *testing.T) {
	_, c := loggedIn(t, "demo")
	for _, q := range []string{"group=abc", "dataset=x"} {
		status, _, b := c.get("/api/v0/m/images/?" + q)
		if status != http.StatusInternalServerError || !strings.Contains(message(b), "invalid literal for int()") {
			t.Errorf("%s: %d %s", q, status, b)
		}
	}
	if status, _, _ := c.get("/api/v0/m/images/?owner=abc"); status != http.StatusBadRequest {
		t.Errorf("owner=abc: %d, want 400", status)
	}
}

// TestObjectLinks: what each view adds, and no DimensionOrder (never fetched).
func TestObjectLinks(t *testing.T) {
	s, c := loggedIn(t, "demo")
	list := c.getJSON("/api/v0/m/images/?limit=3")["data"].([]any)
	for _, im := range list {
		if _, ok := im.(map[string]any)["Pixels"].(map[string]any)["DimensionOrder"]; ok {
			t.Error("listed image has DimensionOrder")
		}
	}
	id := int64(list[0].(map[string]any)["@id"].(float64))
	one := c.getJSON(fmt.Sprintf("/api/v0/m/images/%d/", id))["data"].(map[string]any)
	requireKeys(t, "image", one, "url:datasets", "url:rois")
	if _, ok := one["url:image"]; ok {
		t.Error("a single image has url:image")
	}
	if _, ok := one["Pixels"].(map[string]any)["DimensionOrder"]; ok {
		t.Error("single image has DimensionOrder")
	}
	var plate, empty int64
	for pid, p := range s.Data().Plates {
		if len(p.Wells) > 0 {
			plate = pid
		}
	}
	name := "Empty plate"
	empty = 999001
	s.Data().mu.Lock()
	src := s.Data().Plates[plate]
	s.Data().Plates[empty] = &Plate{Owned: Owned{ID: empty, Name: &name, OwnerID: src.OwnerID, GroupID: src.GroupID}, Rows: 8, Columns: 12, RowNaming: "letter", ColNames: "number"}
	s.Data().mu.Unlock()
	p := c.getJSON(fmt.Sprintf("/api/v0/m/plates/%d/", empty))["data"].(map[string]any)
	if idx, ok := p["omero:wellsampleIndex"].([]any); !ok || len(idx) != 0 {
		t.Errorf("plate without wells: omero:wellsampleIndex %v", p["omero:wellsampleIndex"])
	}
	wells := c.getJSON(fmt.Sprintf("/api/v0/m/plates/%d/wells/?limit=1", plate))["data"].([]any)
	w := wells[0].(map[string]any)
	requireKeys(t, "listed well", w, "url:well", "url:plates")
	back := c.getJSON(strings.TrimPrefix(w["url:plates"].(string), c.base))["data"].([]any)
	if len(back) != 1 || int64(back[0].(map[string]any)["@id"].(float64)) != plate {
		t.Errorf("well's url:plates gives %v, want plate %d", back, plate)
	}
}

// TestWorkersQueue: with two workers, twelve slow requests at once are
// served two at a time; the rest wait.
func TestWorkersQueue(t *testing.T) {
	s, c := loggedInWith(t, Options{Workers: 2}, "demo")
	s.SetFault(Fault{Match: "api_get", Kind: Latency, Delay: 30 * time.Millisecond})
	s.ResetCounters()
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _, _ := c.get("/api/v0/m/images/16/"); status != http.StatusOK {
				t.Errorf("status %d", status)
			}
		}()
	}
	wg.Wait()
	if s.MaxInService() > 2 || s.MaxQueued() < 1 || s.MaxConcurrent() < 3 {
		t.Errorf("in service %d (limit 2), queued %d, in flight %d", s.MaxInService(), s.MaxQueued(), s.MaxConcurrent())
	}
}
