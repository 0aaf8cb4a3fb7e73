package testserver

import (
	"html"
	"net/http"
	"strconv"
)

// gunicornLimitRequestLine is gunicorn's default limit_request_line: the
// longest request line (without its CRLF) it parses. OMERO.web is served by
// gunicorn, so a longer URL never reaches Django (docs/omero-web.md).
const gunicornLimitRequestLine = 4094

// requestLineLength is the length of the request line as it came on the
// wire: method, space, request target, space, protocol.
func requestLineLength(r *http.Request) int {
	target := r.RequestURI
	if target == "" { // a request made in-process, not read from a connection
		target = r.URL.RequestURI()
	}
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	return len(r.Method) + 1 + len(target) + 1 + len(proto)
}

// gunicornError answers as gunicorn's write_error does for a request it
// could not parse: 400 Bad Request, a small HTML page holding the escaped
// message, and the connection closed.
func gunicornError(w http.ResponseWriter, msg string) {
	body := "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n    <h1><p>Bad Request</p></h1>\n    " +
		html.EscapeString(msg) + "\n  </body>\n</html>\n"
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(body))
}
