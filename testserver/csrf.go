package testserver

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"net/url"
	"strings"
)

// CSRF as Django 5's CsrfViewMiddleware does it (django/middleware/csrf.py),
// with OMERO.web's failure view answering 403 JSON
// {"message": "CSRF Failed: <reason>"} (omeroweb/feedback/views.py,
// csrf_failure).
//
// The cookie "csrftoken" holds a 32-character secret. /api/v0/token/ hands
// out a masked form of it: 64 characters, a random 32-character mask then
// the secret shifted by it, character by character, in the alphabet below;
// a fresh mask every time, so the token differs from the cookie and from
// the previous token. X-CSRFToken may carry the masked (64) or the bare
// (32) form.

const (
	csrfAlphabet     = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	csrfSecretLength = 32
	csrfTokenLength  = 2 * csrfSecretLength
)

// randomCSRFString is 32 random characters of the alphabet.
func randomCSRFString() string {
	b := make([]byte, csrfSecretLength)
	n := big.NewInt(int64(len(csrfAlphabet)))
	for i := range b {
		k, _ := rand.Int(rand.Reader, n)
		b[i] = csrfAlphabet[k.Int64()]
	}
	return string(b)
}

// maskCSRF is _mask_cipher_secret.
func maskCSRF(secret string) string {
	mask := randomCSRFString()
	out := []byte(mask)
	for i := 0; i < len(secret); i++ {
		x := strings.IndexByte(csrfAlphabet, secret[i])
		y := strings.IndexByte(csrfAlphabet, mask[i])
		out = append(out, csrfAlphabet[(x+y)%len(csrfAlphabet)])
	}
	return string(out)
}

// unmaskCSRF is _unmask_cipher_token; token must be well formed.
func unmaskCSRF(token string) string {
	mask, cipher := token[:csrfSecretLength], token[csrfSecretLength:]
	out := make([]byte, len(cipher))
	n := len(csrfAlphabet)
	for i := range out {
		x := strings.IndexByte(csrfAlphabet, cipher[i])
		y := strings.IndexByte(csrfAlphabet, mask[i])
		out[i] = csrfAlphabet[((x-y)%n+n)%n]
	}
	return string(out)
}

// csrfFormat is _check_token_format: "" when t is 32 or 64 characters of
// the alphabet, else the reason.
func csrfFormat(t string) string {
	if len(t) != csrfSecretLength && len(t) != csrfTokenLength {
		return "has incorrect length"
	}
	for i := 0; i < len(t); i++ {
		if strings.IndexByte(csrfAlphabet, t[i]) < 0 {
			return "has invalid characters"
		}
	}
	return ""
}

// csrfSecretOf reads the secret of a cookie value (older Django stored it
// masked); ok is false when it is malformed.
func csrfSecretOf(v string) (string, bool) {
	if csrfFormat(v) != "" {
		return "", false
	}
	if len(v) == csrfTokenLength {
		return unmaskCSRF(v), true
	}
	return v, true
}

// UnmaskCSRFToken returns the secret of a masked (64-character) token, or
// a bare 32-character one as it is; "" when malformed. For tests.
func UnmaskCSRFToken(t string) string {
	s, _ := csrfSecretOf(t)
	return s
}

// handleToken is /api/v0/token/ (api_token → django's get_token): the
// cookie's secret, a new one when there is none, masked afresh; the cookie
// is (re)sent every time.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	secret := ""
	if c, err := r.Cookie("csrftoken"); err == nil {
		secret, _ = csrfSecretOf(c.Value)
	}
	if secret == "" {
		secret = randomCSRFString()
	}
	http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: secret, Path: "/", MaxAge: 31449600, SameSite: http.SameSiteLaxMode})
	writeAPI(w, http.StatusOK, map[string]any{"data": maskCSRF(secret)})
}

// safeMethod: the methods CsrfViewMiddleware lets through unchecked.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// checkCSRF is CsrfViewMiddleware.process_view for an unsafe method: the
// Origin header when there is one, else under HTTPS the Referer; then the
// cookie and the token. It answers the failure itself and returns false.
func checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	if reason := csrfReason(r); reason != "" {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "CSRF Failed: " + reason})
		return false
	}
	return true
}

func csrfReason(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if origin, ok := r.Header["Origin"]; ok {
		// _origin_verified, with no CSRF_TRUSTED_ORIGINS configured.
		o := strings.Join(origin, ",")
		if o != scheme+"://"+r.Host {
			return "Origin checking failed - " + o + " does not match any trusted origins."
		}
	} else if r.TLS != nil {
		// _check_referer, with no trusted origins and no cookie domain.
		ref, ok := r.Header["Referer"]
		if !ok {
			return "Referer checking failed - no Referer."
		}
		u, err := url.Parse(strings.Join(ref, ","))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "Referer checking failed - Referer is malformed."
		}
		if u.Scheme != "https" {
			return "Referer checking failed - Referer is insecure while host is secure."
		}
		if !strings.EqualFold(u.Host, r.Host) {
			return "Referer checking failed - " + u.String() + " does not match any trusted origins."
		}
	}
	// _check_token
	c, err := r.Cookie("csrftoken")
	if err != nil {
		return "CSRF cookie not set."
	}
	if f := csrfFormat(c.Value); f != "" {
		return "CSRF cookie " + f + "."
	}
	secret, _ := csrfSecretOf(c.Value)
	tok, source := "", "POST"
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.ParseForm()
		tok = r.PostFormValue("csrfmiddlewaretoken")
	}
	if tok == "" {
		h, ok := r.Header["X-Csrftoken"]
		if !ok {
			return "CSRF token missing."
		}
		tok, source = strings.Join(h, ","), "the 'X-Csrftoken' HTTP header"
	}
	if f := csrfFormat(tok); f != "" {
		return "CSRF token from " + source + " " + f + "."
	}
	if got, _ := csrfSecretOf(tok); got != secret {
		return "CSRF token from " + source + " incorrect."
	}
	return ""
}
