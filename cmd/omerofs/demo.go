package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/omerofs/omerofs/testserver"
)

// defaultDemoDir is where `omerofs demo` mounts when given no mountpoint.
const defaultDemoDir = "/tmp/omerofs-demo"

func newDemoCmd() *cobra.Command {
	var p mountParams
	cmd := &cobra.Command{
		Use:   "demo [MOUNTPOINT]",
		Short: "Start the built-in demo server on loopback and mount it (default " + defaultDemoDir + ")",
		Long: `Start the built-in demo OMERO.web server on a free loopback port and mount it as the user
demo, on MOUNTPOINT (created if missing; default ` + defaultDemoDir + `). Ctrl-C unmounts and stops.`,
		Example: `  omerofs demo
  # in another terminal:
  ls -l "/tmp/omerofs-demo/projects/Cell Biology/Mitosis/"
  getfattr -d /tmp/omerofs-demo/orphaned/stack.tif.png`,
		Args: argsBetween(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p.dir = defaultDemoDir
			if len(args) == 1 {
				p.dir = args[0]
			}
			if err := os.MkdirAll(p.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				// A dead mount answers ENOTCONN here: checkMountpoint explains it.
				if cerr := checkMountpoint(p.dir); cerr != nil {
					return cerr
				}
				return fmt.Errorf("create mountpoint: %w", err)
			}
			return runDemo(cmd.Context(), p)
		},
	}
	addOptions(cmd.Flags(), mountOptions(&p))
	// The demo shows what a file manager sees: thumbnails on by default.
	cmd.Flags().Lookup("thumbnails").DefValue = "true"
	p.thumbnails = true
	return cmd
}

func runDemo(ctx context.Context, p mountParams) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo server: %w", err)
	}
	srv := &http.Server{
		Handler:           testserver.New(testserver.Options{Logger: logrus.StandardLogger()}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	defer srv.Close()

	p.url = "http://" + ln.Addr().String()
	p.creds = credentials{user: "demo", password: "demo"}
	p.serverID = 1
	return runMount(ctx, p, func() {
		fmt.Printf(`
omerofs demo is mounted at %[1]s (demo server at %[2]s). Try, in another terminal:

  ls %[1]s/projects/
  ls -l "%[1]s/projects/Cell Biology/Mitosis/"
  cp -r %[1]s/datasets/Unfiled /tmp/omerofs-copy && file /tmp/omerofs-copy/*.png
  getfattr -d %[1]s/orphaned/stack.tif.png

Press Ctrl-C here to unmount.
`, p.dir, p.url)
	})
}

func newServeDemoCmd() *cobra.Command {
	var listen, synthetic, webVersion, rawRoutes string
	var public, stats bool
	var latency time.Duration
	var workers int
	cmd := &cobra.Command{
		Use:   "serve-demo [--listen ADDR]",
		Short: "Run only the demo OMERO.web server (default 127.0.0.1:4080)",
		Long: `Run the built-in demo OMERO.web server with its seeded data until Ctrl-C. Logins: demo/demo
(member of both groups), alice/alice, bob/bob; --public also serves requests without a session
as a read-only public user (on by default here, so that curl shows data at once;
--public=false requires a login).`,
		Example: `  omerofs serve-demo &
  curl -s http://127.0.0.1:4080/api/v0/m/projects/ | head
  OMERO_PASSWORD=alice omerofs mount --user alice http://127.0.0.1:4080 /tmp/alice`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := testserver.ParseWebVersion(webVersion); err != nil {
				return usageError{fmt.Errorf("--web-version: %w", err)}
			}
			opts := testserver.Options{Public: public, Logger: logrus.StandardLogger(), WebVersion: webVersion, Stats: stats, RenderLatency: latency, Workers: workers, NoOMETiff: true}
			for _, r := range strings.Split(rawRoutes, ",") {
				switch strings.TrimSpace(r) {
				case "pixel-buffer":
					opts.PixelBuffer = true
				case "zarr":
					opts.Zarr = true
				case "ome-tiff":
					opts.NoOMETiff = false
				case "", "none":
				default:
					return usageError{fmt.Errorf("--raw %q: want a list of pixel-buffer, zarr, ome-tiff, or none", rawRoutes)}
				}
			}
			if synthetic != "" {
				var n, w, h, c int
				var pt string
				// DATASETSxN: that many datasets of N images (the scale benchmark).
				count, rest, _ := strings.Cut(synthetic, ",")
				dsets := 1
				if a, b, ok := strings.Cut(count, "x"); ok {
					dsets, _ = strconv.Atoi(a)
					count = b
				}
				if _, err := fmt.Sscanf(strings.ReplaceAll(count+","+rest, ",", " "), "%d %d %d %d %s", &n, &w, &h, &c, &pt); err != nil || n <= 0 || w <= 0 || h <= 0 || c <= 0 || dsets <= 0 {
					return usageError{fmt.Errorf("--synthetic %q: want [DATASETSx]N,WIDTH,HEIGHT,CHANNELS,TYPE e.g. 10000,1024,1024,3,uint16", synthetic)}
				}
				if dsets > 1 {
					opts.Data, opts.Stats = testserver.SyntheticTree(dsets, n, w, h, c, pt), true
				} else {
					opts.Data, opts.Stats = testserver.SyntheticDataset(n, w, h, c, pt), true
				}
			}
			logrus.Infof("demo server on http://%s (logins demo/demo, alice/alice, bob/bob; public: %v)", listen, public)
			return testserver.ListenAndServe(cmd.Context(), listen, opts)
		},
	}
	cmd.Flags().StringVar(&synthetic, "synthetic", "", "serve a benchmark data set instead: N,WIDTH,HEIGHT,CHANNELS,TYPE (one project, one dataset)")
	cmd.Flags().MarkHidden("synthetic")
	cmd.Flags().DurationVar(&latency, "latency", 0, "add this much to every render, as a busy server's rendering time (benchmarks)")
	cmd.Flags().MarkHidden("latency")
	cmd.Flags().IntVar(&workers, "workers", 0, "serve at most this many requests at once, as gunicorn's sync workers do (benchmarks; 0 = no bound)")
	cmd.Flags().MarkHidden("workers")
	cmd.Flags().BoolVar(&stats, "stats", false, "serve the request counters as JSON at /testserver/stats (for the desktop tests; on with --synthetic)")
	cmd.Flags().MarkHidden("stats")
	cmd.Flags().StringVar(&rawRoutes, "raw", "ome-tiff", "the raw pixel routes served: a list of pixel-buffer, zarr, ome-tiff (core OMERO.web's), or none")
	cmd.Flags().MarkHidden("raw")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4080", "address to listen on")
	cmd.Flags().BoolVar(&public, "public", true, "serve requests without a session as a read-only public user (--public=false to require a login)")
	cmd.Flags().StringVar(&webVersion, "web-version", testserver.NewestWebVersion(), "OMERO.web release to behave as: "+strings.Join(testserver.WebVersions(), ", "))
	return cmd
}
