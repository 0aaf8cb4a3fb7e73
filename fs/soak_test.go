package fs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/omerofs/omerofs/fs/fusetest"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/testserver"
)

// soakDuration is how long TestSoak reads: OMEROFS_SOAK (a Go duration,
// e.g. 60s for `make soak`), 5s by default so that `go test` stays quick.
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("OMEROFS_SOAK")
	if v == "" {
		return 5 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("OMEROFS_SOAK=%q is not a positive duration (e.g. 60s)", v)
	}
	return d
}

// soakCacheBytes is the image cache of the soak: smaller than the dataset's
// renderings (1,200 × ~4.7 kB), so that eviction and re-rendering go on
// throughout, under the faults.
const soakCacheBytes = 2 << 20

// soakTTL is the soak's --metadata-ttl: short, so that the walk lists the
// folders again, under the listing faults, several times a run.
const soakTTL = 2 * time.Second

// dropPageCache asks the kernel to forget the cached pages of f, so that the
// next read of the file reaches the mount again rather than the page cache.
func dropPageCache(f *os.File) {
	const fadvDontNeed = 4 // POSIX_FADV_DONTNEED on Linux
	syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0)
}

// soakLog is what the readers saw: the digests of every successful read of
// each file, and the bytes of any failed read that returned some.
type soakLog struct {
	mu      sync.Mutex
	digests map[string]map[[32]byte]int
	partial map[string][]byte
	reads   atomic.Int64
	failed  atomic.Int64
	lists   atomic.Int64
}

func (l *soakLog) ok(name string, data []byte) {
	sum := sha256.Sum256(data)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.digests[name] == nil {
		l.digests[name] = map[[32]byte]int{}
	}
	l.digests[name][sum]++
}

// soakReader walks and reads the dataset until stop: a listing now and
// then, and files in random order, each read whole and then dropped from the
// page cache. It returns the first thing that must never happen.
func soakReader(m *mounted, names []string, seed int64, stop <-chan struct{}, log *soakLog) error {
	rng := rand.New(rand.NewSource(seed))
	want := strings.Join(names, "/")
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		if i%100 == 0 {
			// Walk: the folder and its parent, listed again as their
			// --metadata-ttl expires, under the listing faults.
			for _, dir := range []string{filepath.Dir(bigDir), bigDir} {
				ents, err := os.ReadDir(m.path(dir))
				log.lists.Add(1)
				if err != nil {
					if !errors.Is(err, syscall.EIO) {
						return fmt.Errorf("ls %s: %w (want EIO or success)", dir, err)
					}
					continue
				}
				if dir == bigDir {
					got := make([]string, len(ents))
					for j, e := range ents {
						got[j] = e.Name()
					}
					if strings.Join(got, "/") != want {
						return fmt.Errorf("ls %s: %d names, not the %d of the dataset", dir, len(got), len(names))
					}
				}
			}
		}
		name := names[rng.Intn(len(names))]
		f, err := os.Open(m.path(bigDir, name))
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		data, err := io.ReadAll(f)
		dropPageCache(f)
		f.Close()
		log.reads.Add(1)
		if err != nil {
			log.failed.Add(1)
			if !errors.Is(err, syscall.EIO) {
				return fmt.Errorf("read %s: %w (want EIO or success)", name, err)
			}
			if len(data) > 0 {
				log.mu.Lock()
				log.partial[name] = data
				log.mu.Unlock()
			}
			continue
		}
		log.ok(name, data)
	}
}

// goroutineSlack allows for go-fuse's pool of request readers, which grows
// with concurrent requests and keeps a few.
const goroutineSlack = 8

