package fs

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/omerofs/omerofs/testserver"
)

// The tests of this file prove, through a real mount, what a user sees when
// the server misbehaves: every operation ends within a bound (it never
// hangs), fails with EIO or ENOENT, never returns a wrong or partial byte,
// leaves the rest of the tree usable, and recovers once the server does.
// docs/reliability.md lists each fault with the test that proves it.

// faultTimeout is the gateway's per-request timeout in these tests: short,
// so that a fault that makes the server hang costs the test little.
const faultTimeout = 2 * time.Second

// bigTimeout is the gateway timeout of the tests that list the 1,200-image
// dataset under load (pages of 500 objects, the race detector, other test
// binaries on the same 2 cores), where the timeout is not what is tested.
const bigTimeout = 3 * time.Second

// opBound is how long one file operation may take under a fault: a request
// that times out, or one that fails, pauses and is retried once, and the
// requests before it (imgData before render_image). It proves "does not
// hang", not speed.
const opBound = 3 * faultTimeout

// recoveryBound is how long recovery may take after the faults are cleared:
// the image cache remembers a failed render for 2s (cache.Options
// NegativeTTL's default) so that a dead server is not hammered.
const recoveryBound = 10 * time.Second

// Paths of the demo tree used below.
var (
	mitosisDir   = filepath.Join("projects", "Cell Biology", "Mitosis")
	histologyPNG = filepath.Join(mitosisDir, "histology.tif.png")
	mitosis1PNG  = filepath.Join(mitosisDir, "mitosis_01.dv.png")
	membranePNG  = filepath.Join(mitosisDir, "membrane.czi.png")
	stackPNG     = filepath.Join("orphaned", "stack.tif.png")
	duplicateDir = filepath.Join("projects", "Cell Biology", "Duplicates")
	oddNamesDir  = filepath.Join("projects", "Cell Biology", "Odd names")
	bigDir       = filepath.Join("projects", "Cell Biology", "1200 images")
	batchDir     = filepath.Join("projects", "Screening archive", "Batch 01")
)

// faultMount mounts the demo server with a short gateway timeout and
// records the mount's log lines.
func faultMount(t *testing.T, mc mountConfig) (*mounted, *logtest.Hook) {
	t.Helper()
	if mc.timeout == 0 {
		mc.timeout = faultTimeout
	}
	m := mountTestServer(t, mc)
	logger, ok := m.root.log.(*logrus.Logger)
	if !ok {
		t.Fatalf("the harness's logger is a %T, not a *logrus.Logger", m.root.log)
	}
	hook := logtest.NewLocal(logger)
	logger.SetOutput(io.Discard) // the hook keeps the lines, shown if the test fails
	t.Cleanup(func() {
		if t.Failed() {
			for _, e := range hook.AllEntries() {
				t.Logf("mount log: %s: %s %v", e.Level, e.Message, e.Data)
			}
		}
	})
	return m, hook
}

// within runs op and fails the test if it has not ended after bound: the
// proof that a fault cannot hang a caller of the mount.
func within[T any](t *testing.T, bound time.Duration, what string, op func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(bound):
		t.Fatalf("%s: still running after %v: the mount hangs", what, bound)
		panic("unreachable")
	}
}

// readFile reads a file of the mount within opBound.
func readFile(t *testing.T, m *mounted, rel string) ([]byte, error) {
	t.Helper()
	return within(t, opBound, "read "+rel, func() ([]byte, error) { return os.ReadFile(m.path(rel)) })
}

// readDirNames lists a folder of the mount within opBound.
func readDirNames(t *testing.T, m *mounted, rel string) ([]string, error) {
	t.Helper()
	return within(t, opBound, "ls "+rel, func() ([]string, error) {
		ents, err := os.ReadDir(m.path(rel))
		names := make([]string, len(ents))
		for i, e := range ents {
			names[i] = e.Name()
		}
		return names, err
	})
}

