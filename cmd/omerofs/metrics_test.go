package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers"
)

func TestMetricsExposition(t *testing.T) {
	hs := testserver.Start(t, testserver.Options{})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	conn, err := gateway.Connect(context.Background(), gateway.Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Projects(context.Background())
	conn.Image(context.Background(), 999999) // a 404
	images := cache.New(cache.Options{MaxBytes: 1 << 20})
	images.Get(context.Background(), "k", func(context.Context) ([]byte, error) { return []byte("x"), nil })
	images.Get(context.Background(), "k", nil)
	dc, err := disk.Open(t.TempDir(), 1<<20, log)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	dc.Bytes(context.Background(), "k", 1, func(ctx context.Context, w io.Writer) error { _, err := w.Write([]byte("x")); return err })
	dc.Bytes(context.Background(), "k", 1, nil)
	root := fs.NewRoot(wrappers.NewClient(conn, nil), images, fs.Options{Logger: log})
	var b strings.Builder
	metricsSource{conn: conn, images: images, root: root, disk: dc}.write(&b)
	out := b.String()
	for _, want := range []string{
		`omerofs_requests_total{endpoint="api/v0/m/projects/",status="200"} 1`,
		`omerofs_requests_total{endpoint="api/v0/m/images/{id}/",status="404"} 1`,
		`omerofs_requests_total{endpoint="api/v0/login/",status="200"} 1`,
		"omerofs_cache_hits_total 1", "omerofs_cache_misses_total 1", "omerofs_cache_bytes 1",
		`omerofs_render_seconds_bucket{le="+Inf"} 0`, "omerofs_relogins_total 0",
		"omerofs_readahead_total 0", "omerofs_listing_readahead_total 0",
		"omerofs_disk_cache_hits_total 1", "omerofs_disk_cache_misses_total 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	line := regexp.MustCompile(`^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="[^"]*",?)+\})? [0-9.e+-]+)$`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !line.MatchString(l) {
			t.Errorf("not Prometheus text format: %q", l)
		}
	}
}
