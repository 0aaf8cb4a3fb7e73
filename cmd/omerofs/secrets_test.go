package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/testserver"
)

// mountProc is an omerofs process started by startMount. Its Wait may be
// called more than once (startMount's own watcher waits for it too).
type mountProc struct {
	*exec.Cmd
	done chan struct{}
	err  error
}

func (p *mountProc) Wait() error { <-p.done; return p.err }

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startMount runs omerofs with env and args (the mountpoint last), waits
// until the mountpoint is mounted (a state, not a log line), and returns the
// process and a function giving its stderr so far. A process still running
// at the test's end is killed.
func startMount(t *testing.T, env []string, args ...string) (*mountProc, func() string) {
	t.Helper()
	dir := args[len(args)-1]
	cmd := exec.Command(omerofsBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &mountProc{Cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	fusetest.WaitMountedOrExit(t, dir, p.done, stderr.String)
	return p, stderr.String
}

// TestSecretsNeverLogged mounts with a password and then with a session
// key, at debug level (every request logged), exercises the mount, and
// greps everything the process printed.
func TestSecretsNeverLogged(t *testing.T) {
	fusetest.RequireFUSE(t)
	hs := testserver.Start(t, testserver.Options{})
	ts := hs.Server
	const password = "demo" // the demo user's; a secret like any other
	key := "per-subtest"
	for _, c := range []struct {
		name   string
		env    []string
		args   []string
		secret string
	}{
		{"password", []string{"OMERO_PASSWORD=" + password}, []string{"--user", "demo"}, "OMERO_PASSWORD"},
		{"session key", nil, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fusetest.Dir(t)
			if c.name == "session key" {
				key = ts.NewSessionKey("demo") // the password case's expiry killed older ones
				c.env = []string{"OMERO_SESSION_KEY=" + key}
			}
			args := append([]string{"mount", "--log-level", "debug"}, c.args...)
			cmd, logs := startMount(t, c.env, append(args, hs.URL, dir)...)
			ts.ExpireSessions() // force a re-login: the riskiest moment for a leak
			ents, _ := os.ReadDir(filepath.Join(dir, "orphaned"))
			for _, e := range ents[:min(2, len(ents))] {
				os.ReadFile(filepath.Join(dir, "orphaned", e.Name()))
			}
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			out := logs()
			if !strings.Contains(out, "request") {
				t.Fatalf("debug log shows no requests; the test proves nothing:\n%s", out)
			}
			secret := key
			if c.name == "password" {
				secret = "password=" + password // how it would appear in a form or URL
			}
			if strings.Contains(out, secret) || strings.Contains(out, "sessionid=") {
				t.Fatalf("a secret reached the log:\n%s", out)
			}
		})
	}
}

// TestDeadMountIsExplained kills a mount with SIGKILL, leaving the kernel
// mount without its process, and checks that the next mount there says
// what happened and the exact command that fixes it.
func TestDeadMountIsExplained(t *testing.T) {
	fusetest.RequireFUSE(t)
	dir := fusetest.Dir(t)
	cmd, _ := startMount(t, nil, "demo", dir)
	cmd.Process.Kill()
	cmd.Wait()
	defer fusetest.Unmount(t, dir)
	code, _, stderr := run(t, nil, "demo", dir)
	if code == 0 || !strings.Contains(stderr, "fusermount3 -u "+dir) || !strings.Contains(stderr, "not connected") {
		t.Fatalf("exit %d, %q: want a non-zero exit that names the dead mount and the fusermount3 command", code, stderr)
	}
}
