package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
)

// The data view under faults, through a real mount: a download that dies
// or hangs, reads at every awkward offset, many readers of one file, an
// image deleted behind the listing, malformed answers, a slow server under
// a file manager. Each ends within a bound with the file's exact bytes or
// a clear errno, never a partial spool entry or a panic.

// dataFaultMount mounts data (the demo's if nil) with the fault tests'
// short timeout and a spool in a folder the test can look into.
func dataFaultMount(t *testing.T, data *testserver.Data) (*mounted, string) {
	t.Helper()
	spool := t.TempDir()
	m, _ := faultMount(t, mountConfig{serverOpts: testserver.Options{Data: data}, fsOpts: Options{SpoolDir: spool}})
	return m, spool
}

// originalPath is the path of mitosis_01.dv's original in the data view.
func originalPath(m *mounted, img int64) string {
	return m.path("data", "images", strconv.FormatInt(img, 10), "original", "mitosis_01.dv")
}

// readAllIn reads p to its end in cp's 128 KiB reads, within opBound, and
// returns what it read before any error.
func readAllIn(t *testing.T, p string) ([]byte, error) {
	t.Helper()
	return within(t, opBound, "read "+p, func() ([]byte, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var out []byte
		buf := make([]byte, cpBufSize)
		for {
			n, err := f.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
		}
	})
}

// waitSpoolFiles waits until the spool folder holds n files (a failed
// download removes its file just after its readers see the error).
func waitSpoolFiles(t *testing.T, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(spoolFiles(t, dir)) != n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if files := spoolFiles(t, dir); len(files) != n {
		t.Fatalf("%d spool files, want %d: partial entries left: %v", len(files), n, files)
	}
}

// A server that dies in the middle of a download (its connection reset,
// or closed early): the read that reaches the missing bytes fails with
// EIO, every byte before it is right, the spool keeps nothing, and the
// next read gets the whole file from the start.
func TestDataFaultDownloadDiesMidway(t *testing.T) {
	for _, kind := range []testserver.FaultKind{testserver.ResetMidBody, testserver.TruncateBody} {
		data, img, fileID := bigOriginalData(t, 6<<20)
		want := data.FileBytes(fileID)
		m, spool := dataFaultMount(t, data)
		p := originalPath(m, img)
		if st, err := os.Stat(p); err != nil || st.Size() != int64(len(want)) {
			t.Fatalf("stat: %v", err)
		}
		m.server.SetFault(testserver.Fault{Match: "download_original_file", Kind: kind})
		got, err := readAllIn(t, p)
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("fault %d: read %d bytes, %v; want EIO", kind, len(got), err)
		}
		if len(got) >= len(want) || !bytes.Equal(got, want[:len(got)]) {
			t.Fatalf("fault %d: the %d bytes before the error are not the file's", kind, len(got))
		}
		waitSpoolFiles(t, spool, 0)
		m.server.ClearFaults()
		m.server.ResetCounters()
		got, err = readAllIn(t, p)
		if err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
			t.Fatalf("fault %d: after the failure: %d bytes, %v", kind, len(got), err)
		}
		if n := m.server.Requests("download_original_file"); n != 1 {
			t.Errorf("fault %d: %d downloads for the read after the failure", kind, n)
		}
	}
}

