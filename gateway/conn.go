// Package gateway is omerofs's connection to OMERO, as the Blitz Gateway is
// in Python: it logs in (password with CSRF, an existing session key, or
// anonymous public access), keeps the session's cookies, renews an expired
// session once, bounds the requests in flight and the time of each, and
// turns every HTTP outcome into a typed error (errors.go). It speaks
// OMERO.web's JSON API and webgateway over HTTP(S) and imports nothing else
// of omerofs.
package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sync/singleflight"
)

// Config says where and how to connect.
type Config struct {
	BaseURL     string        // OMERO.web address, e.g. https://omero.example.org or https://host/omero/
	Username    string        // password login when set
	Password    string        //
	SessionKey  string        // join this OMERO session (bsession) when set
	ServerID    int           // OMERO server among those OMERO.web offers; default DefaultServerID
	Group       int64         // list only this group's objects; 0 = all of the user's groups
	Timeout     time.Duration // bound on one request; default DefaultTimeout
	MaxRequests int           // requests in flight at once; default DefaultMaxRequests
	Insecure    bool          // skip TLS verification (loudly warned about by the CLI)
	UserAgent   string
	Logger      logrus.FieldLogger
	HTTPClient  *http.Client // optional (tests); its Jar and CheckRedirect are replaced
}

// The defaults of Config's zero values; the command's flags show the same.
//
// DefaultMaxRequests: OMERO.web's default deployment runs 5 gunicorn sync
// workers of one thread each (omero.web.wsgi_workers, omero.web.wsgi_threads):
// it serves 5 requests at once and queues the rest. 4 leaves one worker for
// everyone else (the web client, other mounts) instead of queueing them all
// behind one mount (docs/omero-web.md).
const (
	DefaultServerID    = 1
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRequests = 4
)

// Mode is how a Conn logs in.
type Mode int

const (
	ModePublic     Mode = iota // no credentials: the server's public user
	ModePassword               // user name and password
	ModeSessionKey             // an existing OMERO session
)

// EventContext is who we are on the server, as login reports it.
type EventContext struct {
	SessionUUID    string  `json:"sessionUuid"`
	UserID         int64   `json:"userId"`
	UserName       string  `json:"userName"`
	GroupID        int64   `json:"groupId"`
	GroupName      string  `json:"groupName"`
	IsAdmin        bool    `json:"isAdmin"`
	MemberOfGroups []int64 `json:"memberOfGroups"`
}

// Conn is a connection to one OMERO.web. It is safe for concurrent use.
type Conn struct {
	cfg    Config
	mode   Mode
	root   *url.URL // the OMERO.web root, ending in "/"
	client *http.Client
	jar    *jar
	slots  *slots // --max-requests, user requests first (priority.go)
	log    logrus.FieldLogger

	mu     sync.Mutex
	gen    int // login generation: bumped by every successful (re)login
	ec     *EventContext
	closed bool

	relogins singleflight.Group
	stats    Stats
}

// Stats count what a Conn did, for tests, benchmarks and metrics.
type Stats struct {
	mu       sync.Mutex
	Requests int64
	Relogins int64
	Retries  int64
	byKind   map[string]int64 // "endpoint status" → requests
}

// RequestCounts returns the requests made, by endpoint (ids replaced by
// {id}) and HTTP status ("error" for no answer), e.g.
// "webgateway/render_image/{id}/{id}/{id}/ 200" → 12.
func (c *Conn) RequestCounts() map[string]int64 {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	out := make(map[string]int64, len(c.stats.byKind))
	for k, v := range c.stats.byKind {
		out[k] = v
	}
	return out
}

