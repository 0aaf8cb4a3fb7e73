package testserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// These tests hold the server's JSON to real documents: omero-marshal's
// encoder test fixtures, the official docs' examples and a recorded IDR
// answer (testdata/). They compare field names, @type URIs and value kinds,
// never the client's structs.

func loadDoc(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// client is a cookie-keeping HTTP client logged in to a test server.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

// loggedInWith is newClient over opts with the client logged in as user
// (a demo user, whose password is its name).
func loggedInWith(t *testing.T, opts Options, user string) (*Server, *client) {
	t.Helper()
	s, c := newClient(t, opts)
	if status, b := c.login(user, user, c.token()); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, b)
	}
	return s, c
}

func newClient(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	hs := Start(t, opts)
	jar, _ := cookiejar.New(nil)
	return hs.Server, &client{t: t, base: hs.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, http.Header, []byte) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (c *client) token() string {
	_, _, b := c.get("/api/v0/token/")
	var tok struct{ Data string }
	json.Unmarshal(b, &tok)
	return tok.Data
}

func (c *client) login(user, password, token string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/api/v0/login/", strings.NewReader(url.Values{"username": {user}, "password": {password}, "server": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-CSRFToken", token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *client) getJSON(path string) map[string]any {
	c.t.Helper()
	status, _, b := c.get(path)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, status, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "?"
}

// conforms checks that every field of got is a field of the reference
// document at the same place, with a value of the same kind, and that
// @type URIs are equal. Lists are compared element by element against the
// reference's first element.
func conforms(t *testing.T, where string, got, ref any) {
	t.Helper()
	switch g := got.(type) {
	case map[string]any:
		r, ok := ref.(map[string]any)
		if !ok {
			t.Errorf("%s: object where the reference has %s", where, kind(ref))
			return
		}
		for k, v := range g {
			rv, ok := r[k]
			if !ok {
				if strings.HasPrefix(k, "url:") || k == "omero:childCount" {
					continue // links the API adds and the encoder tests do not show
				}
				t.Errorf("%s: field %q is not in the reference", where, k)
				continue
			}
			if k == "@type" && v != rv && !strings.HasPrefix(fmt.Sprint(rv), "TBD#") {
				t.Errorf("%s: @type %v, reference %v", where, v, rv)
			}
			conforms(t, where+"."+k, v, rv)
		}
	case []any:
		r, ok := ref.([]any)
		if !ok {
			t.Errorf("%s: list where the reference has %s", where, kind(ref))
			return
		}
		if len(r) == 0 {
			return // the reference shows an empty list: nothing to compare with
		}
		for i, v := range g {
			conforms(t, fmt.Sprintf("%s[%d]", where, i), v, r[0])
		}
	default:
		if ref != nil && kind(got) != kind(ref) {
			t.Errorf("%s: %s where the reference has %s", where, kind(got), kind(ref))
		}
	}
}

// requireKeys checks that got has every listed key.
func requireKeys(t *testing.T, where string, got map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("%s lacks %q", where, k)
		}
	}
}

// noNulls checks the omero-marshal rule: null fields are left out.
func noNulls(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null: omero-marshal omits null fields", where)
	case map[string]any:
		for k, e := range x {
			noNulls(t, where+"."+k, e)
		}
	case []any:
		for i, e := range x {
			noNulls(t, fmt.Sprintf("%s[%d]", where, i), e)
		}
	}
}

func loggedIn(t *testing.T, user string) (*Server, *client) {
	t.Helper()
	return loggedInWith(t, Options{}, user)
}

func TestProjectsMatchTheDocs(t *testing.T) {
	_, c := loggedIn(t, "demo")
	got := c.getJSON("/api/v0/m/projects/")
	ref := loadDoc(t, "api_v0_m_projects_list.json").(map[string]any)
	data := got["data"].([]any)
	if len(data) == 0 {
		t.Fatal("no projects")
	}
	conforms(t, "projects", data, ref["data"])
	noNulls(t, "projects", got)
	for _, p := range data {
		pm := p.(map[string]any)
		requireKeys(t, "project", pm, "@id", "@type", "omero:details", "url:project", "url:datasets")
		details := pm["omero:details"].(map[string]any)
		requireKeys(t, "details", details, "owner", "group", "permissions", "@type")
		refProj := loadDoc(t, "marshal_encoder_Project_with_Datasets.json").(map[string]any)
		if pm["@type"] != refProj["@type"] {
			t.Errorf("@type %v, omero-marshal writes %v", pm["@type"], refProj["@type"])
		}
	}
	// The nameless project has no Name field at all.
	nameless := 0
	for _, p := range data {
		if _, ok := p.(map[string]any)["Name"]; !ok {
			nameless++
		}
	}
	if nameless != 1 {
		t.Errorf("%d projects without Name, want the demo's one", nameless)
	}
	meta := got["meta"].(map[string]any)
	if meta["limit"] != 200.0 || meta["maxLimit"] != 500.0 || meta["offset"] != 0.0 || meta["totalCount"] != float64(len(data)) {
		t.Errorf("meta %v", meta)
	}
}

