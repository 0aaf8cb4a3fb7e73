package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
)

// TestDiskCacheFlags: --cache-dir gets a 0700 directory holding what was
// read, and --disk-cache-size 0 leaves the disk alone.
func TestDiskCacheFlags(t *testing.T) {
	fusetest.RequireFUSE(t)
	for _, c := range []struct {
		name   string
		size   string
		stored bool
	}{{"on", "64MiB", true}, {"off", "0", false}} {
		t.Run(c.name, func(t *testing.T) {
			cacheDir := filepath.Join(t.TempDir(), "cache")
			dir := filepath.Join(t.TempDir(), "mnt")
			cmd, logs := startMount(t, nil, "demo", "--cache-dir", cacheDir, "--disk-cache-size", c.size, dir)
			defer cmd.Process.Kill()
			if _, err := os.ReadFile(filepath.Join(dir, "orphaned", "orphan.tif.png")); err != nil {
				t.Fatalf("read: %v\n%s", err, logs())
			}
			var entries []string
			filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() && !strings.Contains(d.Name(), ".tmp_") {
					entries = append(entries, p)
				}
				return nil
			})
			if got := len(entries) > 0; got != c.stored {
				t.Errorf("entries on disk: %v; want some: %v", entries, c.stored)
			}
			if c.stored {
				if fi, err := os.Stat(cacheDir); err != nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("cache dir: %v, %v; want mode 0700", fi, err)
				}
			} else if _, err := os.Stat(cacheDir); err == nil {
				t.Errorf("--disk-cache-size 0 created %s", cacheDir)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("no exit within 30s of SIGTERM")
			}
		})
	}
}
