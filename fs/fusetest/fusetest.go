// Package fusetest holds what the tests of every package that mounts share:
// whether FUSE can run here, a mountpoint that never outlives its test,
// waits for a state (mounted, unmounted, a condition) instead of a sleep or
// a log line, and goroutine counting for leak checks. Only tests import it.
package fusetest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
)

var skipNote sync.Once

// RequireFUSE skips the test, loudly, only where FUSE truly cannot work:
// no /dev/fuse, or neither root (which mounts directly) nor fusermount3.
// With CI=true it fails instead: in CI these tests must mount for real.
func RequireFUSE(t testing.TB) {
	t.Helper()
	requireFUSE(t, "/dev/fuse", os.Getenv("CI") == "true", os.Stderr)
}

func requireFUSE(t testing.TB, dev string, ci bool, stderr io.Writer) {
	t.Helper()
	var missing string
	if _, err := os.Stat(dev); err != nil {
		missing = fmt.Sprintf("%s is absent (%v)", dev, err)
	} else if _, err := exec.LookPath("fusermount3"); err != nil && os.Geteuid() != 0 {
		missing = "no fusermount3 and not root; run 'make deps'"
	}
	if missing == "" {
		return
	}
	if ci {
		t.Fatalf("FUSE TEST CANNOT RUN IN CI: %s", missing)
		return
	}
	// t.Skip is silent without -v: say it once on stderr as well.
	skipNote.Do(func() {
		fmt.Fprintf(stderr, "SKIPPING FUSE TESTS: %s; they mount for real and run in CI\n", missing)
	})
	t.Skipf("SKIPPING FUSE TEST: %s; this test mounts for real and runs in CI", missing)
}
