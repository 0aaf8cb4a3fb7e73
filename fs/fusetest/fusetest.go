// Package fusetest holds what the tests of every package that mounts share:
// whether FUSE can run here, a mountpoint that never outlives its test,
// waits for a state (mounted, unmounted, a condition) instead of a sleep or
// a log line, and goroutine counting for leak checks. Only tests import it.
package fusetest

import (
	"fmt"
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
	var missing string
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = fmt.Sprintf("/dev/fuse is absent (%v)", err)
	} else if _, err := exec.LookPath("fusermount3"); err != nil && os.Geteuid() != 0 {
		missing = "no fusermount3 and not root; run 'make deps'"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("FUSE TEST CANNOT RUN IN CI: %s", missing)
	}
	// t.Skip is silent without -v: say it once on stderr as well.
	skipNote.Do(func() {
		fmt.Fprintf(os.Stderr, "SKIPPING FUSE TESTS: %s; they mount for real and run in CI\n", missing)
	})
	t.Skipf("SKIPPING FUSE TEST: %s; this test mounts for real and runs in CI", missing)
}
