package fs

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers"
)

// requireFUSE skips, loudly, only where FUSE truly cannot work. In CI (root,
// /dev/fuse) these tests mount for real.
func requireFUSE(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("SKIPPING FUSE TEST: /dev/fuse is absent (%v); this test mounts for real and runs in CI", err)
	}
	if _, err := exec.LookPath("fusermount3"); err != nil && os.Geteuid() != 0 {
		t.Skip("SKIPPING FUSE TEST: no fusermount3 and not root; run 'make deps'")
	}
}

// mounted is a live mount of a test server, torn down by the test's cleanup.
type mounted struct {
	dir    string
	server *testserver.Server
	http   *httptest.Server
	root   *Root
	images *cache.Cache
}

type mountConfig struct {
	serverOpts testserver.Options
	fsOpts     Options
	cacheBytes int64
	user       string
	timeout    time.Duration // gateway.Config.Timeout; 0 = 20s
	// rawProbe names a visible image: the raw routes are probed with it
	// (data_raw_test.go); "" = no raw pixels.
	rawProbe string
}

// mountTestServer starts a test server and mounts it in a temporary folder.
func mountTestServer(t testing.TB, mc mountConfig) *mounted {
	t.Helper()
	requireFUSE(t)
	ts := testserver.New(mc.serverOpts)
	hs := httptest.NewServer(ts)
	t.Cleanup(hs.Close)
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	user := mc.user
	if user == "" {
		user = "demo"
	}
	if mc.timeout == 0 {
		mc.timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := gateway.Connect(ctx, gateway.Config{
		BaseURL: hs.URL, Username: user, Password: user,
		Timeout: mc.timeout, MaxRequests: 8, Logger: log,
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if mc.cacheBytes == 0 {
		mc.cacheBytes = 256 << 20
	}
	images := cache.New(cache.Options{MaxBytes: mc.cacheBytes, Logger: log})
	opts := mc.fsOpts
	if opts.Logger == nil {
		opts.Logger = log
	}
	opts.UID, opts.GID = uint32(os.Getuid()), uint32(os.Getgid())
	if mc.rawProbe != "" {
		opts.Raw = probeRaw(t, ts, conn, mc.rawProbe, log)
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if opts.ThumbnailDir != "" {
		opts.Mountpoint = dir
	}
	root := NewRoot(wrappers.NewClient(conn, nil), images, opts)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	server, err := Mount(dir, root, MountOptions{FsName: "omerofs-test"})
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() {
		if err := Unmount(server, dir); err != nil {
			t.Errorf("unmount: %v", err)
		}
		server.Wait()
		root.Close()
	})
	return &mounted{dir: dir, server: ts, http: hs, root: root, images: images}
}

func (m *mounted) path(parts ...string) string {
	return filepath.Join(append([]string{m.dir}, parts...)...)
}
