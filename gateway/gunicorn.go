package gateway

import (
	"bytes"
	"html"
	"strings"
)

// gunicornMessage returns the message of gunicorn's own error page (a
// request it refused before OMERO.web saw it, e.g. "Request Line is too
// large (5012 > 4094)"), or "" when body is not one. Its page is
// <html>…<h1><p>REASON</p></h1> MESSAGE </body></html> (gunicorn/util.py
// write_error).
func gunicornMessage(body []byte) string {
	_, rest, ok := bytes.Cut(body, []byte("</p></h1>"))
	if !ok {
		return ""
	}
	msg, _, ok := bytes.Cut(rest, []byte("</body>"))
	if !ok {
		return ""
	}
	if len(msg) > 300 || bytes.ContainsAny(msg, "<>") { // not gunicorn's escaped text
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(string(msg)))
}
