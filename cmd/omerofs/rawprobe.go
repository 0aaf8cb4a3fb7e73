package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/wrappers/raw"
)

// probeTimeout bounds the raw route probe at mount: a slow server delays
// the mount by at most this.
const probeTimeout = 30 * time.Second

// probeRaw finds the raw pixel routes the server offers, with one image
// the session sees (some routes answer for any id), and logs the start-up
// line saying which one planes/, image.ome.zarr/ and local rendering use.
func probeRaw(ctx context.Context, conn *gateway.Conn, render string, log logrus.FieldLogger) *raw.Routes {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	id, err := conn.AnyImage(pctx)
	if err != nil {
		log.WithError(err).Debug("raw pixels: no image to probe with")
	}
	routes := raw.Probe(pctx, conn, raw.Options{ProbeImage: id, Logger: log})
	if id == 0 {
		// Nothing visible to prove the routes with: trust none, so that no
		// folder promises pixels a route may not serve.
		log.Info("raw pixels: not probed (no image visible at mount); no planes/ or image.ome.zarr/")
		return nil
	}
	line := routes.Describe()
	if len(routes.Available()) > 0 {
		switch {
		case render == fs.RenderServer:
			line += "; images rendered by the server (--render server)"
		case render != fs.RenderLocal && routes.Available()[0] == raw.OMETiff:
			line += "; images rendered by the server, or here once planes/ has fetched their export (--render local: always here)"
		default:
			line += "; images rendered here from raw pixels where reachable (--render " + render + ")"
		}
	}
	log.Info(line)
	return routes
}

// checkRender validates --render.
func checkRender(mode string) error {
	switch mode {
	case "", fs.RenderAuto, fs.RenderServer, fs.RenderLocal:
		return nil
	}
	return fmt.Errorf("--render %q: want auto, server or local", mode)
}