// statFile stats a path of the mount within opBound.
func statFile(t *testing.T, m *mounted, rel string) (os.FileInfo, error) {
	t.Helper()
	return within(t, opBound, "stat "+rel, func() (os.FileInfo, error) { return os.Stat(m.path(rel)) })
}

// mustRead reads a file that must be readable, and checks it is a PNG of
// the length stat gives.
func mustRead(t *testing.T, m *mounted, rel string) []byte {
	t.Helper()
	data, err := readFile(t, m, rel)
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	st, err := statFile(t, m, rel)
	if err != nil {
		t.Fatalf("stat %s: %v", rel, err)
	}
	if int64(len(data)) != st.Size() {
		t.Fatalf("%s: read %d bytes, stat says %d", rel, len(data), st.Size())
	}
	if _, err := png.DecodeConfig(bytes.NewReader(data)); err != nil {
		t.Fatalf("%s: not a PNG: %v", rel, err)
	}
	return data
}

// objectID is the OMERO id of a file or folder of the mount, from its xattr.
func objectID(t *testing.T, m *mounted, rel string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(readXattr(t, m.path(rel), "user.omero.id"), 10, 64)
	if err != nil {
		t.Fatalf("id of %s: %v", rel, err)
	}
	return id
}

// cleanPNG renders image id afresh, past every cache, as a read of an
// uncached file would: the bytes a clean read gives.
func cleanPNG(t *testing.T, m *mounted, id int64) []byte {
	t.Helper()
	data, err := renderClean(m, id)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkFailed checks what a failed read returned: the errno wanted, and no
// byte at all (a read is served from one whole rendering, so a failure
// comes before any byte).
func checkFailed(t *testing.T, what string, data []byte, err error, want syscall.Errno) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded under the fault (%d bytes)", what, len(data))
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
	if len(data) != 0 {
		t.Fatalf("%s failed after returning %d bytes: partial data", what, len(data))
	}
}

// errorLines returns the error-level log lines that mention needle.
func errorLines(h *logtest.Hook, needle string) []*logrus.Entry {
	var out []*logrus.Entry
	for _, e := range h.AllEntries() {
		if e.Level <= logrus.ErrorLevel && strings.Contains(e.Message, needle) {
			out = append(out, e)
		}
	}
	return out
}

// checkOneLogLine checks that exactly one error line names the object and
// carries the cause.
func checkOneLogLine(t *testing.T, h *logtest.Hook, object string) {
	t.Helper()
	lines := errorLines(h, object)
	if len(lines) != 1 {
		var msgs []string
		for _, e := range h.AllEntries() {
			msgs = append(msgs, e.Level.String()+": "+e.Message)
		}
		t.Fatalf("%d error lines name %q, want 1; the log: %q", len(lines), object, msgs)
	}
	cause, _ := lines[0].Data[logrus.ErrorKey].(error)
	if cause == nil {
		t.Fatalf("the log line %q carries no cause", lines[0].Message)
	}
	t.Logf("log: %s: %v", lines[0].Message, cause)
}