// endpointOf names a request path without its ids.
func endpointOf(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func (c *Conn) countRequest(path string, status string) {
	c.stats.mu.Lock()
	if c.stats.byKind == nil {
		c.stats.byKind = map[string]int64{}
	}
	c.stats.byKind[endpointOf(path)+" "+status]++
	c.stats.mu.Unlock()
}

// Snapshot returns the counters.
func (c *Conn) Snapshot() (requests, relogins, retries int64) {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return c.stats.Requests, c.stats.Relogins, c.stats.Retries
}

func (c *Conn) bump(f func(*Stats)) {
	c.stats.mu.Lock()
	f(&c.stats)
	c.stats.mu.Unlock()
}

// Connect checks the address, logs in as cfg says and returns the
// connection. It fails with a clear error when the server is not an
// OMERO.web, cannot be reached, refuses the login, or needs one.
func Connect(ctx context.Context, cfg Config) (*Conn, error) {
	root, err := parseRoot(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ServerID <= 0 {
		cfg.ServerID = DefaultServerID
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.StandardLogger()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "omerofs"
	}
	c := &Conn{cfg: cfg, root: root, slots: newSlots(cfg.MaxRequests), log: cfg.Logger}
	switch {
	case cfg.SessionKey != "":
		c.mode = ModeSessionKey
	case cfg.Username != "":
		c.mode = ModePassword
	}
	c.jar = newJar()
	c.client = newHTTPClient(cfg, c.jar)
	if err := c.discover(ctx); err != nil {
		return nil, err
	}
	if err := c.login(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// parseRoot validates the address and returns it as a root ending in "/".
func parseRoot(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an OMERO.web address: want http(s)://host[/prefix]", raw)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

func newHTTPClient(cfg Config, jar http.CookieJar) *http.Client {
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.MaxRequests
		tr.ResponseHeaderTimeout = cfg.Timeout
		if cfg.Insecure {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
		}
		hc = &http.Client{Transport: tr}
	} else {
		cp := *hc
		hc = &cp
	}
	hc.Jar = jar
	// Follow ordinary redirects (APPEND_SLASH, http→https), but not one to
	// the login page: that means the session is gone.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/login") || len(via) >= 5 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return hc
}

// Close ends the connection. A password login is logged out (it is ours);
// a joined session is left alone (it belongs to whoever made it).
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	if c.mode == ModePassword {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.logout(ctx); err != nil {
			c.log.WithError(err).Warn("logout failed: the OMERO session stays open on the server until it expires")
		}
	}
	c.client.CloseIdleConnections()
	return nil
}

// EventContext returns who we are logged in as (nil for public access).
func (c *Conn) EventContext() *EventContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ec
}

// Root is the OMERO.web address, ending in "/".
func (c *Conn) Root() string { return c.root.String() }

// GroupFilter is the group the lists are limited to (0: all).
func (c *Conn) GroupFilter() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Group
}

// request is one HTTP call.
type request struct {
	method  string
	path    string     // relative to the root, e.g. "api/v0/m/projects/"
	query   url.Values // may be nil
	form    url.Values // POST body when set
	headers map[string]string
	maxBody int64
	// sessionKey sends the current OMERO session key as
	// X-OMERO-Session-Key (Glencoe's microservices), read at each attempt
	// so a renewed session's key is sent.
	sessionKey bool
}

// response is a whole answer: the body is read completely, or the call fails.
type response struct {
	status   int
	header   http.Header
	body     []byte
	location string
}

// redact returns the URL fit for logs and errors: no session key, and a
// long query (rendering settings) shortened.
func (c *Conn) redact(u *url.URL) string {
	cp := *u
	v := u.Query()
	if v.Has("bsession") {
		v.Set("bsession", "****")
		cp.RawQuery = v.Encode()
	}
	if len(cp.RawQuery) > maxLoggedQuery {
		cp.RawQuery = cp.RawQuery[:maxLoggedQuery] + "…"
	}
	return cp.String()
}

// maxLoggedQuery bounds the query shown in logs and errors.
const maxLoggedQuery = 80

// roundTrip makes one request under the concurrency bound and the timeout.
func (c *Conn) roundTrip(ctx context.Context, r request) (*response, string, error) {
	u := c.root.ResolveReference(&url.URL{Path: r.path})
	u.RawQuery = r.query.Encode()
	red := c.redact(u)
	bg := IsBackground(ctx)
	if err := c.slots.acquire(ctx, bg); err != nil {
		return nil, red, fmt.Errorf("%s: %w", red, err)
	}
	defer c.slots.release(bg)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, red, fmt.Errorf("%s: %w", red, err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.method != http.MethodGet {
		// Django refuses an unsafe request over HTTPS without a Referer
		// (or Origin) of its own host, whatever the CSRF token says.
		req.Header.Set("Referer", c.root.String())
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	if ec := c.EventContext(); r.sessionKey && ec != nil && ec.SessionUUID != "" {
		req.Header.Set("X-OMERO-Session-Key", ec.SessionUUID)
	}
	start := time.Now()
	c.bump(func(s *Stats) { s.Requests++ })
	resp, err := c.client.Do(req)
	if err != nil {
		c.countRequest(r.path, "error")
		return nil, red, c.transportError(ctx, red, err)
	}
	c.countRequest(r.path, strconv.Itoa(resp.StatusCode))
	defer resp.Body.Close()
	limit := r.maxBody
	if limit <= 0 {
		limit = 64 << 20
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, red, c.transportError(ctx, red, fmt.Errorf("reading the answer: %w", err))
	}
	if int64(len(data)) > limit {
		return nil, red, badResponse(red, fmt.Sprintf("answer larger than %d bytes", limit), nil)
	}
	c.log.WithFields(logrus.Fields{"method": r.method, "url": red, "status": resp.StatusCode, "took": time.Since(start).Round(time.Microsecond)}).Debug("request")
	return &response{status: resp.StatusCode, header: resp.Header, body: data, location: resp.Header.Get("Location")}, red, nil
}

// transportError wraps a network failure, telling a timeout from a reset.
func (c *Conn) transportError(ctx context.Context, red string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer within %v: %w", red, c.cfg.Timeout, context.DeadlineExceeded)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", red, context.Canceled)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: %v: %w", red, err, context.DeadlineExceeded)
	}
	return fmt.Errorf("%s: %v: %w", red, err, errTransport)
}

// do makes a request with the policies every call shares: a non-2xx answer
// becomes a typed error; an expired session is renewed once and the request
// repeated; a GET that failed transiently is retried once after a pause.
func (c *Conn) do(ctx context.Context, r request) (*response, error) {
	c.mu.Lock()
	gen, closed := c.gen, c.closed
	c.mu.Unlock()
	if closed {
		return nil, errors.New("connection closed")
	}
	relogged, retried := false, false
	for {
		resp, red, err := c.roundTrip(ctx, r)
		if err == nil && (resp.status < 200 || resp.status >= 300) {
			err = classify(resp.status, resp.body, resp.location, red)
		}
		if err == nil {
			return resp, nil
		}
		switch {
		case errors.Is(err, ErrNotLoggedIn) && c.mode == ModePublic:
			// OMERO.web renews a public session by itself; "not logged in"
			// to the public user means it may not have this: an image it
			// cannot see (imgData's empty 403) or a URL outside the public
			// ones. A re-login would change nothing.
			return nil, fmt.Errorf("%v (refused to the public user: not visible to it, or outside the server's omero.web.public.url_filter): %w", err, ErrForbidden)
		case errors.Is(err, ErrNotLoggedIn) && !relogged:
			relogged = true
			if lerr := c.relogin(ctx, gen); lerr != nil {
				return nil, fmt.Errorf("%w (renewing the session failed: %v)", err, lerr)
			}
			continue
		case r.method == http.MethodGet && !retried && transient(err) && ctx.Err() == nil:
			retried = true
			c.bump(func(s *Stats) { s.Retries++ })
			c.log.WithError(err).Debug("retrying once")
			select {
			case <-time.After(retryPause):
			case <-ctx.Done():
				return nil, err
			}
			continue
		}
		return nil, err
	}
}

// retryPause is the backoff before the one retry of a transient failure.
const retryPause = 300 * time.Millisecond

// getJSON GETs path and returns the body, checking it is JSON.
func (c *Conn) getJSON(ctx context.Context, path string, q url.Values) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, headers: map[string]string{"Accept": "application/json"}})
	if err != nil {
		return nil, err
	}
	if ct := resp.header.Get("Content-Type"); !strings.Contains(ct, "json") {
		return nil, badResponse(path, fmt.Sprintf("content type %q, want JSON", ct), nil)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(resp.body), []byte("{")) && !bytes.HasPrefix(bytes.TrimSpace(resp.body), []byte("[")) {
		return nil, badResponse(path, "not a JSON document", nil)
	}
	return resp.body, nil
}

// jar is a cookie jar that can be emptied while requests use it: a renewed
// session must not send the dead session's cookies. Cookies live only in
// memory, never on disk.
type jar struct {
	mu  sync.Mutex
	jar *cookiejar.Jar
}

func newJar() *jar {
	j, _ := cookiejar.New(nil) // never fails without options
	return &jar{jar: j}
}

func (j *jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jar.SetCookies(u, cookies)
}

func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jar.Cookies(u)
}

// reset forgets every cookie.
func (j *jar) reset() {
	fresh, _ := cookiejar.New(nil)
	j.mu.Lock()
	j.jar = fresh
	j.mu.Unlock()
}
