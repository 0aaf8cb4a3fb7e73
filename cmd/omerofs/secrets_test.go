package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/testserver"
)

// startMount runs `omerofs mount` with env and args, waits for the mount,
// and returns the command and a function giving its stderr so far.
func startMount(t *testing.T, env []string, args ...string) (*exec.Cmd, func() string) {
	t.Helper()
	cmd := exec.Command(omerofsBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	deadline := time.After(60 * time.Second)
	for !strings.Contains(log.String(), "mounted") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("omerofs exited before mounting:\n%s", log.String())
			}
			log.WriteString(l + "\n")
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no mount within 60s:\n%s", log.String())
		}
	}
	return cmd, func() string {
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return log.String()
				}
				log.WriteString(l + "\n")
			case <-time.After(200 * time.Millisecond):
				return log.String()
			}
		}
	}
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
			dir := filepath.Join(t.TempDir(), "mnt")
			os.Mkdir(dir, 0o755)
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
	dir := filepath.Join(t.TempDir(), "mnt")
	cmd, _ := startMount(t, nil, "demo", dir)
	cmd.Process.Kill()
	cmd.Wait()
	defer func() {
		if exec.Command("fusermount3", "-u", dir).Run() != nil {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	}()
	code, _, stderr := run(t, nil, "demo", dir)
	if code == 0 || !strings.Contains(stderr, "fusermount3 -u "+dir) || !strings.Contains(stderr, "not connected") {
		t.Fatalf("exit %d, %q: want a non-zero exit that names the dead mount and the fusermount3 command", code, stderr)
	}
}