// A download whose server never answers is bounded by the request
// timeout: EIO, nothing spooled, and the other files of the mount (another
// original, metadata.json, image.png) read normally meanwhile.
func TestDataFaultHangingDownload(t *testing.T) {
	data, img, fileID := bigOriginalData(t, 1<<20)
	m, spool := dataFaultMount(t, data)
	p := originalPath(m, img)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	other := idsNamed(data, "image", "mitosis_02.dv")[0]
	otherPath := m.path("data", "images", strconv.FormatInt(other, 10), "original", "mitosis_02.dv")
	if _, err := os.Stat(otherPath); err != nil {
		t.Fatal(err)
	}
	m.server.SetFault(testserver.Fault{Match: "/webclient/download_original_file/" + strconv.FormatInt(fileID, 10) + "/",
		Kind: testserver.Latency, Delay: time.Minute})
	var wg sync.WaitGroup
	wg.Add(1)
	var hungErr error
	go func() {
		defer wg.Done()
		start := time.Now()
		_, hungErr = readAllIn(t, p)
		t.Logf("the hanging download failed after %v (timeout %v)", time.Since(start).Round(time.Millisecond), faultTimeout)
	}()
	time.Sleep(100 * time.Millisecond) // the hanging download has begun
	b, err := readAllIn(t, otherPath)
	if err != nil || !bytes.Equal(b, data.FileBytes(data.FilesOf(other)[0].ID)) {
		t.Errorf("another original while one hangs: %d bytes, %v", len(b), err)
	}
	folder := m.path("data", "projects", "Cell Biology", "Mitosis", "membrane.czi")
	if _, err := readAllIn(t, filepath.Join(folder, "metadata.json")); err != nil {
		t.Errorf("metadata.json while a download hangs: %v", err)
	}
	if _, err := readAllIn(t, filepath.Join(folder, "image.png")); err != nil {
		t.Errorf("image.png while a download hangs: %v", err)
	}
	wg.Wait()
	if !errors.Is(hungErr, syscall.EIO) {
		t.Errorf("hanging download: %v, want EIO", hungErr)
	}
	waitSpoolFiles(t, spool, 1) // the other original's, whole

}

// A server that stops sending in the middle of a file (the connection
// open, no bytes) is bounded by the request timeout too: the bytes before
// are right, then EIO, nothing spooled; the next open reads it whole.
func TestDataFaultDownloadStallsMidway(t *testing.T) {
	data, img, fileID := bigOriginalData(t, 4<<20)
	want := data.FileBytes(fileID)
	m, spool := dataFaultMount(t, data)
	p := originalPath(m, img)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	m.server.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.StallMidBody})
	start := time.Now()
	got, err := readAllIn(t, p)
	if !errors.Is(err, syscall.EIO) || len(got) >= len(want) || !bytes.Equal(got, want[:len(got)]) {
		t.Fatalf("stalled download: %d bytes (right: %v), %v; want right bytes, then EIO", len(got), bytes.Equal(got, want[:min(len(got), len(want))]), err)
	}
	t.Logf("the stalled download failed after %v (timeout %v), %d bytes read", time.Since(start).Round(time.Millisecond), faultTimeout, len(got))
	waitSpoolFiles(t, spool, 0)
	m.server.ClearFaults()
	if got, err = readAllIn(t, p); err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
		t.Fatalf("after the stall: %d bytes, %v", len(got), err)
	}
}