func TestImagesMatchTheEncoder(t *testing.T) {
	s, c := loggedIn(t, "demo")
	ref := loadDoc(t, "marshal_encoder_Image_with_Pixels_and_Channels.json").(map[string]any)
	// The encoder fixture has empty details; a real answer's are like the
	// docs' project list's.
	refDetails := loadDoc(t, "api_v0_m_projects_list.json").(map[string]any)["data"].([]any)[0].(map[string]any)["omero:details"]
	checkImage := func(where string, m map[string]any) {
		t.Helper()
		cp := map[string]any{}
		for k, v := range m {
			cp[k] = v
		}
		delete(cp, "omero:details")
		conforms(t, where, cp, ref)
		conforms(t, where+".omero:details", m["omero:details"], refDetails)
	}
	list := c.getJSON("/api/v0/m/images/?orphaned=true")
	for i, im := range list["data"].([]any) {
		m := im.(map[string]any)
		checkImage(fmt.Sprintf("images[%d]", i), m)
		requireKeys(t, "listed image", m, "@id", "@type", "Pixels", "omero:details", "url:image")
		px := m["Pixels"].(map[string]any)
		requireKeys(t, "listed Pixels", px, "SizeX", "SizeY", "SizeZ", "SizeC", "SizeT", "Type", "@type")
		if _, ok := px["Channels"]; ok {
			t.Error("image lists carry no Channels")
		}
	}
	noNulls(t, "images", list)
	id := s.Data().ImageIDs(func(im Image) bool { return im.SizeC == 3 && im.WellID == 0 })[0]
	one := c.getJSON(fmt.Sprintf("/api/v0/m/images/%d/", id))["data"].(map[string]any)
	checkImage("image", one)
	noNulls(t, "image", one)
	chs := one["Pixels"].(map[string]any)["Channels"].([]any)
	if len(chs) != 3 {
		t.Fatalf("single image has %d channels, want 3", len(chs))
	}
	if one["Pixels"].(map[string]any)["Type"].(map[string]any)["@type"] != "TBD#PixelsType" {
		t.Error("pixel type enum @type")
	}
}

func TestErrorsAreTheDocumentedOnes(t *testing.T) {
	_, c := newClient(t, Options{})
	check := func(path string, status int, doc string) {
		t.Helper()
		got, h, b := c.get(path)
		var v any
		json.Unmarshal(b, &v)
		want := loadDoc(t, doc)
		if got != status || fmt.Sprint(v) != fmt.Sprint(want) {
			t.Errorf("GET %s: %d %s; want %d %v", path, got, b, status, want)
		}
		// json_response adds the header; login_required's 403 and the
		// login view (webgateway's LoginView) answer without it.
		if strings.HasPrefix(path, "/api/v0/") && h.Get("X-OMERO-ApiVersion") != "0.2" && status != http.StatusForbidden && path != "/api/v0/login/" {
			t.Errorf("GET %s: no X-OMERO-ApiVersion", path)
		}
	}
	check("/api/v0/m/projects/", http.StatusForbidden, "api_v0_error_403_not_logged_in.json")
	check("/api/v0/login/", http.StatusMethodNotAllowed, "api_v0_login_GET_405.json")
	status, b := c.login("demo", "nope", c.token())
	var v any
	json.Unmarshal(b, &v)
	if status != http.StatusForbidden || fmt.Sprint(v) != fmt.Sprint(loadDoc(t, "api_v0_login_POST_403_bad_credentials.json")) {
		t.Errorf("bad credentials: %d %s", status, b)
	}
	status, b = c.login("demo", "demo", "")
	if status != http.StatusForbidden || !strings.Contains(string(b), "CSRF Failed") {
		t.Errorf("login without CSRF token: %d %s", status, b)
	}
	status, b = c.login("demo", "demo", c.token())
	var ok map[string]any
	json.Unmarshal(b, &ok)
	ref := loadDoc(t, "api_v0_login_POST_response.json").(map[string]any)
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, b)
	}
	conforms(t, "login", ok, ref)
	requireKeys(t, "eventContext", ok["eventContext"].(map[string]any), "sessionId", "sessionUuid", "userId", "userName", "groupId", "groupName", "isAdmin", "memberOfGroups", "leaderOfGroups")
	check("/api/v0/m/projects/?limit=foo", http.StatusBadRequest, "api_v0_error_400_limit_foo.json")
	if got, _, b := c.get("/api/v0/m/images/123456789/"); got != http.StatusNotFound || !strings.Contains(string(b), `"Image 123456789 not found"`) {
		t.Errorf("missing image: %d %s", got, b)
	}
	if got, h, _ := c.get("/api/v0/m/images/abc/"); got != http.StatusNotFound || !strings.Contains(h.Get("Content-Type"), "html") {
		t.Errorf("non-numeric id: %d %s (want Django's HTML 404)", got, h.Get("Content-Type"))
	}
}