// eventually waits out the negative cache: op must succeed within
// recoveryBound once the faults are cleared.
func eventually[T any](t *testing.T, what string, op func() (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(recoveryBound)
	for {
		v, err := within(t, opBound, what, op)
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no recovery %v after the faults were cleared: %v", what, recoveryBound, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// renderFaults spoil the rendering of one image.
var renderFaults = []struct {
	name  string
	fault testserver.Fault // Match is set per test to the image's path
	path  string           // "render_image" or "imgData"
}{
	{"latency beyond the timeout", testserver.Fault{Kind: testserver.Latency, Delay: 3 * faultTimeout}, "render_image"},
	{"HTTP 500", testserver.Fault{Kind: testserver.Status, Status: 500}, "render_image"},
	{"HTTP 502 from a proxy", testserver.Fault{Kind: testserver.Status, Status: 502}, "render_image"},
	{"HTTP 503 from a proxy", testserver.Fault{Kind: testserver.Status, Status: 503}, "render_image"},
	{"connection dropped", testserver.Fault{Kind: testserver.DropConnection}, "render_image"},
	{"connection reset mid-body", testserver.Fault{Kind: testserver.ResetMidBody}, "render_image"},
	{"truncated JPEG", testserver.Fault{Kind: testserver.TruncateBody}, "render_image"},
	{"malformed imgData JSON", testserver.Fault{Kind: testserver.MalformedJSON}, "imgData"},
	{"wrong-shaped imgData JSON", testserver.Fault{Kind: testserver.WrongShapeJSON}, "imgData"},
	{"imgData latency beyond the timeout", testserver.Fault{Kind: testserver.Latency, Delay: 3 * faultTimeout}, "imgData"},
}

// TestRenderFaults: for each fault on one image's rendering, reading that
// image fails with EIO within the bound and returns no byte; one log line
// names the image and the cause; the failure is remembered briefly (no new
// request), not cached as data; the folder's listing, an image read before
// and an image never read stay readable meanwhile; and once the fault is
// cleared the image reads as exactly the bytes of a clean rendering.
//
// Each fault has a mount of its own. The faults are all tried first and the
// recoveries checked after, so that the negative caches expire together
// rather than one after the other.
func TestRenderFaults(t *testing.T) {
	type state struct {
		m    *mounted
		id   int64
		size int64
		ok   bool
	}
	states := make([]*state, len(renderFaults))
	for i, tc := range renderFaults {
		m, logs := faultMount(t, mountConfig{})
		st := &state{m: m}
		states[i] = st
		st.ok = t.Run(tc.name+"/under the fault", func(t *testing.T) {
			listed, err := readDirNames(t, m, mitosisDir)
			if err != nil {
				t.Fatal(err)
			}
			before := mustRead(t, m, mitosis1PNG)
			st.id = objectID(t, m, histologyPNG)
			fi, err := statFile(t, m, histologyPNG)
			if err != nil {
				t.Fatal(err)
			}
			st.size = fi.Size()
			defer m.server.ClearFaults()

			f := tc.fault
			f.Match = fmt.Sprintf("/webgateway/%s/%d/", tc.path, st.id)
			m.server.SetFault(f)
			data, err := readFile(t, m, histologyPNG)
			checkFailed(t, "read "+histologyPNG, data, err, syscall.EIO)
			checkOneLogLine(t, logs, fmt.Sprintf("image %d ", st.id))

			// Within the negative cache, a second read fails at once without
			// asking the server again, and logs nothing new.
			requests := m.server.Requests(tc.path)
			data, err = readFile(t, m, histologyPNG)
			checkFailed(t, "second read "+histologyPNG, data, err, syscall.EIO)
			if n := m.server.Requests(tc.path) - requests; n != 0 {
				t.Errorf("a read within the negative cache made %d %s requests, want 0", n, tc.path)
			}
			checkOneLogLine(t, logs, fmt.Sprintf("image %d ", st.id))

			// The rest of the tree is untouched by the fault.
			if got, err := readDirNames(t, m, mitosisDir); err != nil || strings.Join(got, "/") != strings.Join(listed, "/") {
				t.Fatalf("cached listing under the fault: %q, %v; want %q", got, err, listed)
			}
			if again := mustRead(t, m, mitosis1PNG); !bytes.Equal(again, before) {
				t.Fatal("an image read before the fault changed under it")
			}
			mustRead(t, m, stackPNG)
			if fi, err := statFile(t, m, histologyPNG); err != nil || fi.Size() != st.size {
				t.Fatalf("stat of the failing image: %v, %v; want size %d", fi, err, st.size)
			}
		})
	}
	for i, tc := range renderFaults {
		st := states[i]
		if !st.ok {
			continue
		}
		t.Run(tc.name+"/recovery", func(t *testing.T) {
			m := st.m
			got := eventually(t, "read "+histologyPNG+" after recovery", func() ([]byte, error) { return os.ReadFile(m.path(histologyPNG)) })
			if want := cleanPNG(t, m, st.id); !bytes.Equal(got, want) {
				t.Fatalf("after recovery: %d bytes differing from a clean rendering's %d", len(got), len(want))
			}
			if int64(len(got)) != st.size {
				t.Fatalf("after recovery: %d bytes, stat said %d", len(got), st.size)
			}
		})
	}
}

// listingFaults spoil every listing request.
var listingFaults = []struct {
	name  string
	fault testserver.Fault
}{
	{"latency beyond the timeout", testserver.Fault{Kind: testserver.Latency, Delay: 3 * faultTimeout}},
	{"HTTP 500", testserver.Fault{Kind: testserver.Status, Status: 500}},
	{"HTTP 502 from a proxy", testserver.Fault{Kind: testserver.Status, Status: 502}},
	{"HTTP 503 from a proxy", testserver.Fault{Kind: testserver.Status, Status: 503}},
	{"connection dropped", testserver.Fault{Kind: testserver.DropConnection}},
	{"connection reset mid-body", testserver.Fault{Kind: testserver.ResetMidBody}},
	{"truncated body", testserver.Fault{Kind: testserver.TruncateBody}},
	{"malformed JSON", testserver.Fault{Kind: testserver.MalformedJSON}},
	{"wrong-shaped JSON", testserver.Fault{Kind: testserver.WrongShapeJSON}},
}

// TestListingFaults: for each fault on every listing request, ls and stat
// in a folder not yet listed fail with EIO within the bound, with one log
// line naming the folder per failed operation; folders listed before still
// list the same, and their images still read; once the fault is cleared
// the folder lists as the server holds it.
func TestListingFaults(t *testing.T) {
	for _, tc := range listingFaults {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, logs := faultMount(t, mountConfig{})
			listed, err := readDirNames(t, m, mitosisDir)
			if err != nil {
				t.Fatal(err)
			}
			dupID := objectID(t, m, duplicateDir)
			oddID := objectID(t, m, oddNamesDir)

			f := tc.fault
			f.Match = "api_list"
			m.server.SetFault(f)
			names, err := readDirNames(t, m, duplicateDir)
			if err == nil || !errors.Is(err, syscall.EIO) {
				t.Fatalf("ls %s under the fault: %q, %v; want EIO", duplicateDir, names, err)
			}
			checkOneLogLine(t, logs, fmt.Sprintf("dataset %d ", dupID))
			if _, err := statFile(t, m, filepath.Join(oddNamesDir, "tab here.png")); !errors.Is(err, syscall.EIO) {
				t.Fatalf("stat in %s under the fault: %v; want EIO", oddNamesDir, err)
			}
			checkOneLogLine(t, logs, fmt.Sprintf("dataset %d ", oddID))

			if got, err := readDirNames(t, m, mitosisDir); err != nil || strings.Join(got, "/") != strings.Join(listed, "/") {
				t.Fatalf("cached listing under the fault: %q, %v; want %q", got, err, listed)
			}
			mustRead(t, m, membranePNG)

			m.server.ClearFaults()
			d := m.server.Data()
			want := len(d.ImageIDsOf(dupID))
			got := eventually(t, "ls "+duplicateDir+" after recovery", func() ([]string, error) {
				names, err := os.ReadDir(m.path(duplicateDir))
				return make([]string, len(names)), err
			})
			if len(got) != want {
				t.Fatalf("after recovery %s has %d entries, the server %d", duplicateDir, len(got), want)
			}
		})
	}
}

// TestStaleListingServedWhileServerFails: a listing whose --metadata-ttl has
// passed is shown as it was while the server fails to refresh it (with a
// warning in the log), and refreshed once the server answers.
func TestStaleListingServedWhileServerFails(t *testing.T) {
	ttl := 500 * time.Millisecond
	m, logs := faultMount(t, mountConfig{fsOpts: Options{MetadataTTL: ttl}})
	listed, err := readDirNames(t, m, batchDir)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * ttl)
	m.server.SetFault(testserver.Fault{Match: "api_list", Kind: testserver.Status, Status: 500})
	got, err := readDirNames(t, m, batchDir)
	if err != nil || strings.Join(got, "/") != strings.Join(listed, "/") {
		t.Fatalf("stale listing under the fault: %q, %v; want %q", got, err, listed)
	}
	// The expired listing is shown at once and refreshed in the background
	// (stale-while-revalidate); that refresh fails and says so.
	eventually(t, "a warning that a stale listing was served", func() (bool, error) {
		for _, e := range logs.AllEntries() {
			if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "serving the last listing") {
				return true, nil
			}
		}
		return false, errors.New("no warning yet")
	})
	m.server.ClearFaults()
	id := objectID(t, m, batchDir)
	added := m.server.Data().AddImage(id, "added_later.tif", m.server.Data().ImageIDsOf(id)[0])
	if added == 0 {
		t.Fatal("AddImage failed")
	}
	time.Sleep(2 * ttl)
	got = eventually(t, "refreshed ls", func() ([]string, error) {
		names, err := readDirNames(t, m, batchDir)
		if err == nil && len(names) != len(listed)+1 {
			err = fmt.Errorf("%d entries, want %d", len(names), len(listed)+1)
		}
		return names, err
	})
	if !contains(got, "added_later.tif.png") {
		t.Fatalf("refreshed listing %q lacks the new image", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestTotalCountChangesWhilePaging: an image is added to (or deleted from)
// the 1,200-image dataset after the first page of its listing was answered
// and before the others are. The listing still ends within the bound and
// shows exactly the images the server holds afterwards, each once.
func TestTotalCountChangesWhilePaging(t *testing.T) {
	for _, change := range []string{"add", "delete"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			m, _ := faultMount(t, mountConfig{timeout: bigTimeout})
			if _, err := readDirNames(t, m, filepath.Dir(bigDir)); err != nil {
				t.Fatal(err)
			}
			id := objectID(t, m, bigDir)
			d := m.server.Data()
			ids := d.ImageIDsOf(id)
			// Hold the three pages of the first pass (the first, then the
			// other two, which are asked for together) for a while before
			// answering, and make the change as soon as the second request
			// arrives: the first page was answered before it, and the
			// others are answered after it, however loaded the machine is.
			m.server.SetFault(testserver.Fault{Match: fmt.Sprintf("/api/v0/m/datasets/%d/images/", id), Kind: testserver.Latency, Delay: 500 * time.Millisecond, Count: 3})
			base := m.server.Requests("api_list")
			changed := make(chan int64, 1)
			go func() {
				deadline := time.Now().Add(2 * bigTimeout)
				for m.server.Requests("api_list") < base+2 && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				if change == "add" {
					changed <- d.AddImage(id, "added_while_paging.tif", ids[0])
				} else {
					// scan_000.tif, the third of its name: on the first page.
					d.DeleteImage(ids[600])
					changed <- ids[600]
				}
			}()
			names, err := within(t, 6*bigTimeout, "ls "+bigDir, func() ([]string, error) {
				ents, err := os.ReadDir(m.path(bigDir))
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				return names, err
			})
			if err != nil {
				t.Fatal(err)
			}
			other := <-changed
			pages := m.server.Requests("api_list") - base
			t.Logf("the listing took %d page requests", pages)
			want := map[int64]bool{}
			for _, x := range d.ImageIDsOf(id) {
				want[x] = true
			}
			seen := map[int64]bool{}
			for _, n := range names {
				x := objectID(t, m, filepath.Join(bigDir, n))
				if seen[x] {
					t.Errorf("%s is image %d, shown twice", n, x)
				}
				if !want[x] {
					t.Errorf("%s is image %d, which is not in the dataset (any more)", n, x)
				}
				seen[x] = true
			}
			for x := range want {
				if !seen[x] {
					t.Errorf("image %d of the dataset is missing from the listing", x)
				}
			}
			if len(names) != len(want) {
				t.Errorf("ls shows %d images, the server holds %d", len(names), len(want))
			}
			if change == "add" && !seen[other] {
				t.Errorf("the image added while paging (%d) is missing", other)
			}
			if change == "delete" && seen[other] {
				t.Errorf("the image deleted while paging (%d) is shown", other)
			}
		})
	}
}

