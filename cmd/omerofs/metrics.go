package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
)

// --metrics-addr serves Prometheus metrics in the text exposition format,
// written here by hand: a handful of counters does not need a client
// library.

type metricsSource struct {
	conn   *gateway.Conn
	images *cache.Cache
	root   *fs.Root
	disk   *disk.Cache
}

func (m metricsSource) write(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("# HELP omerofs_requests_total Requests to OMERO.web, by endpoint (ids as {id}) and HTTP status.")
	p("# TYPE omerofs_requests_total counter")
	counts := m.conn.RequestCounts()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ep, status, _ := strings.Cut(k, " ")
		p("omerofs_requests_total{endpoint=%s,status=%s} %d", quote(ep), quote(status), counts[k])
	}
	_, relogins, retries := m.conn.Snapshot()
	p("# HELP omerofs_relogins_total Sessions renewed after they expired.")
	p("# TYPE omerofs_relogins_total counter")
	p("omerofs_relogins_total %d", relogins)
	p("# HELP omerofs_retries_total Requests retried once after a transient failure.")
	p("# TYPE omerofs_retries_total counter")
	p("omerofs_retries_total %d", retries)

	cum, sum, count := m.root.Stats().RenderHistogram()
	p("# HELP omerofs_render_seconds Time to render an image (server render, decode, resize, PNG encode).")
	p("# TYPE omerofs_render_seconds histogram")
	for i, le := range fs.RenderBuckets {
		p("omerofs_render_seconds_bucket{le=%s} %d", quote(strconv.FormatFloat(le, 'g', -1, 64)), cum[i])
	}
	p("omerofs_render_seconds_bucket{le=\"+Inf\"} %d", cum[len(cum)-1])
	p("omerofs_render_seconds_sum %g", sum.Seconds())
	p("omerofs_render_seconds_count %d", count)

	st := m.images.Stats()
	ds := m.disk.Stats()
	for _, c := range []struct {
		name, help, typ string
		v               int64
	}{
		{"omerofs_cache_hits_total", "Reads served from the rendered-image cache.", "counter", st.Hits},
		{"omerofs_cache_misses_total", "Reads that found no cached rendering.", "counter", st.Misses},
		{"omerofs_cache_fill_errors_total", "Renders that failed.", "counter", st.FillErrors},
		{"omerofs_cache_evictions_total", "Renderings dropped to stay within --cache-size.", "counter", st.Evictions},
		{"omerofs_cache_bytes", "Bytes of renderings held.", "gauge", st.Bytes},
		{"omerofs_cache_entries", "Renderings held.", "gauge", int64(st.Entries)},
		{"omerofs_open_files", "Image files open now.", "gauge", m.root.OpenFiles()},
		{"omerofs_readahead_total", "Renders started by reading ahead of a sequential reader.", "counter", m.root.Stats().ReadAheads()},
		{"omerofs_listing_readahead_total", "Folder listings started by reading ahead of a program walking a tree.", "counter", m.root.Stats().ListingsAhead()},
		{"omerofs_disk_cache_hits_total", "Renderings served from the disk cache.", "counter", ds.Hits},
		{"omerofs_disk_cache_misses_total", "Renderings not found in the disk cache.", "counter", ds.Misses},
		{"omerofs_disk_cache_corrupt_total", "Disk cache entries that failed their check and were removed.", "counter", ds.Corrupt},
		{"omerofs_disk_cache_evictions_total", "Disk cache entries removed to stay within --disk-cache-size.", "counter", ds.Evictions},
		{"omerofs_disk_cache_bytes", "Bytes in the disk cache directory (estimate).", "gauge", ds.Bytes},
	} {
		p("# HELP %s %s", c.name, c.help)
		p("# TYPE %s %s", c.name, c.typ)
		p("%s %d", c.name, c.v)
	}
	errs := m.root.Stats().Errnos()
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	sort.Strings(names)
	p("# HELP omerofs_errors_total Errors answered to programs, by errno.")
	p("# TYPE omerofs_errors_total counter")
	for _, n := range names {
		p("omerofs_errors_total{errno=%s} %d", quote(n), errs[n])
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// serveMetrics serves /metrics on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, m metricsSource, log logrus.FieldLogger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		m.write(w)
	})
	// The heap profile (go tool pprof http://ADDR/debug/pprof/heap): what a
	// large tree's memory goes to, on the address the user chose for metrics.
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Error("metrics server")
		}
	}()
	log.Infof("metrics on http://%s/metrics", ln.Addr())
	return nil
}
