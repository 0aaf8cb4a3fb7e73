package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// The error classes of every call, decided here and nowhere else. Callers
// test them with errors.Is; fs maps them to errnos.
var (
	// ErrNotFound: the object does not exist (or is not visible to us).
	ErrNotFound = errors.New("not found")
	// ErrNotLoggedIn: no session, or it expired and could not be renewed.
	ErrNotLoggedIn = errors.New("not logged in")
	// ErrForbidden: the server refuses this to our user.
	ErrForbidden = errors.New("forbidden")
	// ErrBadRequest: the server says our request is malformed (a bug here).
	ErrBadRequest = errors.New("bad request")
	// ErrServer: the server (or a proxy before it) failed: 5xx.
	ErrServer = errors.New("server error")
	// ErrBadResponse: an answer we cannot use: malformed or wrong-shaped
	// JSON, a wrong content type, a truncated body.
	ErrBadResponse = errors.New("bad response from server")
)

// HTTPError is an unsuccessful HTTP answer. It unwraps to the class of its
// status, so errors.Is(err, ErrNotFound) works on it.
type HTTPError struct {
	Status  int
	Message string // the server's {"message": …}, or the start of its body
	URL     string // without secrets
}

func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.URL, e.Status, msg)
}

// Unwrap gives the error class of the status.
func (e *HTTPError) Unwrap() error {
	switch {
	case e.Status == http.StatusNotFound:
		return ErrNotFound
	case e.Status == http.StatusForbidden && e.Message == "Not logged in":
		return ErrNotLoggedIn
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusUnauthorized:
		return ErrNotLoggedIn
	case e.Status >= 500:
		return ErrServer
	case e.Status >= 400:
		return ErrBadRequest
	}
	return ErrBadResponse
}

// classify turns a non-2xx answer into an error. loginRedirect is true when
// the answer is a redirect to the login page.
func classify(status int, body []byte, location, redacted string) error {
	if status >= 300 && status < 400 {
		if strings.Contains(location, "/login") {
			return fmt.Errorf("%s: redirected to the login page: %w", redacted, ErrNotLoggedIn)
		}
		return fmt.Errorf("%s: unexpected redirect (HTTP %d) to %q: %w", redacted, status, location, ErrBadResponse)
	}
	e := &HTTPError{Status: status, URL: redacted}
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		e.Message = m.Message
	} else if status == http.StatusForbidden && len(body) == 0 {
		// webgateway answers XHR requests of an expired session this way.
		e.Message = "Not logged in"
	} else if g := gunicornMessage(body); g != "" {
		e.Message = g
	} else {
		e.Message = snippet(body)
	}
	return e
}

// snippet is the start of a body, fit for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "<") {
		return "" // an HTML page: its status text says more
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// badResponse wraps an undecodable answer.
func badResponse(redacted, what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %s: %v: %w", redacted, what, err, ErrBadResponse)
	}
	return fmt.Errorf("%s: %s: %w", redacted, what, ErrBadResponse)
}

// transient reports whether a failed idempotent request is worth one retry.
func transient(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	return errors.Is(err, errTransport)
}

// errTransport marks network failures (refused, reset, truncated body).
var errTransport = errors.New("transport error")
