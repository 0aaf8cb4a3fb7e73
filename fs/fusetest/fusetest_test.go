package fusetest

import (
	"testing"
)

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