// Reads at awkward offsets (past the end, of no bytes, of the last byte,
// across the end, across a page) give exactly the file's bytes, for an
// original whose download is under way, an attachment and metadata.json.
func TestDataFaultOddOffsets(t *testing.T) {
	data, img, fileID := bigOriginalData(t, 3<<20+17)
	m, _ := dataFaultMount(t, data)
	folder := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv")
	var attID int64
	for id, f := range data.Files {
		if f.Name == "analysis results.csv" {
			attID = id
		}
	}
	files := []struct {
		path string
		want func() []byte
	}{
		{originalPath(m, img), func() []byte { return data.FileBytes(fileID) }},
		{filepath.Join(folder, "attachments", "analysis results.csv"), func() []byte { return data.FileBytes(attID) }},
		{filepath.Join(folder, "metadata.json"), nil}, // its whole read, below
	}
	for _, file := range files {
		f, err := os.Open(file.path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		size := st.Size()
		type read struct {
			off int64
			n   int
		}
		reads := []read{{size + 4096, 10}, {size, 10}, {0, 0}, {size - 1, 1}, {size - 10, 100}, {size / 2, 0},
			{4095, 2}, {size - 1, 1 << 20}, {1, int(size) + 100}, {0, int(size)}}
		got := make([][]byte, len(reads))
		for i, r := range reads {
			buf := make([]byte, r.n)
			n, err := syscall.Pread(int(f.Fd()), buf, r.off)
			if err != nil {
				t.Fatalf("%s: pread %d at %d: %v", filepath.Base(file.path), r.n, r.off, err)
			}
			got[i] = buf[:n]
		}
		f.Close()
		var want []byte
		if file.want != nil {
			want = file.want()
		} else if want, err = os.ReadFile(file.path); err != nil {
			t.Fatal(err)
		}
		if int64(len(want)) != size {
			t.Fatalf("%s: stat says %d bytes, the file has %d", filepath.Base(file.path), size, len(want))
		}
		for i, r := range reads {
			lo := min(max(r.off, 0), size)
			hi := min(r.off+int64(r.n), size)
			if hi < lo {
				hi = lo
			}
			if !bytes.Equal(got[i], want[lo:hi]) {
				t.Errorf("%s: pread %d at %d of %d: %d bytes, want %d (the file's)", filepath.Base(file.path), r.n, r.off, size, len(got[i]), hi-lo)
			}
		}
	}
}

// Many readers of one original at different offsets, on a fresh mount:
// each gets the right bytes, and the server sends the file once.
func TestDataFaultConcurrentReadersOneDownload(t *testing.T) {
	const size = 8<<20 + 123
	data, img, fileID := bigOriginalData(t, size)
	want := data.FileBytes(fileID)
	m, _ := dataFaultMount(t, data)
	p := originalPath(m, img)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	m.server.ResetCounters()
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Open(p)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			// From the end backwards, from the middle, from the start.
			off := int64((11 - i) * size / 12)
			for k := 0; k < 4; k++ {
				buf := make([]byte, 70_000+i*1000)
				n, err := f.ReadAt(buf, off)
				if (err != nil && err != io.EOF) || !bytes.Equal(buf[:n], want[off:min(off+int64(len(buf)), size)]) {
					t.Errorf("reader %d at %d: %d bytes, %v", i, off, n, err)
					return
				}
				off = (off + size/3 + int64(i)*4099) % size
			}
		}()
	}
	wg.Wait()
	if n := m.server.Requests("download_original_file"); n != 1 {
		t.Errorf("%d downloads for 12 concurrent readers", n)
	}
}

// An image deleted on the server after its folder was listed: its files
// fail with ENOENT or EIO, at most one log line each, no panic, and the
// rest of the mount goes on.
func TestDataFaultImageDeletedAfterListing(t *testing.T) {
	m, hook := faultMount(t, mountConfig{})
	d := m.server.Data()
	dir := m.path("data", "projects", "Cell Biology", "Mitosis")
	if _, err := os.ReadDir(dir); err != nil {
		t.Fatal(err)
	}
	id := idsNamed(d, "image", "histology.tif")[0]
	folder := filepath.Join(dir, "histology.tif")
	d.DeleteImage(id) // nothing of the folder asked for yet: no cache answers
	for _, rel := range []string{"metadata.json", "original/histology.tif", "attachments", "image.png"} {
		before := len(hook.AllEntries())
		p := filepath.Join(folder, rel)
		_, err := within(t, opBound, "read "+rel, func() (int, error) {
			if st, err := os.Stat(p); err != nil {
				return 0, err
			} else if st.IsDir() {
				_, err := os.ReadDir(p)
				return 0, err
			}
			_, err := os.ReadFile(p)
			return 0, err
		})
		t.Logf("%s of a deleted image: %v", rel, err)
		if rel == "attachments" && err == nil {
			// The folder's annotations, asked for the image alone, are
			// none: an empty folder is a true answer too.
			if ents, _ := os.ReadDir(p); len(ents) != 0 {
				t.Errorf("attachments of a deleted image: %d entries", len(ents))
			}
		} else if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EIO) {
			t.Errorf("%s of a deleted image: %v, want ENOENT or EIO", rel, err)
		}
		if n := len(hook.AllEntries()) - before; n > 1 {
			t.Errorf("%s of a deleted image: %d log lines, want at most 1", rel, n)
		}
	}
	// The mount goes on.
	if _, err := readAllIn(t, filepath.Join(dir, "mitosis_01.dv", "metadata.json")); err != nil {
		t.Errorf("another image after the delete: %v", err)
	}
}

