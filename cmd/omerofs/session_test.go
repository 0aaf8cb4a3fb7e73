package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/testserver"
)

// TestSessionKeyMountOnTwoServers mounts with a session key on an OMERO.web
// that offers two servers: the join must name its server (--server,
// default 1) or OMERO.web refuses it.
func TestSessionKeyMountOnTwoServers(t *testing.T) {
	fusetest.RequireFUSE(t)
	hs := testserver.Start(t, testserver.Options{Servers: 2})
	ts := hs.Server
	dir := fusetest.Dir(t)
	cmd, logs := startMount(t, []string{"OMERO_SESSION_KEY=" + ts.NewSessionKey("demo")}, "mount", hs.URL, dir)
	ents, err := os.ReadDir(filepath.Join(dir, "projects"))
	if err != nil || len(ents) == 0 {
		t.Fatalf("projects through a session-key mount: %d, %v\n%s", len(ents), err, logs())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if n := ts.LiveSessions("demo"); n != 1 {
		t.Errorf("%d live sessions after unmount: a joined session is the user's, not ours to end", n)
	}
}

// TestHTTPSUnmountLogsOut mounts a password login over HTTPS, unmounts with
// fusermount3 -u, and expects the OMERO session closed on the server: the
// logout POST must carry the Referer Django wants over HTTPS.
func TestHTTPSUnmountLogsOut(t *testing.T) {
	fusetest.RequireFUSE(t)
	ts := testserver.New(testserver.Options{})
	// A TLS server needs a certificate, which testserver.Start does not make.
	hs := httptest.NewTLSServer(ts)
	defer hs.Close()
	dir := fusetest.Dir(t)
	cmd, logs := startMount(t, []string{"OMERO_PASSWORD=demo"}, "mount", "--user", "demo", "--insecure", hs.URL, dir)
	if ents, err := os.ReadDir(filepath.Join(dir, "projects")); err != nil || len(ents) == 0 {
		t.Fatalf("projects over HTTPS: %d, %v\n%s", len(ents), err, logs())
	}
	if n := ts.LiveSessions("demo"); n != 1 {
		t.Fatalf("%d live sessions while mounted, want 1", n)
	}
	if out, err := exec.Command("fusermount3", "-u", dir).CombinedOutput(); err != nil {
		t.Fatalf("unmount: %v %s", err, out)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("omerofs exited with %v after unmount:\n%s", err, logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("omerofs still running 30s after unmount:\n%s", logs())
	}
	if n := ts.LiveSessions("demo"); n != 0 {
		t.Fatalf("%d live OMERO sessions after unmount: the logout failed\n%s", n, logs())
	}
}