// TestImageDeletedBetweenListAndRead: an image listed and stat'ed, then
// deleted on the server, reads as ENOENT within the bound, with no byte;
// images/<id>.png is ENOENT too; its neighbour reads; and once the listing's
// TTL has passed, the folder no longer shows it.
func TestImageDeletedBetweenListAndRead(t *testing.T) {
	ttl := time.Second
	m, logs := faultMount(t, mountConfig{fsOpts: Options{MetadataTTL: ttl}})
	names, err := readDirNames(t, m, batchDir)
	if err != nil || len(names) != 2 {
		t.Fatalf("ls %s: %q, %v", batchDir, names, err)
	}
	sort.Strings(names)
	gone, kept := filepath.Join(batchDir, names[0]), filepath.Join(batchDir, names[1])
	id := objectID(t, m, gone)
	if _, err := statFile(t, m, gone); err != nil {
		t.Fatal(err)
	}
	m.server.Data().DeleteImage(id)

	data, err := readFile(t, m, gone)
	checkFailed(t, "read of a deleted image", data, err, syscall.ENOENT)
	checkOneLogLine(t, logs, fmt.Sprintf("image %d ", id))
	byID := filepath.Join("images", fmt.Sprintf("%d.png", id))
	if _, err := statFile(t, m, byID); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("stat %s of a deleted image: %v, want ENOENT", byID, err)
	}
	mustRead(t, m, kept)

	time.Sleep(ttl + ttl/2)
	// The first look after the TTL may still show the old listing while the
	// new one is fetched (stale-while-revalidate); then it is gone.
	after := eventually(t, "ls after the TTL", func() ([]string, error) {
		after, err := readDirNames(t, m, batchDir)
		if err == nil && (len(after) != 1 || after[0] != names[1]) {
			err = fmt.Errorf("%q, want only %q", after, names[1])
		}
		return after, err
	})
	_ = after
	// The stale listing's entries live in the kernel for one more TTL.
	eventually(t, "stat of the deleted image after the TTL", func() (bool, error) {
		if _, err := statFile(t, m, gone); !errors.Is(err, syscall.ENOENT) {
			return false, fmt.Errorf("%v, want ENOENT", err)
		}
		return true, nil
	})
}