// Malformed JSON from original_file_paths or the annotations: the folder
// that needs it fails with EIO and a log line naming what was asked, and
// the image's folder still lists and serves what does not need it.
func TestDataFaultMalformedAnswers(t *testing.T) {
	for _, c := range []struct {
		route  string
		url    string // what the log line names
		kind   testserver.FaultKind
		broken []string // what fails; the rest of the folder must not
	}{
		{"original_file_paths", "webgateway/original_file_paths/", testserver.MalformedJSON, []string{"original"}},
		{"original_file_paths", "webgateway/original_file_paths/", testserver.WrongShapeJSON, []string{"original"}},
		{"api_annotations", "webclient/api/annotations/", testserver.MalformedJSON, []string{"metadata.json", "attachments"}},
		{"api_annotations", "webclient/api/annotations/", testserver.WrongShapeJSON, []string{"metadata.json", "attachments"}},
	} {
		m, hook := faultMount(t, mountConfig{})
		folder := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv")
		m.server.SetFault(testserver.Fault{Match: c.route, Kind: c.kind})
		names, err := within(t, opBound, "ls image folder", func() ([]string, error) {
			ents, err := os.ReadDir(folder)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			return names, err
		})
		if err != nil || !contains(names, "image.png") || !contains(names, "metadata.json") {
			t.Fatalf("%s %d: the image folder lists %v, %v", c.route, c.kind, names, err)
		}
		for _, name := range []string{"image.png", "metadata.json", "original", "attachments"} {
			p := filepath.Join(folder, name)
			_, err := within(t, opBound, "read "+name, func() (int, error) {
				st, err := os.Stat(p)
				if err != nil {
					return 0, err
				}
				if st.IsDir() {
					_, err = os.ReadDir(p)
				} else {
					_, err = os.ReadFile(p)
				}
				return 0, err
			})
			if contains(c.broken, name) {
				if !errors.Is(err, syscall.EIO) {
					t.Errorf("%s %d: %s: %v, want EIO", c.route, c.kind, name, err)
				}
			} else if err != nil {
				t.Errorf("%s %d: %s: %v, want it served", c.route, c.kind, name, err)
			}
		}
		if len(errorLines(hook, "")) == 0 {
			t.Errorf("%s %d: no log line", c.route, c.kind)
		}
		for _, e := range errorLines(hook, "") {
			if err, _ := e.Data["error"].(error); err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.url)) {
				t.Errorf("%s %d: a log line does not name the route: %s %v", c.route, c.kind, e.Message, e.Data)
			}
		}
	}
}

