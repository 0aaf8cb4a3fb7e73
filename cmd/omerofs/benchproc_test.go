package main

import (
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/omerofs/omerofs/fs/fusetest"
)

// The benchmarks' processes: the demo server and omerofs mount, each a
// process of its own on loopback, as a user runs them.

// startDemoServer runs `omerofs serve-demo --synthetic set` with extra
// flags on a free loopback port, waits up to wait for its API to answer
// (a large synthetic set takes minutes to make), and returns its base URL
// and a function that kills it.
func startDemoServer(t *testing.T, wait time.Duration, set string, extra ...string) (base string, stop func()) {
	t.Helper()
	port := freePort(t)
	args := append([]string{"serve-demo", "--listen", "127.0.0.1:" + port, "--public=false", "--synthetic", set}, extra...)
	server := exec.Command(omerofsBinary(t), append(args, "--log-level", "warn")...)
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() { server.Process.Kill(); server.Wait() }
	base = "http://127.0.0.1:" + port
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/api/"); err == nil {
			resp.Body.Close()
			return base, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the demo server never answered at %s", base)
		}
	}
}

// startBenchMount mounts base on dir as the demo user with extra flags,
// as startMount does but in the caller's environment (its GOGC,
// GOMAXPROCS...), and returns the process, its stderr so far, and a
// function that unmounts it cleanly (SIGINT) and waits for it to end.
func startBenchMount(t *testing.T, base, dir string, flags ...string) (*mountProc, func() string, func()) {
	t.Helper()
	args := append(append([]string{"mount", "--user", "demo"}, flags...), base, dir)
	p, log := startMount(t, append(os.Environ(), "OMERO_PASSWORD=demo"), args...)
	return p, log, func() { p.Process.Signal(os.Interrupt); p.Wait() }
}

// benchSet runs a benchmark test only under its make target: it skips
// unless the environment variable gate is set, needs FUSE, and returns the
// data set named by setVar (N,W,H,C,TYPE and the like), def when unset.
func benchSet(t *testing.T, gate, target, setVar, def string) string {
	t.Helper()
	if os.Getenv(gate) == "" {
		t.Skipf("runs under %s (%s=1)", target, gate)
	}
	fusetest.RequireFUSE(t)
	if setVar == "" {
		return def
	}
	if set := os.Getenv(setVar); set != "" {
		return set
	}
	return def
}
