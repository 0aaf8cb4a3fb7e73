package fusetest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// recorder stands in for a test, recording instead of stopping.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *recorder) Skipf(f string, args ...any)  { r.skip = fmt.Sprintf(f, args...) }

func TestRequireFUSE(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "no-fuse")
	r := &recorder{TB: t}
	requireFUSE(r, absent, false, io.Discard)
	if r.skip == "" || r.fatal != "" {
		t.Errorf("no /dev/fuse outside CI: skip %q, fatal %q; want a skip", r.skip, r.fatal)
	}
	r = &recorder{TB: t}
	requireFUSE(r, absent, true, io.Discard)
	if r.fatal == "" || r.skip != "" {
		t.Errorf("no /dev/fuse in CI: skip %q, fatal %q; want a failure", r.skip, r.fatal)
	}
	if _, err := exec.LookPath("fusermount3"); err == nil || os.Geteuid() == 0 {
		r = &recorder{TB: t}
		requireFUSE(r, t.TempDir(), true, io.Discard) // a path that exists
		if r.fatal != "" || r.skip != "" {
			t.Errorf("FUSE present: skip %q, fatal %q; want neither", r.skip, r.fatal)
		}
	}
}

func TestMounted(t *testing.T) {
	if !Mounted("/") {
		t.Error("/ is not reported as a mount point")
	}
	if Mounted(t.TempDir()) {
		t.Error("a fresh temporary folder is reported as a mount point")
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/a\040b`:    "/tmp/a b",
		`/tmp/x\134y`:    `/tmp/x\y`,
		`/plain`:         "/plain",
		`/tmp/trailing\`: `/tmp/trailing\`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescape %q = %q, want %q", in, got, want)
		}
	}
}

func TestDirAndWaitFor(t *testing.T) {
	dir := Dir(t)
	if Mounted(dir) {
		t.Fatal("a new mountpoint is mounted")
	}
	n := 0
	WaitFor(t, "a counter to reach 3", func() bool { n++; return n >= 3 })
	WaitUnmounted(t, dir)
}
