package fusetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bound is how long a wait for a state may take before the test fails. It
// bounds a hang; it asserts no speed (the machine may be loaded).
const Bound = 60 * time.Second

// Mounted reports whether dir is a mount point, from /proc/self/mountinfo:
// unlike a stat, reading it never blocks on a hung or dead FUSE server.
func Mounted(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// Fields: id parent major:minor root mountpoint …; the mount point
		// escapes space, tab, newline and backslash as octal.
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMountinfo(fields[4]) == abs {
			return true
		}
	}
	return false
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// WaitFor polls cond until it holds, failing the test (with what) after
// Bound. Tests wait for states with it, never for a log line's wording.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(Bound); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", Bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitMounted waits until dir is a mount point.
func WaitMounted(t testing.TB, dir string) {
	t.Helper()
	WaitFor(t, dir+" to be mounted", func() bool { return Mounted(dir) })
}

// WaitMountedOrExit waits until dir is a mount point, failing at once if
// exited closes first (the process that should mount it has ended). A
// failure shows log(), the process's output so far.
func WaitMountedOrExit(t testing.TB, dir string, exited <-chan struct{}, log func() string) {
	t.Helper()
	deadline := time.After(Bound)
	for !Mounted(dir) {
		select {
		case <-exited:
			if !Mounted(dir) {
				t.Fatalf("the process exited before mounting %s:\n%s", dir, log())
			}
			return
		case <-deadline:
			t.Fatalf("waited %v for %s to be mounted:\n%s", Bound, dir, log())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitUnmounted waits until dir is no longer a mount point.
func WaitUnmounted(t testing.TB, dir string) {
	t.Helper()
	WaitFor(t, dir+" to be unmounted", func() bool { return !Mounted(dir) })
}

// Dir returns a new empty mountpoint in the test's temporary folder. Its
// cleanup detaches whatever is still mounted there (and says so), so that
// no test leaves a mount behind, nor a temporary folder it cannot remove.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if Mounted(dir) {
			t.Errorf("%s was still mounted at the end of the test: detaching it", dir)
			detach(dir)
		}
	})
	return dir
}

// Unmount unmounts dir as a user would (fusermount3 -u, or umount(2) as
// root), lazily if it is busy, and waits until it is gone.
func Unmount(t testing.TB, dir string) {
	t.Helper()
	var err error
	if _, lerr := exec.LookPath("fusermount3"); lerr == nil {
		var out []byte
		if out, err = exec.Command("fusermount3", "-u", dir).CombinedOutput(); err != nil {
			t.Logf("fusermount3 -u %s: %v %s", dir, err, out)
		}
	} else {
		err = syscall.Unmount(dir, 0)
	}
	if err != nil {
		detach(dir)
	}
	WaitUnmounted(t, dir)
}

// detach unmounts dir lazily: it goes at once even if busy or dead.
func detach(dir string) {
	if syscall.Unmount(dir, syscall.MNT_DETACH) != nil {
		exec.Command("fusermount3", "-u", "-z", dir).Run()
	}
}
