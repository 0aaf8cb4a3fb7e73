// Package testserver is an OMERO.web stand-in: an http.Handler that serves
// the JSON API (/api/) and the rendering endpoints (/webgateway/) of
// OMERO.web 5 from synthetic data, following OMERO.web's behaviour to the
// letter as docs/omero-web.md records it from upstream omero-web. Tests,
// benchmarks and `omerofs demo` use it; it is never a shortcut for them.
package testserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Server.
type Options struct {
	Data        *Data              // nil = DemoData()
	Public      bool               // requests without a session are served as the read-only user "public"
	SessionIdle time.Duration      // server-side OMERO session expiry after idle time; 0 = 10 minutes
	Logger      logrus.FieldLogger // optional
	// Stats serves the request counters as JSON at /testserver/stats, a
	// path no OMERO.web has, for benchmarks that run the server in another
	// process. Off unless asked for.
	Stats bool
	// The raw pixel routes (docs/omero-web.md): Glencoe's pixel-buffer
	// microservice at /tile/, the omero-web-zarr app at /zarr/, and core
	// OMERO.web's render_ome_tiff, on unless NoOMETiff.
	PixelBuffer, Zarr, NoOMETiff bool
	// MaxZipSize is omero.web.maximum_multifile_download_size (0 = 1 GiB).
	MaxZipSize int64
}

// Server is the OMERO.web stand-in.
type Server struct {
	opts     Options
	data     *Data
	log      logrus.FieldLogger
	sessions sessionStore
	faults   faultSet

	countMu  sync.Mutex
	counts   map[string]int64
	inFlight atomic.Int64
	peak     atomic.Int64
}

// New returns a server over opts.Data (the demo data when nil).
func New(opts Options) *Server {
	if opts.Data == nil {
		opts.Data = DemoData()
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 10 * time.Minute
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		opts.Logger = l
	}
	s := &Server{opts: opts, data: opts.Data, log: opts.Logger, counts: map[string]int64{}}
	s.sessions.init()
	s.faults.init()
	return s
}

// Data returns the server's data, which tests may change while it serves.
func (s *Server) Data() *Data { return s.data }

// Requests returns how many requests of an endpoint kind were served (see
// endpointKind for the names: "render_image", "imgData", "api_list", …).
func (s *Server) Requests(kind string) int64 {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.counts[kind]
}

// TotalRequests returns the number of requests of every kind.
func (s *Server) TotalRequests() int64 {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	var n int64
	for _, v := range s.counts {
		n += v
	}
	return n
}

// ResetCounters sets every counter, and the peak concurrency, to zero.
func (s *Server) ResetCounters() {
	s.countMu.Lock()
	s.counts = map[string]int64{}
	s.countMu.Unlock()
	s.peak.Store(s.inFlight.Load())
}

// MaxConcurrent returns the peak number of requests in flight at once.
func (s *Server) MaxConcurrent() int64 { return s.peak.Load() }

func (s *Server) count(kind string) {
	s.countMu.Lock()
	s.counts[kind]++
	s.countMu.Unlock()
}

// ServeHTTP routes a request, applying any injected fault first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	kind, handler := s.route(r)
	s.count(kind)
	start := time.Now()
	fw, ok := s.faults.apply(kind, w, r)
	if !ok {
		return // the fault answered (or dropped) the request
	}
	handler(fw, r)
	fw.finish()
	s.log.WithFields(logrus.Fields{"kind": kind, "path": r.URL.Path, "took": time.Since(start)}).Debug("served")
}

// route finds the handler of a request and names its endpoint kind.
func (s *Server) route(r *http.Request) (string, http.HandlerFunc) {
	p := r.URL.Path
	if kind, h := s.routeData(r); h != nil { // originals.go, annotations.go
		return kind, h
	}
	switch {
	case s.opts.Stats && p == "/testserver/stats":
		return "stats", s.handleStats
	case s.opts.PixelBuffer && strings.HasPrefix(p, "/tile/"):
		if r.Method == http.MethodOptions {
			return "pixel_buffer_options", s.handlePixelBufferOptions
		}
		return "pixel_buffer_tile", s.handleTile
	case s.opts.Zarr && strings.HasPrefix(p, "/zarr/"):
		return s.routeZarr(r)
	case !s.opts.NoOMETiff && strings.HasPrefix(p, "/webgateway/render_ome_tiff/"):
		return s.routeOMETiff(r)
	case p == "/api/" || p == "/api":
		return "api_versions", s.handleVersions
	case strings.HasPrefix(p, "/api/v0/"):
		return s.routeAPI(r)
	case strings.HasPrefix(p, "/webgateway/") || strings.HasPrefix(p, "/webclient/imgData/"):
		return s.routeWebgateway(r)
	case p == "/webclient/keepalive_ping/":
		return "keepalive", s.handleKeepalive
	case p == "/webclient/logout/":
		return "logout", s.handleLogout
	case p == "/webclient/login/":
		return "login_page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!DOCTYPE html><html><head><title>OMERO.web - Login</title></head><body><form method=\"post\"></form></body></html>"))
		}
	}
	return "not_found", djangoNotFound
}

// handleStats answers the counters (Options.Stats).
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	s.countMu.Lock()
	counts := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		counts[k] = v
	}
	s.countMu.Unlock()
	if r.URL.Query().Get("reset") == "1" {
		s.ResetCounters()
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": counts, "maxConcurrent": s.MaxConcurrent()})
}

// djangoNotFound is Django's answer for a URL that matches no route.
func djangoNotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte("<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"))
}

// ListenAndServe serves on addr until ctx ends, then shuts down.
func ListenAndServe(ctx context.Context, addr string, opts Options) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: New(opts), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
