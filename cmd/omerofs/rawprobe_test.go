package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
)

// The start-up line names the raw route the mount found, for each kind
// of server: none, core OMERO.web (OME-TIFF export), the pixel-buffer
// service, omero-web-zarr.
func TestStartupLineNamesRawRoute(t *testing.T) {
	for _, c := range []struct {
		name string
		opts testserver.Options
		want string
		none bool
	}{
		{"none", testserver.Options{NoOMETiff: true}, "raw pixels: none found", true},
		{"ome-tiff", testserver.Options{}, "raw pixels: OME-TIFF export, images up to 3192×3192 only; images rendered by the server, or here once", false},
		{"pixel-buffer", testserver.Options{PixelBuffer: true, NoOMETiff: true}, "raw pixels: pixel-buffer service; images rendered here", false},
		{"zarr", testserver.Options{Zarr: true, NoOMETiff: true}, "raw pixels: omero-web-zarr; images rendered here", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs := httptest.NewServer(testserver.New(c.opts))
			defer hs.Close()
			log, hook := logtest.NewNullLogger()
			log.SetLevel(logrus.InfoLevel)
			conn, err := gateway.Connect(context.Background(), gateway.Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			routes := probeRaw(context.Background(), conn, "auto", log)
			var lines []string
			for _, e := range hook.AllEntries() {
				if e.Level == logrus.InfoLevel && strings.HasPrefix(e.Message, "raw pixels:") {
					lines = append(lines, e.Message)
				}
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Fatalf("start-up lines %q, want one starting %q", lines, c.want)
			}
			if (len(routes.Available()) == 0) != c.none {
				t.Fatalf("routes %v", routes.Available())
			}
		})
	}
	if checkRender("lossy") == nil || checkRender("server") != nil {
		t.Error("--render is not checked")
	}
}
