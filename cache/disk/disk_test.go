package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// object is key's deterministic content, n bytes long.
func object(key string, n int) []byte {
	b := make([]byte, 0, n+sha256.Size)
	seed := sha256.Sum256([]byte(key))
	for len(b) < n {
		b = append(b, seed[:]...)
		seed = sha256.Sum256(seed[:])
	}
	return b[:n]
}

// filler returns a Fill that writes b in small pieces and counts its runs.
func filler(b []byte, runs *atomic.Int64) Fill {
	return func(ctx context.Context, w io.Writer) error {
		runs.Add(1)
		for rest := b; len(rest) > 0; {
			n := min(len(rest), 4096)
			if _, err := w.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}
}

func openTest(t *testing.T, dir string, maxBytes int64) (*Cache, *logtest.Hook) {
	t.Helper()
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	c, err := Open(dir, maxBytes, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	settle(c)
	return c, hook
}

// settle waits until no background scan runs.
func settle(c *Cache) {
	for {
		c.mu.Lock()
		busy := c.scanning
		c.mu.Unlock()
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func warnings(hook *logtest.Hook, substr string) int {
	n := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, substr) {
			n++
		}
	}
	return n
}

// files lists the regular files under dir (entries and temporaries).
func files(t *testing.T, dir string) (entries, temps []string, total int64) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if strings.Contains(d.Name(), ".tmp_") {
			temps = append(temps, p)
			return nil
		}
		if info, err := d.Info(); err == nil {
			total += info.Size()
		}
		entries = append(entries, p)
		return nil
	})
	return entries, temps, total
}

func TestGetStoresAndAnotherCacheReadsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, _ := openTest(t, dir, 1<<30)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	want := object("a", 300_000)
	var runs atomic.Int64
	e, err := c.Get(context.Background(), "a", int64(len(want)), filler(want, &runs))
	if err != nil {
		t.Fatal(err)
	}
	if !e.OnDisk() || e.Size() != int64(len(want)) {
		t.Fatalf("entry on disk %v, size %d", e.OnDisk(), e.Size())
	}
	e.Close()

	// A second cache on the directory (another mount) reads it without a fill.
	c2, _ := openTest(t, dir, 1<<30)
	e, err = c2.Get(context.Background(), "a", int64(len(want)), filler(want, &runs))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if runs.Load() != 1 || c2.Stats().Hits != 1 {
		t.Fatalf("fills %d, hits %+v; want 1 fill and a hit", runs.Load(), c2.Stats())
	}
	// ReadAt follows io.ReaderAt at every offset, including the end.
	for _, off := range []int64{0, 1, 4095, 150_000, int64(len(want)) - 10} {
		p := make([]byte, 100)
		n, err := e.ReadAt(p, off)
		end := min(off+100, int64(len(want)))
		if n != int(end-off) || !bytes.Equal(p[:n], want[off:end]) {
			t.Fatalf("ReadAt(%d): %d bytes, wrong content", off, n)
		}
		if (end-off < 100) != errors.Is(err, io.EOF) {
			t.Fatalf("ReadAt(%d): err %v", off, err)
		}
	}
	if n, err := e.ReadAt(make([]byte, 1), int64(len(want))); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt(end) = %d, %v; want 0, EOF", n, err)
	}
	if b, err := c2.Bytes(context.Background(), "a", -1, filler(want, &runs)); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("Bytes: %v, equal %v", err, bytes.Equal(b, want))
	}
}

func TestConcurrentGetsOfOneKeyShareOneFill(t *testing.T) {
	c, _ := openTest(t, t.TempDir(), 1<<30)
	want := object("k", 50_000)
	var runs atomic.Int64
	release := make(chan struct{})
	fill := func(ctx context.Context, w io.Writer) error {
		runs.Add(1)
		<-release
		_, err := w.Write(want)
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			b, err := c.Bytes(context.Background(), "k", int64(len(want)), fill)
			if err == nil && !bytes.Equal(b, want) {
				err = errors.New("wrong bytes")
			}
			errs <- err
		})
	}
	for c.flights.Waiting("k") < 16 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("%d fills for 16 concurrent readers; want 1", runs.Load())
	}
}

