package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/wrappers"
)

// mountParams is everything a mount needs, whichever command asked for it.
// The flags behind it are declared in options.go.
type mountParams struct {
	url              string
	dir              string
	creds            credentials
	user             string // --user; creds come from it, --password-file and --session-key
	passwordFile     string
	sessionKey       string
	serverID         int
	group            string
	cacheSize        byteSize
	metadataTTL      time.Duration
	timeout          time.Duration
	maxRequests      int
	maxRenderSize    int
	allowOther       bool
	insecure         bool
	fuseDebug        bool
	metricsAddr      string
	thumbnails       bool
	render           string // --render: fs.RenderAuto, RenderServer or RenderLocal
	cacheDir         string
	diskCacheSize    byteSize
	readAhead        int
	maxListings      int
	maxListedObjects int
}

// defaultCacheDir is --cache-dir's default: $XDG_CACHE_HOME/omerofs, else
// ~/.cache/omerofs; "" without a home directory.
func defaultCacheDir() string {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "omerofs")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "omerofs")
}

func newMountCmd(a *app) *cobra.Command {
	var p mountParams
	cmd := &cobra.Command{
		Use:   "mount [flags] [URL] MOUNTPOINT",
		Short: "Mount the OMERO.web at URL on MOUNTPOINT (stays in the foreground)",
		Long: `Mount the OMERO server behind the OMERO.web at URL on the empty directory MOUNTPOINT.
omerofs stays in the foreground until unmounted ('fusermount3 -u MOUNTPOINT') or sent
Ctrl-C/SIGTERM, which unmount cleanly.

Credentials: --user (or OMERO_USER) with the password from OMERO_PASSWORD, --password-file,
or a prompt on a terminal (never a command-line argument); or --session-key (or
OMERO_SESSION_KEY) to join an existing OMERO session; or nothing, for public access.`,
		Example: `  OMERO_PASSWORD=secret omerofs mount --user alice https://omero.example.org ~/omero
  omerofs mount --user alice --password-file ~/.omero-pass --cache-size 2GiB https://omero.example.org ~/omero
  OMERO_SESSION_KEY=$(omero sessions key) omerofs mount https://omero.example.org ~/omero
  omerofs mount https://idr.openmicroscopy.org ~/idr`,
		Args: argsBetween(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if a.configURL == "" {
					return usageError{fmt.Errorf("mount: give URL and MOUNTPOINT (or url = … in the config file)")}
				}
				args = []string{a.configURL, args[0]}
			}
			creds, err := loadCredentials(p.user, p.passwordFile, p.sessionKey)
			if err != nil {
				return err
			}
			p.url, p.dir, p.creds = args[0], args[1], creds
			return runMount(cmd.Context(), p, nil)
		},
	}
	addOptions(cmd.Flags(), mountOptions(&p))
	addOptions(cmd.Flags(), serverOptions(&p))
	return cmd
}