// TestServerDownAndBack: with the server gone (connection refused), an
// uncached image and an unlisted folder fail with EIO within the bound,
// while cached listings and images read before stay readable; when the
// server comes back on the same address, everything reads again.
func TestServerDownAndBack(t *testing.T) {
	m, logs := faultMount(t, mountConfig{})
	listed, err := readDirNames(t, m, mitosisDir)
	if err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, m, mitosis1PNG)
	id := objectID(t, m, histologyPNG)
	dupID := objectID(t, m, duplicateDir)

	m.http.Close() // closes the listener and every connection: refused from now on
	data, err := readFile(t, m, histologyPNG)
	checkFailed(t, "read with the server down", data, err, syscall.EIO)
	checkOneLogLine(t, logs, fmt.Sprintf("image %d ", id))
	if _, err := readDirNames(t, m, duplicateDir); !errors.Is(err, syscall.EIO) {
		t.Fatalf("ls of an unlisted folder with the server down: %v, want EIO", err)
	}
	checkOneLogLine(t, logs, fmt.Sprintf("dataset %d ", dupID))
	if got, err := readDirNames(t, m, mitosisDir); err != nil || strings.Join(got, "/") != strings.Join(listed, "/") {
		t.Fatalf("cached listing with the server down: %q, %v", got, err)
	}
	if again := mustRead(t, m, mitosis1PNG); !bytes.Equal(again, before) {
		t.Fatal("an image read before changed while the server was down")
	}

	if err := m.http.Reopen(); err != nil {
		t.Skipf("cannot bring the server back: %v", err)
	}
	got := eventually(t, "read after the server came back", func() ([]byte, error) { return os.ReadFile(m.path(histologyPNG)) })
	if want := cleanPNG(t, m, id); !bytes.Equal(got, want) {
		t.Fatal("after the server came back the image differs from a clean rendering")
	}
	eventually(t, "ls after the server came back", func() ([]string, error) { return readDirNames(t, m, duplicateDir) })
}

