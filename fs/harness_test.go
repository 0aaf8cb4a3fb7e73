package fs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers"
)

// mounted is a live mount of a test server, torn down by the test's cleanup.
type mounted struct {
	dir    string
	server *testserver.Server
	http   *testserver.Running
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
	fusetest.RequireFUSE(t)
	hs := testserver.Start(t, mc.serverOpts)
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
		opts.Raw = probeRaw(t, hs.Server, conn, mc.rawProbe, log)
	}
	dir := fusetest.Dir(t)
	if opts.ThumbnailDir != "" {
		opts.Mountpoint = dir
	}
	root := NewRoot(wrappers.NewClient(conn, nil), images, opts)
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
		fusetest.WaitUnmounted(t, dir)
	})
	return &mounted{dir: dir, server: hs.Server, http: hs, root: root, images: images}
}

func (m *mounted) path(parts ...string) string {
	return filepath.Join(append([]string{m.dir}, parts...)...)
}