// runMount connects, mounts and serves until the mount ends or ctx is
// cancelled (a signal), then unmounts. ready, when set, is called once the
// mount is up.
func runMount(ctx context.Context, p mountParams, ready func()) error {
	log := logrus.StandardLogger()
	if err := checkURL(p.url); err != nil {
		return usageError{err}
	}
	if err := checkMountpoint(p.dir); err != nil {
		return err
	}
	if err := checkRender(p.render); err != nil {
		return usageError{err}
	}
	var group int64
	groupName := ""
	if p.group != "" {
		if g, err := strconv.ParseInt(p.group, 10, 64); err == nil && g >= 0 {
			group = g
		} else {
			groupName = p.group // looked up once connected
		}
	}
	if p.insecure {
		log.Warn("--insecure: the server's TLS certificate is NOT verified; anyone on the network path can read your password and data")
	}
	conn, err := gateway.Connect(ctx, gateway.Config{
		BaseURL:     p.url,
		Username:    p.creds.user,
		Password:    p.creds.password,
		SessionKey:  p.creds.sessionKey,
		ServerID:    p.serverID,
		Group:       group,
		Timeout:     p.timeout,
		MaxRequests: p.maxRequests,
		Insecure:    p.insecure,
		UserAgent:   "omerofs/" + versionString(),
		Logger:      log,
	})
	if err != nil {
		return fmt.Errorf("connect to %s as %s: %w", p.url, p.creds, err)
	}
	defer conn.Close()
	if groupName != "" {
		id, err := conn.GroupByName(ctx, groupName)
		if err != nil {
			return fmt.Errorf("--group: %w", err)
		}
		conn.SetGroupFilter(id)
	}

	routes := probeRaw(ctx, conn, p.render, log) // rawprobe.go: the start-up line

	images := cache.New(cache.Options{MaxBytes: int64(p.cacheSize), Logger: log})
	// The cache is most of what we hold; ask the GC to keep the heap near
	// it rather than letting garbage from renders double it (GOGC=100).
	// A GOMEMLIMIT set by the user wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		tuneMemoryLimit(ctx, int64(p.cacheSize), images, 5*time.Second) // memlimit.go
	}
	if p.readAhead < 0 || p.maxListings < 0 || p.maxListedObjects < 0 {
		return usageError{fmt.Errorf("--read-ahead, --max-listings and --max-listed-objects must not be negative")}
	}
	diskSize := int64(p.diskCacheSize)
	if p.cacheDir == "" {
		p.cacheDir = defaultCacheDir()
	}
	if p.cacheDir == "" {
		log.Warn("no home directory and no --cache-dir: no disk cache")
		diskSize = 0
	}
	dc, err := disk.Open(p.cacheDir, diskSize, log)
	if err != nil {
		return usageError{fmt.Errorf("--disk-cache-size: %w", err)}
	}
	defer dc.Close()
	var thumbDir, absDir string
	if p.thumbnails {
		thumbDir, absDir = thumbnailCacheDir(), absPath(p.dir)
	}
	client := wrappers.NewClient(conn, nil)
	client.SetLogger(log)
	root := fs.NewRoot(client, images, fs.Options{
		MetadataTTL:   p.metadataTTL,
		MaxRenderSize: p.maxRenderSize,
		RenderTimeout: 2*p.timeout + 5*time.Second,
		UID:           uint32(os.Getuid()),
		GID:           uint32(os.Getgid()),
		Logger:        log,
		ThumbnailDir:  thumbDir,
		Mountpoint:    absDir,
		Raw:           routes,
		Render:        p.render,
		DiskCache:     dc,
		// The disk cache may be shared: its keys name the server (and
		// OMERO server id) the images come from.
		CacheNamespace:   fmt.Sprintf("%s#%d", conn.Root(), p.serverID),
		ReadAhead:        p.readAhead,
		MaxListings:      p.maxListings,
		MaxListedObjects: p.maxListedObjects,
	})
	defer root.Close() // waits for thumbnails being written, removes the data view's spool
	server, err := fs.Mount(p.dir, root, fs.MountOptions{
		AllowOther: p.allowOther,
		FsName:     "omerofs:" + hostOf(p.url),
		Debug:      p.fuseDebug,
	})
	if err != nil {
		return fmt.Errorf("%w (is fuse3 installed? 'apt-get install fuse3')", err)
	}
	log.Infof("mounted %s at %s (%s); unmount with: fusermount3 -u %s", p.url, p.dir, p.creds, p.dir)
	mctx, stopMetrics := context.WithCancel(ctx)
	defer stopMetrics()
	if p.metricsAddr != "" {
		if err := serveMetrics(mctx, p.metricsAddr, metricsSource{conn: conn, images: images, root: root, disk: dc}, log); err != nil {
			log.WithError(err).Error("metrics not served")
		}
	}
	if ready != nil {
		ready()
	}

	done := make(chan struct{})
	go func() { server.Wait(); close(done) }()
	go keepAlive(ctx, done, conn, root, log)
	select {
	case <-done:
		log.Infof("%s was unmounted", p.dir)
	case <-ctx.Done():
		log.Infof("unmounting %s", p.dir)
		if err := fs.Unmount(server, p.dir); err != nil {
			return err
		}
		select {
		case <-done:
		case <-time.After(unmountGrace):
			// A lazy unmount with files still open: the kernel lets go
			// when they close, and our exit closes the connection.
			log.Warnf("%s detached; files still open there will report errors", p.dir)
		}
		log.Infof("unmounted %s", p.dir)
	}
	return nil
}

// keepAliveEvery is how often an idle session is pinged while files are
// open: well within OMERO's default 10-minute idle timeout.
const keepAliveEvery = 4 * time.Minute

// keepAlive pings the session while image files are open, so that a viewer
// holding a file does not find the session gone; re-login covers the rest.
func keepAlive(ctx context.Context, done <-chan struct{}, conn *gateway.Conn, root *fs.Root, log logrus.FieldLogger) {
	t := time.NewTicker(keepAliveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			if root.OpenFiles() == 0 {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if err := conn.KeepAlive(pctx); err != nil {
				log.WithError(err).Debug("keepalive")
			}
			cancel()
		}
	}
}

// thumbnailCacheDir is the freedesktop thumbnail cache of this user.
func thumbnailCacheDir() string {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "thumbnails")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "thumbnails")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// memoryHeadroom is what the process may hold beyond the cache: renders in
// flight, listings, buffers.
const memoryHeadroom = 48 << 20

// unmountGrace bounds the wait for the kernel to release the mount.
const unmountGrace = 5 * time.Second

// checkURL refuses what cannot be an OMERO.web address before any request.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not a server URL: give the OMERO.web address, e.g. https://omero.example.org", raw)
	}
	return nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}
