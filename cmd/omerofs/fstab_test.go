package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

func TestFstabArgsAndFlags(t *testing.T) {
	url, dir, opts, ok := fstabArgs([]string{"https://omero.example.org", "/mnt/omero", "-o", "rw,nodev,user=alice,password_file=/etc/omero.pass,cache_size=1GiB,allow_other,_netdev,x-systemd.automount"})
	if !ok || url != "https://omero.example.org" || dir != "/mnt/omero" || len(opts) != 8 {
		t.Fatalf("parse: %q %q %q %v", url, dir, opts, ok)
	}
	flags, err := fstabFlags(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(flags, " "); got != "--user alice --password-file /etc/omero.pass --cache-size 1GiB --allow-other" {
		t.Errorf("flags %q", got)
	}
	if _, err := fstabFlags([]string{"password=hunter2"}); err == nil {
		t.Error("a password in mount options accepted")
	}
	for _, args := range [][]string{{"mount", "x", "y"}, {"version"}, {"https://x"}, {"ftp://x", "/m"}, {"--help"}} {
		if _, _, _, ok := fstabArgs(args); ok {
			t.Errorf("%q taken for the fstab form", args)
		}
	}
}

// TestMountTypeFuseOmerofs mounts through mount(8) and mount.fuse3, as an
// /etc/fstab line would: `mount -t fuse.omerofs URL DIR -o …`.
func TestMountTypeFuseOmerofs(t *testing.T) {
	requireFUSE(t)
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mount(8) with a fuse.* type needs root here")
	}
	if _, err := exec.LookPath("mount.fuse3"); err != nil {
		if _, err := os.Stat("/sbin/mount.fuse3"); err != nil {
			t.Skip("SKIPPING: no mount.fuse3 (fuse3 package); run 'make deps'")
		}
	}
	hs := httptest.NewServer(testserver.New(testserver.Options{}))
	defer hs.Close()
	// mount(8) runs the helper with a fixed PATH: install it where that
	// PATH looks, for this test only.
	const installed = "/usr/local/bin/omerofs"
	if _, err := os.Stat(installed); err == nil {
		t.Skipf("SKIPPING: %s exists already and is not ours to replace", installed)
	}
	data, err := os.ReadFile(omerofsBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(installed, data, 0o755); err != nil {
		t.Skipf("SKIPPING: cannot install %s: %v", installed, err)
	}
	defer os.Remove(installed)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("demo\n"), 0o600)
	dir := filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(dir, 0o755)
	cmd := exec.Command("mount", "-t", "fuse.omerofs", hs.URL, dir, "-o", "user=demo,password_file="+pw+",cache_size=64MiB,nodev")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mount -t fuse.omerofs: %v\n%s", err, out)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	ents, err := os.ReadDir(filepath.Join(dir, "projects"))
	if err != nil || len(ents) == 0 {
		t.Fatalf("projects through the fstab mount: %d, %v", len(ents), err)
	}
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	for i := 0; i < 100; i++ {
		if m, _ := isMountpoint(dir); !m {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m, _ := isMountpoint(dir); m {
		t.Fatal("still mounted after umount")
	}
	// A bad password: mount(8) fails with omerofs's own line.
	os.WriteFile(pw, []byte("wrong\n"), 0o600)
	out, err = exec.Command("mount", "-t", "fuse.omerofs", hs.URL, dir, "-o", "user=demo,password_file="+pw).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused") {
		t.Fatalf("bad password through mount(8): %v %s", err, out)
	}
}