// TestSessionExpiryIsInvisible: the server forgets every session while 8
// readers are reading; no reader sees an error, every file is the bytes of
// a clean rendering, and the mount logged in again exactly once.
func TestSessionExpiryIsInvisible(t *testing.T) {
	m, _ := faultMount(t, mountConfig{timeout: bigTimeout})
	names, err := readDirNames(t, m, bigDir)
	if err != nil {
		t.Fatal(err)
	}
	names = names[:400]
	conn := m.root.client.Conn()
	_, relogins0, _ := conn.Snapshot()
	base := m.server.Requests("render_image")
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		deadline := time.Now().Add(30 * time.Second)
		for m.server.Requests("render_image") < base+100 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		m.server.ExpireSessions()
	}()
	got := make([][]byte, len(names))
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for r := 0; r < 8; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := r; i < len(names); i += 8 {
				data, err := os.ReadFile(m.path(bigDir, names[i]))
				if err != nil {
					errs <- fmt.Errorf("read %s: %w", names[i], err)
					continue
				}
				got[i] = data
			}
		}(r)
	}
	wg.Wait()
	<-expired
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	_, relogins, _ := conn.Snapshot()
	if n := relogins - relogins0; n != 1 {
		t.Errorf("%d re-logins for one expiry, want 1", n)
	}
	// Half of the files (every other) against a fresh rendering each.
	for i := 0; i < len(names); i += 2 {
		if want := cleanPNG(t, m, objectID(t, m, filepath.Join(bigDir, names[i]))); !bytes.Equal(got[i], want) {
			t.Fatalf("%s: bytes read across the expiry differ from a clean rendering", names[i])
		}
	}
}