// A file manager never freezes: ls -l of an image folder while the server
// takes longer than the timeout to answer the original files' size
// probes asks for none of them, and ls -l of original/ itself fails
// within the timeout's bound. ls -l of the dataset (image folders) costs
// only the listing's pages.
func TestDataSlowServerUnderAFileManager(t *testing.T) {
	m, _ := faultMount(t, mountConfig{timeout: bigTimeout})
	ds := m.path("data", "projects", "Cell Biology", "1200 images")
	if _, err := os.ReadDir(filepath.Dir(ds)); err != nil { // the parents are not what is counted
		t.Fatal(err)
	}
	m.server.ResetCounters()
	ents, err := within(t, 3*opBound, "ls -l 1200 images", func() ([]os.DirEntry, error) {
		ents, err := os.ReadDir(ds)
		for _, e := range ents {
			if _, err := e.Info(); err != nil {
				return nil, err
			}
		}
		return ents, err
	})
	if err != nil || len(ents) != 1200 {
		t.Fatalf("ls -l of 1,200 image folders: %d, %v", len(ents), err)
	}
	if total, lists := m.server.TotalRequests(), m.server.Requests("api_list"); total != lists || lists > 3 {
		t.Errorf("ls -l of 1,200 image folders: %d requests, %d of them list pages (500 a page)", total, lists)
	}
	m.server.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.Latency, Delay: time.Minute})
	folder := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv")
	names, err := within(t, opBound, "ls -l image folder", func() ([]string, error) {
		ents, err := os.ReadDir(folder)
		var names []string
		for _, e := range ents {
			if _, err := os.Lstat(filepath.Join(folder, e.Name())); err != nil {
				return nil, err
			}
			names = append(names, e.Name())
		}
		return names, err
	})
	if err != nil || len(names) != 4 {
		t.Errorf("ls -l of an image folder under a slow server: %v, %v", names, err)
	}
	if n := m.server.Requests("download_original_file"); n != 0 {
		t.Errorf("ls -l of an image folder asked for %d original files", n)
	}
	start := time.Now()
	_, err = within(t, opBound, "ls -l original/", func() (int, error) {
		ents, err := os.ReadDir(filepath.Join(folder, "original"))
		for _, e := range ents {
			e.Info()
		}
		return len(ents), err
	})
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("ls -l original/ under a server slower than the timeout: %v, want EIO", err)
	}
	t.Logf("ls -l original/ failed after %v (timeout %v)", time.Since(start).Round(time.Millisecond), bigTimeout)
}

// The spool on its own, with a server that sends in small uneven pieces:
// readers at every offset, waiting and not, across the chunks kept in
// memory and those already in the file, get the file's bytes; a server
// that sends more or fewer bytes than it listed fails every reader and
// leaves no file.
func TestSpoolChunksAndLengths(t *testing.T) {
	const size = 3*spoolChunk + 1234
	want := make([]byte, size)
	for i := range want {
		want[i] = byte(i*31 + i>>11)
	}
	// trickle sends body in pieces of 1..7919 bytes, pausing now and then.
	trickle := func(body []byte) opener {
		return func(ctx context.Context) (io.ReadCloser, int64, error) {
			pr, pw := io.Pipe()
			go func() {
				for off, k := 0, 1; off < len(body); k = (k*7 + 1) % 1000003 {
					n := min(k%7919+1, len(body)-off)
					if _, err := pw.Write(body[off : off+n]); err != nil {
						return
					}
					off += n
					if k%5 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
				pw.Close()
			}()
			return pr, size, nil
		}
	}
	dir := t.TempDir()
	s := newSpool(dir, logrus.New())
	defer s.Close()
	var wg sync.WaitGroup
	for r := 0; r < 16; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := int64(r) * size / 16
			for k := 0; k < 6; k++ {
				buf := make([]byte, 1+(r*7777+k*99991)%(300<<10))
				n, err := s.readAt(context.Background(), "k", size, trickle(want), buf, off)
				end := min(off+int64(len(buf)), size)
				if err != nil || !bytes.Equal(buf[:n], want[off:end]) {
					t.Errorf("reader %d: %d bytes at %d: %v", r, n, off, err)
					return
				}
				off = (off*7 + int64(r)*spoolChunk/3 + 1) % size
			}
		}()
	}
	wg.Wait()
	buf := make([]byte, size)
	if n, err := s.readAt(context.Background(), "k", size, nil, buf, 0); err != nil || !bytes.Equal(buf[:n], want) {
		t.Errorf("the whole file from the finished spool: %d bytes, %v", n, err)
	}
	// More than listed, fewer than listed.
	for name, body := range map[string][]byte{"more": append(append([]byte(nil), want...), 1, 2, 3), "fewer": want[:size-1]} {
		key := "bad-" + name
		_, err := s.readAt(context.Background(), key, size, trickle(body), make([]byte, 10), size-5)
		if !errors.Is(err, gateway.ErrBadResponse) {
			t.Errorf("%s bytes than listed: %v", name, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(spoolFiles(t, dir)) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if files := spoolFiles(t, dir); len(files) != 1 {
		t.Errorf("spool files: %v, want the one whole file", files)
	}
}
