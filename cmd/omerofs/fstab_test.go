package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omerofs/omerofs/fs/fusetest"
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

// TestMountTypeFuseOmerofs mounts through mount.fuse3, the helper that
// mount(8) runs for an /etc/fstab line of type fuse.omerofs, with the
// arguments mount(8) gives it (source, target, -o options, -t type).
// mount(8) itself runs helpers with a fixed PATH (/usr/local/bin among
// them), so a user installs omerofs there; mount.fuse3 then starts
// "omerofs" through /bin/sh, which looks it up in its PATH. This test puts
// the binary in a temporary folder on that PATH instead of installing it.
func TestMountTypeFuseOmerofs(t *testing.T) {
	fusetest.RequireFUSE(t)
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mount.fuse3 with a fuse.* type needs root here")
	}
	helper, err := exec.LookPath("mount.fuse3")
	if err != nil {
		if helper, err = "/sbin/mount.fuse3", nil; !fileExists(helper) {
			t.Skip("SKIPPING: no mount.fuse3 (fuse3 package); run 'make deps'")
		}
	}
	hs := testserver.Start(t, testserver.Options{})
	bin := t.TempDir()
	data, err := os.ReadFile(omerofsBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "omerofs"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	// The background mount keeps its log in $TMPDIR: the test's own.
	env := []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("demo\n"), 0o600)
	dir := fusetest.Dir(t)
	run := func(opts string) ([]byte, error) {
		cmd := exec.Command(helper, hs.URL, dir, "-o", opts, "-t", "fuse.omerofs")
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	if out, err := run("user=demo,password_file=" + pw + ",cache_size=64MiB,nodev"); err != nil {
		t.Fatalf("mount.fuse3 -t fuse.omerofs: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "projects"))
	if err != nil || len(ents) == 0 {
		t.Fatalf("projects through the fstab mount: %d, %v", len(ents), err)
	}
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	fusetest.WaitUnmounted(t, dir)
	// A bad password: the mount fails with omerofs's own line.
	os.WriteFile(pw, []byte("wrong\n"), 0o600)
	out, err := run("user=demo,password_file=" + pw)
	if err == nil || !strings.Contains(string(out), "refused") {
		t.Fatalf("bad password through mount.fuse3: %v %s", err, out)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
