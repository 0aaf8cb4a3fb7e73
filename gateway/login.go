package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const apiBase = "api/v0/"

// discover checks that the root is an OMERO.web offering JSON API version 0.
func (c *Conn) discover(ctx context.Context) error {
	body, err := c.getJSON(ctx, "api/", nil)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%s is not an OMERO.web (no JSON API at %sapi/): check the address", c.root, c.root)
		}
		return fmt.Errorf("reach OMERO.web at %s: %w", c.root, err)
	}
	var v struct {
		Data []struct {
			Version string `json:"version"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return badResponse("api/", "API versions", err)
	}
	for _, d := range v.Data {
		if d.Version == "0" {
			return nil
		}
	}
	return fmt.Errorf("%s offers no JSON API version 0: %w", c.root, ErrBadResponse)
}

// login establishes the session the mode calls for.
func (c *Conn) login(ctx context.Context) error {
	var err error
	switch c.mode {
	case ModePassword:
		err = c.passwordLogin(ctx)
	case ModeSessionKey:
		err = c.joinSession(ctx)
	default:
		err = c.publicAccess(ctx)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
	return nil
}

// csrfToken fetches the CSRF token (the server also sets it as a cookie).
func (c *Conn) csrfToken(ctx context.Context) (string, error) {
	resp, _, err := c.roundTrip(ctx, request{method: http.MethodGet, path: apiBase + "token/"})
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusOK {
		return "", classify(resp.status, resp.body, resp.location, apiBase+"token/")
	}
	var t struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &t); err != nil || t.Data == "" {
		return "", badResponse(apiBase+"token/", "CSRF token", err)
	}
	return t.Data, nil
}

// passwordLogin is token → POST login/ with the CSRF header and cookie.
func (c *Conn) passwordLogin(ctx context.Context) error {
	tok, err := c.csrfToken(ctx)
	if err != nil {
		return fmt.Errorf("get a CSRF token: %w", err)
	}
	headers := map[string]string{"X-CSRFToken": tok, "Accept": "application/json"}
	form := url.Values{"username": {c.cfg.Username}, "password": {c.cfg.Password}, "server": {strconv.Itoa(c.cfg.ServerID)}}
	resp, red, err := c.roundTrip(ctx, request{method: http.MethodPost, path: apiBase + "login/", form: form, headers: headers})
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	if resp.status != http.StatusOK {
		err := classify(resp.status, resp.body, resp.location, red)
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusForbidden {
			return fmt.Errorf("login as %s refused: %s: %w", c.cfg.Username, he.Message, ErrForbidden)
		}
		return fmt.Errorf("log in as %s: %w", c.cfg.Username, err)
	}
	var out struct {
		Success      bool          `json:"success"`
		EventContext *EventContext `json:"eventContext"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil || !out.Success || out.EventContext == nil {
		return badResponse(red, "login answer", err)
	}
	c.mu.Lock()
	c.ec = out.EventContext
	c.mu.Unlock()
	return nil
}

// joinSession binds a web session to the OMERO session key (?bsession=),
// checking it on a cheap protected call. The server id always goes along:
// an OMERO.web with several servers cannot tell which one the key belongs
// to without it and refuses the join (docs/omero-web.md).
func (c *Conn) joinSession(ctx context.Context) error {
	q := url.Values{"bsession": {c.cfg.SessionKey}, "server": {strconv.Itoa(c.cfg.ServerID)}}
	return c.probe(ctx, q, "join session", fmt.Sprintf("the session key was refused by server %d (expired, wrong, or another --server's)", c.cfg.ServerID))
}

// publicAccess checks that the server lets anonymous requests in. A server
// may open only part of its URLs to the public user
// (omero.web.public.url_filter); one that opens /webgateway/ but not the
// JSON API gets an error that says so.
func (c *Conn) publicAccess(ctx context.Context) error {
	err := c.probe(ctx, nil, "public access", "this server needs a login (it has no public access): give --user or --session-key")
	if errors.Is(err, ErrNotLoggedIn) && c.webgatewayIsPublic(ctx) {
		return fmt.Errorf("this server's public access (its omero.web.public.url_filter) covers /webgateway/ but not the JSON API /api/ that omerofs lists with: give --user or --session-key, or ask its administrators to add /api/ to the filter: %w", ErrNotLoggedIn)
	}
	return err
}

// webgatewayIsPublic asks the cheapest webgateway call behind a login
// (proj/list/) whether it answers anonymously.
func (c *Conn) webgatewayIsPublic(ctx context.Context) bool {
	resp, _, err := c.roundTrip(ctx, request{method: http.MethodGet, path: "webgateway/proj/list/",
		headers: map[string]string{"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}})
	return err == nil && resp.status == http.StatusOK && strings.HasPrefix(strings.TrimSpace(string(resp.body)), "[")
}

// probe makes the cheapest protected call (one project), outside the
// re-login policy: a "not logged in" here is the answer, said as refused.
func (c *Conn) probe(ctx context.Context, q url.Values, what, refused string) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1")
	resp, red, err := c.roundTrip(ctx, request{method: http.MethodGet, path: apiBase + "m/projects/", query: q})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if resp.status != http.StatusOK {
		err := classify(resp.status, resp.body, resp.location, red)
		if errors.Is(err, ErrNotLoggedIn) {
			return fmt.Errorf("%s: %w", refused, ErrNotLoggedIn)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// relogin renews the session after the request made under generation gen
// found it expired. However many callers find it at once, one login runs;
// a caller whose generation is already outdated just retries.
func (c *Conn) relogin(ctx context.Context, gen int) error {
	c.mu.Lock()
	current := c.gen
	c.mu.Unlock()
	if current != gen {
		return nil // renewed by someone else meanwhile
	}
	_, err, _ := c.relogins.Do(strconv.Itoa(gen), func() (any, error) {
		c.mu.Lock()
		if c.gen != gen {
			c.mu.Unlock()
			return nil, nil
		}
		c.mu.Unlock()
		c.log.Info("OMERO session expired: logging in again")
		c.bump(func(s *Stats) { s.Relogins++ })
		// The old cookies name a dead session: start clean.
		c.jar.reset()
		// A login must not be cut short by the caller that happened to
		// trigger it: the others wait for it too.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*c.cfg.Timeout)
		defer cancel()
		return nil, c.login(lctx)
	})
	return err
}

// logout ends a password login's session (POST /webclient/logout/, with
// the CSRF token and, like every POST, the Referer that Django wants over
// HTTPS). Done means a redirect to the login page: the OMERO session is
// closed, or there was none left to close.
func (c *Conn) logout(ctx context.Context) error {
	tok, err := c.csrfToken(ctx)
	if err != nil {
		return err
	}
	resp, red, err := c.roundTrip(ctx, request{method: http.MethodPost, path: "webclient/logout/", form: url.Values{}, headers: map[string]string{"X-CSRFToken": tok}})
	if err != nil {
		return err
	}
	if resp.status >= 300 && resp.status < 400 && strings.Contains(resp.location, "/login") {
		return nil
	}
	return fmt.Errorf("logout refused: %w", classify(resp.status, resp.body, resp.location, red))
}

// KeepAlive pings the session so an idle mount keeps it. The ping answers
// 200 "Connection Failed" when the session is gone (webclient's
// login_required with ignore_login_fail): that is renewed here at once
// rather than by the next request.
func (c *Conn) KeepAlive(ctx context.Context) error {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "webclient/keepalive_ping/"})
	if err != nil {
		return err
	}
	if string(resp.body) == "OK" {
		return nil
	}
	if c.mode == ModePublic {
		return fmt.Errorf("keepalive: %q: %w", snippet(resp.body), ErrNotLoggedIn)
	}
	if err := c.relogin(ctx, gen); err != nil {
		return fmt.Errorf("keepalive: the session is gone and renewing it failed: %w", err)
	}
	return nil
}