func TestDiscoveryMatchesTheDocs(t *testing.T) {
	_, c := newClient(t, Options{})
	base := c.getJSON("/api/v0/")
	for k := range loadDoc(t, "api_v0_base.json").(map[string]any) {
		if _, ok := base[k]; !ok {
			t.Errorf("/api/v0/ lacks %s", k)
		}
	}
	conforms(t, "servers", c.getJSON("/api/v0/servers/"), loadDoc(t, "api_v0_servers.json"))
	versions := c.getJSON("/api/")["data"].([]any)[0].(map[string]any)
	if versions["version"] != "0" || !strings.HasSuffix(versions["url:base"].(string), "/api/v0/") {
		t.Errorf("versions %v", versions)
	}
}

func TestImgDataMatchesIDR(t *testing.T) {
	_, c := loggedIn(t, "demo")
	ref := loadDoc(t, "idr_webclient_imgData_122770.json").(map[string]any)
	got := c.getJSON("/webgateway/imgData/16/")
	var missing []string
	for k := range ref {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("imgData lacks %v", missing)
	}
	conforms(t, "imgData.channels", got["channels"], ref["channels"])
	conforms(t, "imgData.rdefs", got["rdefs"], ref["rdefs"])
	conforms(t, "imgData.size", got["size"], ref["size"])
}

func TestPagingAndOrder(t *testing.T) {
	s, c := loggedIn(t, "demo")
	dsID := s.Data().DatasetIDs(func(ds Dataset) bool { return ds.Name != nil && *ds.Name == "1200 images" })[0]
	seen := map[float64]bool{}
	var prev string
	var prevID float64
	for offset := 0; offset < 1200; offset += 500 {
		page := c.getJSON(fmt.Sprintf("/api/v0/m/datasets/%d/images/?offset=%d&limit=9999", dsID, offset))
		meta := page["meta"].(map[string]any)
		if meta["limit"] != 500.0 || meta["totalCount"] != 1200.0 {
			t.Fatalf("meta %v", meta)
		}
		for _, im := range page["data"].([]any) {
			m := im.(map[string]any)
			id, name := m["@id"].(float64), strings.ToLower(m["Name"].(string))
			if seen[id] {
				t.Fatalf("image %v on two pages", id)
			}
			seen[id] = true
			if name < prev || (name == prev && id < prevID) {
				t.Fatalf("order broken at %q/%v after %q/%v", name, id, prev, prevID)
			}
			prev, prevID = name, id
		}
	}
	if len(seen) != 1200 {
		t.Fatalf("%d images over the pages", len(seen))
	}
	zero := c.getJSON(fmt.Sprintf("/api/v0/m/datasets/%d/images/?limit=0", dsID))
	if len(zero["data"].([]any)) != 0 || zero["meta"].(map[string]any)["totalCount"] != 1200.0 {
		t.Errorf("limit=0: %v", zero["meta"])
	}
	neg := c.getJSON(fmt.Sprintf("/api/v0/m/datasets/%d/images/?limit=-5&offset=-3", dsID))
	if m := neg["meta"].(map[string]any); m["limit"] != 200.0 || m["offset"] != 0.0 {
		t.Errorf("negative limit/offset: %v", m)
	}
}

func TestSessionsExpireAndJoin(t *testing.T) {
	s, c := loggedIn(t, "alice")
	if status, _, _ := c.get("/api/v0/m/projects/"); status != http.StatusOK {
		t.Fatal("logged in, yet refused")
	}
	s.ExpireSessions()
	if status, _, b := c.get("/api/v0/m/projects/"); status != http.StatusForbidden || !strings.Contains(string(b), "Not logged in") {
		t.Errorf("after expiry the API says %d %s", status, b)
	}
	status, h, _ := c.get("/webgateway/imgData/16/")
	if status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/webclient/login/?url=") {
		t.Errorf("after expiry webgateway says %d %s", status, h.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodGet, c.base+"/webgateway/imgData/16/", nil)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	resp, _ := c.hc.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("XHR after expiry: %d", resp.StatusCode)
	}
	if _, _, b := c.get("/webclient/keepalive_ping/"); string(b) != "Connection Failed" {
		t.Errorf("keepalive after expiry: %q", b)
	}
	key := s.NewSessionKey("bob")
	if status, _, _ := c.get("/api/v0/m/screens/?bsession=" + key); status != http.StatusOK {
		t.Errorf("bsession join: %d", status)
	}
	if status, _, _ := c.get("/api/v0/m/screens/"); status != http.StatusOK {
		t.Errorf("the joined session's cookie is not kept: %d", status)
	}
	if _, _, b := c.get("/webclient/keepalive_ping/"); string(b) != "OK" {
		t.Errorf("keepalive: %q", b)
	}
	_, pub := newClient(t, Options{Public: true})
	if status, _, _ := pub.get("/api/v0/m/projects/"); status != http.StatusOK {
		t.Errorf("public mode refused an anonymous request: %d", status)
	}
}
