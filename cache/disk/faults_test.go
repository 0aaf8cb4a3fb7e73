package disk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The fault tests: a mount killed mid-write, a full disk, a corrupted entry
// (in disk_test.go), a read-only directory, two mounts evicting at once.

const childEnv = "OMEROFS_DISKCACHE_CHILD_DIR"

// TestChildFill is the child process of TestKillMidWrite: it starts a fill
// that writes half its object and then blocks until it is killed.
func TestChildFill(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		return // not a child: nothing to do
	}
	c, err := Open(dir, 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := object("killed", 1<<20)
	c.Get(context.Background(), "killed", int64(len(want)), func(ctx context.Context, w io.Writer) error {
		w.Write(want[:len(want)/2])
		fmt.Println("WRITING")
		select {}
	})
}

func TestKillMidWrite(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildFill$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "WRITING") {
	}
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()

	_, temps, _ := files(t, dir)
	if len(temps) != 1 {
		t.Fatalf("temporary files after the kill: %v; want the one the child was writing", temps)
	}
	if fi, err := os.Stat(temps[0]); err != nil || fi.Size() != 1<<19 {
		t.Fatalf("the child's temporary file: %v; want half the object written", err)
	}
	// The next mount neither serves the half-written object nor keeps it.
	c, _ := openTest(t, dir, 1<<30)
	if _, temps, _ := files(t, dir); len(temps) != 0 {
		t.Fatalf("temporary files left after Open: %v", temps)
	}
	want := object("killed", 1<<20)
	var runs atomic.Int64
	b, err := c.Bytes(context.Background(), "killed", int64(len(want)), filler(want, &runs))
	if err != nil || !bytes.Equal(b, want) || runs.Load() != 1 {
		t.Fatalf("after the crash: %v, right bytes %v, fills %d", err, bytes.Equal(b, want), runs.Load())
	}
	if c.Stats().StaleTemps != 1 {
		t.Fatalf("stats %+v; want one stale temporary removed", c.Stats())
	}
}

// mountTmpfs mounts a tmpfs with opts at a new directory, or skips the test
// loudly when this machine cannot (not root, no mount permission).
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED (not a pass): cannot mount a tmpfs here (%v: %s); this fault test needs root and mount(8)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestDiskFullServesFromTheFill(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	c, hook := openTest(t, dir, 100<<20)
	c.fullPause = 0 // try the disk every time, to see one warning for many failures
	ctx := context.Background()
	var runs atomic.Int64
	for i := range 4 {
		k := fmt.Sprintf("big%d", i)
		want := object(k, 2<<20)
		e, err := c.Get(ctx, k, int64(len(want)), filler(want, &runs))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, e.Size())
		if n, _ := e.ReadAt(got, 0); n != len(want) || !bytes.Equal(got, want) || e.OnDisk() {
			t.Fatalf("%s: %d bytes, right %v, on disk %v", k, n, bytes.Equal(got, want), e.OnDisk())
		}
		e.Close()
	}
	settle(c)
	if n := warnings(hook, "full"); n != 1 {
		t.Fatalf("%d full-disk warnings for 4 reads; want 1", n)
	}
	if ents, temps, _ := files(t, dir); len(ents)+len(temps) != 0 {
		t.Fatalf("left on the full disk: %v %v", ents, temps)
	}
	// Room again: small entries are stored.
	want := object("small", 10_000)
	if b, err := c.Bytes(ctx, "small", int64(len(want)), filler(want, &runs)); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("small: %v", err)
	}
	if _, err := os.Stat(c.path("small")); err != nil {
		t.Fatalf("a small entry after the full disk was not stored: %v", err)
	}
}

