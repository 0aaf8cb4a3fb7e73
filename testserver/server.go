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
	"regexp"
	"strconv"
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
	// RenderLatency is added to every render_image and render_image_region
	// (as a busy OMERO's rendering time), for benchmarks of a slow server.
	RenderLatency time.Duration
	// ListLatency is added to every /api/ list request (a server's database
	// time), for benchmarks of walking a tree.
	ListLatency time.Duration
	// Stats serves the request counters as JSON at /testserver/stats, a
	// path no OMERO.web has, for benchmarks that run the server in another
	// process. Off unless asked for.
	Stats bool
	// MaxZipSize is omero.web.maximum_multifile_download_size (0 = 1 GiB).
	MaxZipSize int64
	// The raw pixel routes (docs/omero-web.md): Glencoe's pixel-buffer
	// microservice at /tile/, the omero-web-zarr app at /zarr/, and core
	// OMERO.web's render_ome_tiff, on unless NoOMETiff.
	PixelBuffer, Zarr, NoOMETiff bool
	// Servers is how many OMERO servers OMERO.web offers (omero.web.server_list);
	// 0 means 1. With more than one, a ?bsession= join must name its server.
	Servers int
	// PublicURLFilter is omero.web.public.url_filter: with Public, only GET
	// requests whose path it matches are served as the public user. nil
	// matches every path.
	PublicURLFilter *regexp.Regexp
	// Workers bounds the requests in service at once, as OMERO.web's
	// gunicorn sync workers do (default deployment: 5 workers of one thread
	// each); the others wait in the queue. 0 = no bound.
	Workers int
	// MaxTileLength is omero.pixeldata.max_tile_length: render_image_region
	// cuts a requested tile's sides to it. 0 = 1024, the server's default.
	MaxTileLength int
	// LimitRequestLine is gunicorn's limit_request_line: a longer request
	// line (method, URI and protocol) is refused with 400 before Django sees
	// it. 0 = 4094, gunicorn's default; negative = no limit.
	LimitRequestLine int
	// WebVersion is the OMERO.web release to behave as: "5.6", "5.20" or
	// "5.31" (see versions.go for what differs). "" = the newest.
	WebVersion string
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
	inFlight atomic.Int64 // arrived and not yet answered, queued ones included
	peak     atomic.Int64
	workers  chan struct{} // Options.Workers slots; nil = unbounded
	queued   atomic.Int64
	peakQ    atomic.Int64
	serving  atomic.Int64 // holding a worker
	peakS    atomic.Int64
}

// New returns a server over opts.Data (the demo data when nil).
func New(opts Options) *Server {
	if opts.Data == nil {
		opts.Data = DemoData()
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 10 * time.Minute
	}
	if opts.MaxTileLength <= 0 {
		opts.MaxTileLength = 1024
	}
	if opts.LimitRequestLine == 0 {
		opts.LimitRequestLine = gunicornLimitRequestLine
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		opts.Logger = l
	}
	if opts.Servers <= 0 {
		opts.Servers = 1
	}
	if _, err := ParseWebVersion(opts.WebVersion); opts.WebVersion != "" && err != nil {
		opts.Logger.WithError(err).Warnf("serving as OMERO.web %s", NewestWebVersion())
	}
	s := &Server{opts: opts, data: opts.Data, log: opts.Logger, counts: map[string]int64{}}
	if opts.Workers > 0 {
		s.workers = make(chan struct{}, opts.Workers)
	}
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
	s.peakQ.Store(s.queued.Load())
	s.peakS.Store(s.serving.Load())
}

// MaxConcurrent returns the peak number of requests in flight at once
// (arrived and not yet answered, those waiting for a worker included).
func (s *Server) MaxConcurrent() int64 { return s.peak.Load() }

// MaxQueued returns the peak number of requests that waited for a worker
// at once (always 0 without Options.Workers).
func (s *Server) MaxQueued() int64 { return s.peakQ.Load() }

// MaxInService returns the peak number of requests being served at once
// (never more than Options.Workers when that is set).
func (s *Server) MaxInService() int64 { return s.peakS.Load() }

// raise sets *peak to n when n is larger.
func raise(peak *atomic.Int64, n int64) {
	for {
		p := peak.Load()
		if n <= p || peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// takeWorker waits for a free worker (Options.Workers); false when the
// client gave up first. release gives it back.
func (s *Server) takeWorker(r *http.Request) (release func(), ok bool) {
	if s.workers == nil {
		return func() {}, true
	}
	select {
	case s.workers <- struct{}{}:
		return func() { <-s.workers }, true
	default:
	}
	raise(&s.peakQ, s.queued.Add(1))
	defer s.queued.Add(-1)
	select {
	case s.workers <- struct{}{}:
		return func() { <-s.workers }, true
	case <-r.Context().Done():
		return nil, false
	}
}

func (s *Server) count(kind string) {
	s.countMu.Lock()
	s.counts[kind]++
	s.countMu.Unlock()
}

// ServeHTTP routes a request, applying any injected fault first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raise(&s.peak, s.inFlight.Add(1))
	defer s.inFlight.Add(-1)
	release, ok := s.takeWorker(r)
	if !ok {
		return
	}
	defer release()
	raise(&s.peakS, s.serving.Add(1))
	defer s.serving.Add(-1)
	kind, handler := s.route(r)
	if n := requestLineLength(r); s.opts.LimitRequestLine > 0 && n > s.opts.LimitRequestLine {
		kind, handler = "request_line_too_large", func(w http.ResponseWriter, r *http.Request) {
			gunicornError(w, "Request Line is too large ("+strconv.Itoa(n)+" > "+strconv.Itoa(s.opts.LimitRequestLine)+")")
		}
	}
	s.count(kind)
	start := time.Now()
	fw, ok := s.faults.apply(kind, w, r)
	if !ok {
		return // the fault answered (or dropped) the request
	}
	// Django's CsrfViewMiddleware checks every unsafe request that reached
	// a view, before the view's own login_required.
	if kind != "not_found" && kind != "redirect" && !safeMethod(r.Method) && !checkCSRF(fw, r) {
		fw.finish()
		return
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
	if kind, h := s.routeTags(r); h != nil { // tags.go
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
	case s.missingInVersion(p):
		return "not_found", djangoNotFound
	case strings.HasPrefix(p, "/api/v0/"):
		return s.routeAPI(r)
	case p == "/webgateway/proj/list/":
		return "proj_list", s.handleProjList
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
	writeJSON(w, http.StatusOK, map[string]any{"requests": counts, "maxConcurrent": s.MaxConcurrent(), "maxQueued": s.MaxQueued(), "maxInService": s.MaxInService()})
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