func TestFailedOrWrongSizedFillIsNotStored(t *testing.T) {
	dir := t.TempDir()
	c, _ := openTest(t, dir, 1<<30)
	boom := errors.New("server said no")
	_, err := c.Get(context.Background(), "k", 10, func(ctx context.Context, w io.Writer) error {
		w.Write([]byte("12345"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v; want the fill's error", err)
	}
	if _, err := c.Get(context.Background(), "k", 10, func(ctx context.Context, w io.Writer) error {
		_, err := w.Write([]byte("12345"))
		return err
	}); err == nil || !strings.Contains(err.Error(), "wrote 5 bytes, want 10") {
		t.Fatalf("short fill: err %v", err)
	}
	if ents, temps, _ := files(t, dir); len(ents)+len(temps) != 0 {
		t.Fatalf("left on disk: %v %v", ents, temps)
	}
	var runs atomic.Int64
	if b, err := c.Bytes(context.Background(), "k", 10, filler([]byte("0123456789"), &runs)); err != nil || string(b) != "0123456789" {
		t.Fatalf("good fill after bad ones: %q, %v", b, err)
	}
}

func TestSizeZeroIsOff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, _ := openTest(t, dir, 0)
	var runs atomic.Int64
	for range 2 {
		if b, err := c.Bytes(context.Background(), "k", 3, filler([]byte("abc"), &runs)); err != nil || string(b) != "abc" {
			t.Fatalf("%q, %v", b, err)
		}
	}
	if c.Enabled() || runs.Load() != 2 {
		t.Fatalf("enabled %v, fills %d; want off and a fill per read", c.Enabled(), runs.Load())
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an off cache made its directory: %v", err)
	}
	var nilCache *Cache
	if b, err := nilCache.Bytes(context.Background(), "k", 3, filler([]byte("abc"), &runs)); err != nil || string(b) != "abc" {
		t.Fatalf("nil cache: %q, %v", b, err)
	}
}

func TestCorruptEntriesAreRemovedAndFilledAgain(t *testing.T) {
	dir := t.TempDir()
	want := object("k", 20_000)
	damage := map[string]func(p string){
		"flipped byte": func(p string) {
			b, _ := os.ReadFile(p)
			b[12345] ^= 0x40
			os.WriteFile(p, b, 0o600)
		},
		"truncated": func(p string) { os.Truncate(p, 15_000) },
		"trailer cut": func(p string) {
			os.Truncate(p, int64(len(want)+trailerLen-1))
		},
		"empty": func(p string) { os.Truncate(p, 0) },
	}
	for name, spoil := range damage {
		t.Run(name, func(t *testing.T) {
			c, hook := openTest(t, dir, 1<<30)
			var runs atomic.Int64
			if _, err := c.Bytes(context.Background(), "k", int64(len(want)), filler(want, &runs)); err != nil {
				t.Fatal(err)
			}
			spoil(c.path("k"))
			for _, viaBytes := range []bool{true, false} {
				var got []byte
				if viaBytes {
					b, err := c.Bytes(context.Background(), "k", int64(len(want)), filler(want, &runs))
					if err != nil {
						t.Fatal(err)
					}
					got = b
				} else {
					e, err := c.Get(context.Background(), "k", int64(len(want)), filler(want, &runs))
					if err != nil {
						t.Fatal(err)
					}
					got = make([]byte, e.Size())
					e.ReadAt(got, 0)
					e.Close()
				}
				if !bytes.Equal(got, want) {
					t.Fatal("served wrong bytes")
				}
				spoil(c.path("k"))
			}
			if runs.Load() != 3 || c.Stats().Corrupt != 2 || warnings(hook, "bad entry") != 2 {
				t.Fatalf("fills %d, stats %+v; want 3 fills and 2 corrupt entries found", runs.Load(), c.Stats())
			}
			os.Remove(c.path("k"))
		})
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	const n = 1000
	per := int64(n + trailerLen)
	c, _ := openTest(t, dir, 5*per)
	c.touchAfter = 0
	ctx := context.Background()
	var runs atomic.Int64
	now := time.Now()
	for i, k := range []string{"A", "B", "C", "D", "E"} {
		if _, err := c.Bytes(ctx, k, n, filler(object(k, n), &runs)); err != nil {
			t.Fatal(err)
		}
		old := now.Add(time.Duration(i-5) * 10 * time.Second)
		os.Chtimes(c.path(k), old, old)
	}
	settle(c)
	if _, err := c.Bytes(ctx, "A", n, filler(object("A", n), &runs)); err != nil { // a hit: A is young again
		t.Fatal(err)
	}
	if _, err := c.Bytes(ctx, "F", n, filler(object("F", n), &runs)); err != nil { // over the bound
		t.Fatal(err)
	}
	settle(c)
	for k, kept := range map[string]bool{"A": true, "B": false, "C": false, "D": true, "E": true, "F": true} {
		if _, err := os.Stat(c.path(k)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", k, err == nil, kept)
		}
	}
	if _, _, total := files(t, dir); total > 5*per || c.Stats().Evictions != 2 {
		t.Fatalf("%d bytes on disk (bound %d), stats %+v", total, 5*per, c.Stats())
	}
}

func TestOpenRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	c, _ := openTest(t, dir, 1<<30)
	c.Close()
	shard := filepath.Dir(c.path("x"))
	os.MkdirAll(shard, 0o700)
	// A finished process's pid: dead.
	dead := os.Getpid() + 1
	for alive(dead) {
		dead++
	}
	old := time.Now().Add(-time.Hour)
	temps := map[string]bool{ // name → removed by the next Open
		"x.tmp_" + c.host + "_" + itoa(dead) + "_aa":         true,  // this host, dead writer
		"x.tmp_" + c.host + "_" + itoa(os.Getpid()) + "_bb":  false, // this host, live writer
		"x.tmp_elsewhere_" + itoa(dead) + "_cc":              false, // other host, recent: maybe live
		"x.tmp_elsewhere_123_dd":                             true,  // other host, an hour old
		"x.tmp_" + c.host + "_" + itoa(os.Getpid()) + "_ee1": true,  // old, whoever wrote it
	}
	for name := range temps {
		p := filepath.Join(shard, name)
		os.WriteFile(p, []byte("partial"), 0o600)
		if strings.HasSuffix(name, "_dd") || strings.HasSuffix(name, "_ee1") {
			os.Chtimes(p, old, old)
		}
	}
	c2, _ := openTest(t, dir, 1<<30)
	for name, removed := range temps {
		if _, err := os.Stat(filepath.Join(shard, name)); (err != nil) != removed {
			t.Errorf("%s: removed %v, want %v", name, err != nil, removed)
		}
	}
	if got := c2.Stats().StaleTemps; got != 3 {
		t.Errorf("StaleTemps %d, want 3", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRenderKeyChangesWithSettings(t *testing.T) {
	a := RenderKey("https://omero.example.org", 5, "c=1|0:255$FF0000&m=c", 512, 512)
	for _, b := range []string{
		RenderKey("https://omero.example.org", 5, "c=1|0:200$FF0000&m=c", 512, 512),
		RenderKey("https://omero.example.org", 6, "c=1|0:255$FF0000&m=c", 512, 512),
		RenderKey("https://omero.example.org", 5, "c=1|0:255$FF0000&m=c", 256, 256),
		RenderKey("https://other.example.org", 5, "c=1|0:255$FF0000&m=c", 512, 512),
	} {
		if a == b {
			t.Fatalf("one key for different renders: %s", a)
		}
	}
}

func TestPeekFindsOnlyGoodEntries(t *testing.T) {
	c, _ := openTest(t, t.TempDir(), 1<<30)
	if _, ok := c.Peek("k", 10); ok {
		t.Fatal("Peek found an entry never stored")
	}
	var runs atomic.Int64
	e, err := c.Get(context.Background(), "k", 10, filler([]byte("0123456789"), &runs))
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e, ok := c.Peek("k", 10)
	if !ok {
		t.Fatal("Peek missed a stored entry")
	}
	b := make([]byte, 4)
	if n, err := e.ReadAt(b, 6); n != 4 || err != nil || string(b) != "6789" {
		t.Fatalf("ReadAt: %d %v %q", n, err, b)
	}
	e.Close()
	if _, ok := c.Peek("k", 11); ok {
		t.Fatal("Peek served an entry of the wrong size")
	}
	var off *Cache
	if _, ok := off.Peek("k", 10); ok {
		t.Fatal("a nil cache found something")
	}
}

func TestObjectLargerThanTheBoundIsNotStored(t *testing.T) {
	dir := t.TempDir()
	c, _ := openTest(t, dir, 1000)
	var runs atomic.Int64
	want := object("big", 5000)
	if b, err := c.Bytes(context.Background(), "big", int64(len(want)), filler(want, &runs)); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("%v", err)
	}
	if ents, temps, _ := files(t, dir); len(ents)+len(temps) != 0 {
		t.Fatalf("an object over the bound was written: %v %v", ents, temps)
	}
}
