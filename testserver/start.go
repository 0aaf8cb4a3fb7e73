package testserver

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// TB is the part of testing.TB that Start uses. testing.TB itself would
// link the testing package into the omerofs binary, which embeds this
// package for `omerofs demo`; every *testing.T and *testing.B is a TB.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Running is a stand-in serving one test on a loopback port.
type Running struct {
	URL    string  // http://127.0.0.1:PORT, the server's base URL
	Server *Server // its counters, data and faults

	mu    sync.Mutex
	srv   *http.Server
	conns map[net.Conn]bool
}

// Start serves a new stand-in over opts on 127.0.0.1 (a free port) until
// the test ends. A nil opts.Logger is a quiet one (errors only), so that a
// test's output shows the test's own lines.
func Start(t TB, opts Options) *Running {
	t.Helper()
	if opts.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.ErrorLevel)
		opts.Logger = l
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("test server: %v", err)
	}
	r := &Running{URL: "http://" + ln.Addr().String(), Server: New(opts), conns: map[net.Conn]bool{}}
	r.serve(ln)
	t.Cleanup(r.Close)
	return r
}

func (r *Running) serve(ln net.Listener) {
	srv := &http.Server{Handler: r.Server, ReadHeaderTimeout: 10 * time.Second, ConnState: r.track}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

// Addr is the host:port the server listens on.
func (r *Running) Addr() string { return strings.TrimPrefix(r.URL, "http://") }

// Reopen listens again on the address Close gave up, as a server back from
// a restart would, with the same data and sessions. It fails if another
// process took the port meanwhile.
func (r *Running) Reopen() error {
	ln, err := net.Listen("tcp", r.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s again: %w", r.Addr(), err)
	}
	r.serve(ln)
	return nil
}

// track keeps the open client connections, for CloseClientConnections.
func (r *Running) track(c net.Conn, state http.ConnState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch state {
	case http.StateNew:
		r.conns[c] = true
	case http.StateClosed, http.StateHijacked:
		delete(r.conns, c)
	}
}

// CloseClientConnections closes every client connection, idle or not, as
// a server restart or a proxy would; the server keeps listening.
func (r *Running) CloseClientConnections() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		c.Close()
	}
}

// Close stops listening and closes every connection: from then on the
// address refuses connections. A second Close does nothing.
func (r *Running) Close() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	srv.Close()
}