func TestReadOnlyDirectoryTurnsTheCacheOff(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int64
	check := func(t *testing.T, c *Cache) {
		for i := range 3 {
			want := object("k", 5000+i)
			if b, err := c.Bytes(ctx, fmt.Sprint("k", i), int64(len(want)), filler(want, &runs)); err != nil || !bytes.Equal(b, want) {
				t.Fatalf("read %d: %v", i, err)
			}
		}
	}
	t.Run("at open", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=1m")
		os.Mkdir(filepath.Join(mnt, "cache"), 0o700)
		if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
			t.Fatalf("remount ro: %v: %s", err, out)
		}
		c, hook := openTest(t, filepath.Join(mnt, "cache"), 1<<30)
		check(t, c)
		if c.Enabled() || warnings(hook, "disk cache off") != 1 {
			t.Fatalf("enabled %v, warnings %d; want off with one warning", c.Enabled(), warnings(hook, "disk cache off"))
		}
	})
	t.Run("while mounted", func(t *testing.T) {
		mnt := mountTmpfs(t, "size=1m")
		c, hook := openTest(t, filepath.Join(mnt, "cache"), 1<<30)
		if !c.Enabled() {
			t.Fatal("cache off on a writable directory")
		}
		if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
			t.Fatalf("remount ro: %v: %s", err, out)
		}
		check(t, c)
		if c.Enabled() || warnings(hook, "disk cache off") != 1 {
			t.Fatalf("enabled %v, warnings %d; want off with one warning", c.Enabled(), warnings(hook, "disk cache off"))
		}
	})
}

func TestTwoCachesEvictingOneDirectory(t *testing.T) {
	dir := t.TempDir()
	const bound = 1 << 20
	a, _ := openTest(t, dir, bound)
	b, _ := openTest(t, dir, bound)
	size := func(k int) int { return 2000 + (k*7919)%14000 } // 2..16 kB
	var wg sync.WaitGroup
	var bad atomic.Int64
	var peak atomic.Int64
	stop := make(chan struct{})
	go func() { // the directory's size as it goes, for the log
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				_, _, total := files(t, dir)
				if total > peak.Load() {
					peak.Store(total)
				}
			}
		}
	}()
	for w := range 8 {
		c := a
		if w%2 == 1 {
			c = b
		}
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			var runs atomic.Int64
			for range 150 {
				k := r.IntN(300)
				key := fmt.Sprint("obj", k)
				want := object(key, size(k))
				e, err := c.Get(context.Background(), key, int64(len(want)), filler(want, &runs))
				if err != nil {
					t.Error(err)
					bad.Add(1)
					continue
				}
				got := make([]byte, len(want)+10)
				n, _ := e.ReadAt(got, 0)
				e.Close()
				if n != len(want) || !bytes.Equal(got[:n], want) {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	settle(a)
	settle(b)
	_, temps, total := files(t, dir)
	t.Logf("on disk %d bytes (bound %d, peak seen %d); evictions %d + %d", total, bound, peak.Load(), a.Stats().Evictions, b.Stats().Evictions)
	if bad.Load() != 0 {
		t.Fatalf("%d reads returned wrong bytes", bad.Load())
	}
	if total > bound+bound/10 || len(temps) != 0 {
		t.Fatalf("%d bytes on disk, bound %d (+10%%); temporaries %v", total, bound, temps)
	}
	if a.Stats().Evictions == 0 || b.Stats().Evictions == 0 {
		t.Fatalf("evictions %d and %d: both caches should have evicted", a.Stats().Evictions, b.Stats().Evictions)
	}
}

// TestPutNeverFallsBackToMemory: Put stores or fails with ErrNotStored
// (full disk, object over the bound), leaving nothing behind.
func TestPutNeverFallsBackToMemory(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	c, _ := openTest(t, dir, 100<<20)
	c.fullPause = 0
	ctx := context.Background()
	var runs atomic.Int64
	small := object("small", 10_000)
	if err := c.Put(ctx, "small", int64(len(small)), filler(small, &runs)); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Peek("small", int64(len(small))); !ok {
		t.Fatal("Put did not store")
	} else {
		e.Close()
	}
	if err := c.Put(ctx, "small", int64(len(small)), filler(small, &runs)); err != nil || runs.Load() != 1 {
		t.Fatalf("Put of a stored object: %v, %d fills; want nil and no new fill", err, runs.Load())
	}
	big := object("big", 2<<20)
	if err := c.Put(ctx, "big", int64(len(big)), filler(big, &runs)); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Put on a full disk: %v, want ErrNotStored", err)
	}
	if _, temps, _ := files(t, dir); len(temps) != 0 {
		t.Fatalf("temporaries left: %v", temps)
	}
	tiny, _ := openTest(t, t.TempDir(), 1000)
	if err := tiny.Put(ctx, "big", int64(len(big)), filler(big, &runs)); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Put over the bound: %v, want ErrNotStored", err)
	}
}