// TestSoak: 8 readers walk and read the 1,200-image dataset for
// OMEROFS_SOAK (5s by default) while the server fails 5% of renders and
// listings with a 500 and forgets every session halfway. Every read is an
// EIO or exactly the bytes of a clean rendering of its image; no goroutine
// is left behind; the heap stays under the cache's bound plus 64 MiB.
func TestSoak(t *testing.T) {
	duration := soakDuration(t)
	m, _ := faultMount(t, mountConfig{cacheBytes: soakCacheBytes, timeout: bigTimeout, fsOpts: Options{MetadataTTL: soakTTL}})
	names, err := readDirNames(t, m, bigDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1200 {
		t.Fatalf("%s has %d files, want 1200", bigDir, len(names))
	}
	conn := m.root.client.Conn()
	_, relogins0, _ := conn.Snapshot()

	m.http.CloseClientConnections()
	runtime.GC()
	baseline := fusetest.SteadyGoroutines()

	log := &soakLog{digests: map[string]map[[32]byte]int{}, partial: map[string][]byte{}}
	for _, kind := range []string{"render_image", "api_list"} {
		m.server.SetFault(testserver.Fault{Match: kind, Kind: testserver.Status, Status: 500, Probability: 0.05})
	}
	stop := make(chan struct{})
	var readers errgroup.Group
	for r := 0; r < 8; r++ {
		seed := int64(r + 1)
		readers.Go(func() error { return soakReader(m, names, seed, stop, log) })
	}
	expiry := time.AfterFunc(duration/2, m.server.ExpireSessions)
	time.Sleep(duration)
	close(stop)
	done := make(chan error, 1)
	go func() { done <- readers.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(opBound + 10*time.Second):
		t.Fatal("the readers did not stop: a read hangs")
	}
	expiry.Stop()
	m.server.ClearFaults()
	t.Logf("%v: %d reads (%d EIO), %d listings; server: %d renders, %d listing pages; cache %+v",
		duration, log.reads.Load(), log.failed.Load(), log.lists.Load(),
		m.server.Requests("render_image"), m.server.Requests("api_list"), m.images.Stats())
	if log.reads.Load() < 100 {
		t.Fatalf("only %d reads in %v: the soak did not run", log.reads.Load(), duration)
	}
	if _, relogins, _ := conn.Snapshot(); relogins-relogins0 != 1 {
		t.Errorf("%d re-logins for one session expiry, want 1", relogins-relogins0)
	}

	// Every read against a fresh rendering of its image, past every cache.
	checked, err := checkSoakReads(m, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files read, every read of each equal to a clean rendering", checked)

	if s := m.images.Stats(); s.Bytes > soakCacheBytes {
		t.Errorf("image cache holds %d bytes, bound %d", s.Bytes, soakCacheBytes)
	}
	m.http.CloseClientConnections()
	n := fusetest.WaitGoroutines(t, baseline+goroutineSlack)
	t.Logf("goroutines: %d before the soak, %d after", baseline, n)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if limit := uint64(soakCacheBytes + 64<<20); ms.HeapAlloc > limit {
		t.Errorf("heap %d MiB after the soak, above the cache bound + 64 MiB (%d MiB)", ms.HeapAlloc>>20, limit>>20)
	} else {
		t.Logf("heap after the soak: %.1f MiB", float64(ms.HeapAlloc)/(1<<20))
	}
}

// checkSoakReads renders every file the readers read, afresh, and checks
// each of their reads was exactly those bytes (and any failed read's bytes a
// prefix of them). It returns how many files it checked.
func checkSoakReads(m *mounted, log *soakLog) (int, error) {
	log.mu.Lock()
	defer log.mu.Unlock()
	files := make([]string, 0, len(log.digests)+len(log.partial))
	for name := range log.digests {
		files = append(files, name)
	}
	for name := range log.partial {
		if log.digests[name] == nil {
			files = append(files, name)
		}
	}
	var g errgroup.Group
	g.SetLimit(8)
	for _, name := range files {
		g.Go(func() error {
			buf := make([]byte, 32)
			n, err := syscall.Getxattr(m.path(bigDir, name), "user.omero.id", buf)
			if err != nil {
				return fmt.Errorf("id of %s: %w", name, err)
			}
			id, err := strconv.ParseInt(string(buf[:n]), 10, 64)
			if err != nil {
				return fmt.Errorf("id of %s: %w", name, err)
			}
			want, err := renderClean(m, id)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(want)
			for got, times := range log.digests[name] {
				if got != sum {
					return fmt.Errorf("CORRUPTED: %s was read %d times as bytes that are not the clean rendering of image %d", name, times, id)
				}
			}
			if p, ok := log.partial[name]; ok && (len(p) > len(want) || string(p) != string(want[:len(p)])) {
				return fmt.Errorf("CORRUPTED: a failed read of %s returned %d bytes that are not a prefix of the clean rendering", name, len(p))
			}
			return nil
		})
	}
	return len(files), g.Wait()
}

// renderClean renders image id past every cache, as an uncached read would.
func renderClean(m *mounted, id int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	img, err := m.root.client.Image(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("image %d: %w", id, err)
	}
	px := img.Pixels()
	w, h := render.TargetSize(px.SizeX, px.SizeY, m.root.opts.MaxRenderSize)
	data, err := render.RenderPNG(ctx, img, w, h)
	if err != nil {
		return nil, fmt.Errorf("clean render of image %d: %w", id, err)
	}
	return data, nil
}
