package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/testserver"
)

// buildOnce holds the omerofs binary the CLI tests build once, in binDir.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

// binDir is this test binary's temporary folder for the omerofs binary,
// removed by TestMain when the tests end.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "omerofs-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func omerofsBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildOnce.path = filepath.Join(binDir, "omerofs")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = errors.New(string(out))
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("build omerofs: %v", buildOnce.err)
	}
	return buildOnce.path
}

// run runs omerofs with a clean environment and returns exit code and stderr.
func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, omerofsBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "omerofs ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, sub := range []string{"", "mount", "demo", "serve-demo", "version"} {
		args := []string{"--help"}
		if sub != "" {
			args = []string{sub, "--help"}
		}
		code, out, _ := run(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("omerofs %s --help: exit %d\n%s", sub, code, out)
		}
		if sub != "version" && !strings.Contains(out, "Examples:") {
			t.Errorf("omerofs %s --help shows no examples", sub)
		}
	}
}

// TestMountFailuresSayOneLine checks design.md: a bad URL, a failed login, an
// unreachable server or a bad mountpoint give one clear line and a non-zero
// exit, and leave no mount behind.
func TestMountFailuresSayOneLine(t *testing.T) {
	hs := testserver.Start(t, testserver.Options{})
	empty := t.TempDir()
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"bad URL", nil, []string{"mount", "omero.example.org", empty}, "not a server URL"},
		{"unreachable", nil, []string{"mount", "--timeout", "5s", "http://127.0.0.1:1", empty}, "127.0.0.1:1"},
		{"failed login", []string{"OMERO_PASSWORD=wrong"}, []string{"mount", "--user", "demo", hs.URL, empty}, "demo"},
		{"missing mountpoint", nil, []string{"mount", hs.URL, filepath.Join(empty, "nope")}, "does not exist"},
		{"non-empty mountpoint", nil, []string{"mount", hs.URL, full}, "not empty"},
		{"file mountpoint", nil, []string{"mount", hs.URL, filepath.Join(full, "x")}, "not a directory"},
		{"password on argv", nil, []string{"mount", "--password", "secret", hs.URL, empty}, "unknown flag"},
		{"no password off a terminal", nil, []string{"mount", "--user", "demo", hs.URL, empty}, "OMERO_PASSWORD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.env, c.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code == 0 || len(lines) != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q: want non-zero and one line mentioning %q", code, stderr, c.want)
			}
			if strings.Contains(stderr, "wrong") && strings.Contains(c.name, "login") {
				t.Errorf("the password was printed: %q", stderr)
			}
			if mounted, _ := isMountpoint(empty); mounted {
				t.Errorf("a mount was left behind at %s", empty)
			}
		})
	}
}

// TestDemoUnmountsOnSIGTERMWithReadsInFlight starts `omerofs demo`, reads
// images from several goroutines, sends SIGTERM in the middle, and expects a
// clean exit with the mount gone.
func TestDemoUnmountsOnSIGTERMWithReadsInFlight(t *testing.T) {
	fusetest.RequireFUSE(t)
	dir := fusetest.Dir(t)
	cmd, logs := startMount(t, nil, "demo", dir)
	defer cmd.Process.Kill()
	var files []string
	filepath.WalkDir(filepath.Join(dir, "orphaned"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && len(files) < 40 {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no images under orphaned/ in the demo")
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, f := range files[i%len(files):] {
				os.ReadFile(f) // errors are expected once the mount goes
			}
		}(i)
	}
	time.Sleep(50 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGTERM; log:\n%s", err, logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not exit within 30s of SIGTERM")
	}
	wg.Wait()
	if fusetest.Mounted(dir) {
		t.Fatalf("%s is still mounted after SIGTERM", dir)
	}
}