// TestLatencySpikeBelowTheTimeoutIsOnlySlow: a server that is slow, but
// answers within --timeout, costs time and nothing else: listings and reads
// succeed, with the bytes of a clean rendering, and nothing is retried.
func TestLatencySpikeBelowTheTimeoutIsOnlySlow(t *testing.T) {
	m, logs := faultMount(t, mountConfig{})
	if _, err := readDirNames(t, m, filepath.Dir(mitosisDir)); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"api_list", "imgData", "render_image"} {
		m.server.SetFault(testserver.Fault{Match: kind, Kind: testserver.Latency, Delay: faultTimeout / 2})
	}
	if _, err := readDirNames(t, m, mitosisDir); err != nil {
		t.Fatalf("ls under a latency spike: %v", err)
	}
	got := mustRead(t, m, histologyPNG)
	_, _, retries := m.root.client.Conn().Snapshot()
	m.server.ClearFaults()
	if want := cleanPNG(t, m, objectID(t, m, histologyPNG)); !bytes.Equal(got, want) {
		t.Fatal("a read under a latency spike differs from a clean rendering")
	}
	if retries != 0 {
		t.Errorf("%d retries under a latency spike below the timeout, want 0", retries)
	}
	if lines := errorLines(logs, ""); len(lines) != 0 {
		t.Errorf("%d error lines under a latency spike below the timeout, want 0", len(lines))
	}
}
