package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/sys/unix"

	"github.com/omerofs/omerofs/testserver"
	"github.com/omerofs/omerofs/wrappers"
)

func inoOf(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

func TestDataViewFolders(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	expect(t, m.path("data"), "projects", "datasets", "orphaned", "screens", "plates", "images")
	expect(t, m.path(), "data")
	// One listing serves both views.
	m.server.ResetCounters()
	expect(t, m.path("data", "projects", "Cell Biology", "Mitosis"), "mitosis_01.dv", "histology.tif")
	expect(t, m.path("projects", "Cell Biology", "Mitosis"), "mitosis_01.dv.png", "histology.tif.png")
	if n := m.server.Requests("api_list"); n != 3 { // projects, Cell Biology's datasets, Mitosis's images
		t.Errorf("%d list requests for both views", n)
	}
	folder := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv")
	expect(t, folder, "image.png", "metadata.json", "original", "attachments")
	// image.png is the rendered view's file: one inode, the same bytes.
	png := m.path("projects", "Cell Biology", "Mitosis", "mitosis_01.dv.png")
	if inoOf(t, png) != inoOf(t, filepath.Join(folder, "image.png")) {
		t.Error("image.png is another inode than the rendered PNG")
	}
	a, err1 := os.ReadFile(png)
	b, err2 := os.ReadFile(filepath.Join(folder, "image.png"))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) || len(a) == 0 {
		t.Errorf("image.png differs: %v %v", err1, err2)
	}
	// images/<id>/ by lookup, never listed.
	id := idsNamed(m.server.Data(), "image", "mitosis_01.dv")[0]
	byID := m.path("data", "images", strconv.FormatInt(id, 10))
	if inoOf(t, filepath.Join(byID, "image.png")) != inoOf(t, png) {
		t.Error("images/<id>/image.png is another inode")
	}
	if ents, err := os.ReadDir(m.path("data", "images")); err != nil || len(ents) != 0 {
		t.Errorf("data/images lists %d entries, %v", len(ents), err)
	}
	if _, err := os.Stat(m.path("data", "images", "999999")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unknown id: %v", err)
	}
	// xattrs on the folder.
	buf := make([]byte, 64)
	n, err := unix.Getxattr(folder, "user.omero.id", buf)
	if err != nil || string(buf[:n]) != strconv.FormatInt(id, 10) {
		t.Errorf("user.omero.id = %q, %v", buf[:n], err)
	}
	// Wells and plates reach image folders too.
	expect(t, m.path("data", "screens", "HCS Screen", "Plate 1", "A1"), "Plate 1 [Well A1, Field 1]")
}

func TestDataViewMetadata(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	dsDir := m.path("data", "projects", "Cell Biology", "Mitosis")
	ents, err := os.ReadDir(dsDir)
	if err != nil {
		t.Fatal(err)
	}
	m.server.ResetCounters()
	for i, e := range ents {
		before := m.server.TotalRequests()
		p := filepath.Join(dsDir, e.Name(), "metadata.json")
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || int64(len(b)) != st.Size() {
			t.Fatalf("%s: %d bytes, stat says %d, %v", p, len(b), st.Size(), err)
		}
		var md wrappers.Metadata
		if err := json.Unmarshal(b, &md); err != nil || md.Name != e.Name() || md.Schema != wrappers.MetadataSchema {
			t.Errorf("%s: %v (%s)", p, err, b)
		}
		// imgData and the image; the first also asks for the whole
		// folder's annotations, once.
		limit := int64(2)
		if i == 0 {
			limit = 3
		}
		if n := m.server.TotalRequests() - before; n > limit {
			t.Errorf("%s took %d requests", e.Name(), n)
		}
	}
	if n := m.server.Requests("api_annotations"); n != 1 {
		t.Errorf("%d annotation requests for one folder", n)
	}
	// Every odd name's folder has a metadata.json that parses, naming its image.
	odd := m.path("data", "projects", "Cell Biology", "Odd names")
	oddEnts, err := os.ReadDir(odd)
	if err != nil || len(oddEnts) != 10 {
		t.Fatalf("odd names: %d, %v", len(oddEnts), err)
	}
	for _, e := range oddEnts {
		b, err := os.ReadFile(filepath.Join(odd, e.Name(), "metadata.json"))
		var md wrappers.Metadata
		if err != nil || json.Unmarshal(b, &md) != nil || md.ID == 0 || md.Dimensions.X != 96 {
			t.Errorf("%q: %v %s", e.Name(), err, b)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dsDir, "mitosis_01.dv", "metadata.json"))
	var md wrappers.Metadata
	json.Unmarshal(b, &md)
	if len(md.KeyValuePairs) != 7 || len(md.Tags) != 2 || len(md.Comments) != 2 || len(md.Attachments) != 2 || md.KeyValuePairs[4].Key != "Ünïcode 細胞" {
		t.Errorf("annotations in metadata.json: %s", b)
	}
	// Listing an image folder whose metadata is known costs nothing more;
	// a fresh one at most two requests.
	m.server.ResetCounters()
	dup := m.path("data", "projects", "Cell Biology", "Duplicates")
	ents, _ = os.ReadDir(dup)
	m.server.ResetCounters()
	sub, _ := os.ReadDir(filepath.Join(dup, ents[0].Name()))
	for _, e := range sub {
		if _, err := os.Lstat(filepath.Join(dup, ents[0].Name(), e.Name())); err != nil {
			t.Error(err)
		}
	}
	if n := m.server.TotalRequests() - m.server.Requests("api_annotations"); n > 2 {
		t.Errorf("ls -l of an image folder: %d requests besides the folder's annotations", n)
	}
}

func TestDataViewOriginals(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	d := m.server.Data()
	slide := idsNamed(d, "image", "Big slide.svs")[0]
	orig := m.path("data", "orphaned", "Big slide.svs", "original")
	expect(t, orig, "Big slide.mrxs", "Big slide")
	expect(t, filepath.Join(orig, "Big slide"), "Slidedat.ini", "Index.dat", "Data0000.dat", "Data0001.dat")
	// cp -r: every file's bytes, sizes exact from the listing.
	for _, f := range d.FilesOf(slide) {
		rel := f.Name
		if strings.HasSuffix(f.Path, "Big slide/") {
			rel = "Big slide/" + f.Name
		}
		p := filepath.Join(orig, rel)
		st, err := os.Stat(p)
		if err != nil || st.Size() != f.Size {
			t.Fatalf("%s: %v, size %d want %d", rel, err, st.Size(), f.Size)
		}
		got, err := os.ReadFile(p)
		if err != nil || sha256.Sum256(got) != sha256.Sum256(d.FileBytes(f.ID)) {
			t.Errorf("%s: %v, sha256 differs", rel, err)
		}
	}
	// A seeking reader on a file above 2 MiB.
	mit := idsNamed(d, "image", "mitosis_01.dv")[0]
	want := d.FileBytes(d.FilesOf(mit)[0].ID)
	fh, err := os.Open(m.path("data", "images", strconv.FormatInt(mit, 10), "original", "mitosis_01.dv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	for _, off := range []int64{int64(len(want)) - 100, 3, 1 << 20, 0, int64(len(want)) - 1} {
		buf := make([]byte, 5000)
		n, err := fh.ReadAt(buf, off)
		if (err != nil && err != io.EOF) || !bytes.Equal(buf[:n], want[off:min(off+5000, int64(len(want)))]) {
			t.Errorf("ReadAt %d: %d bytes, %v", off, n, err)
		}
	}
	// Images sharing a fileset show the same file (one inode).
	a := m.path("data", "projects", "Screening archive", "Batch 04", "batch04_a.tif", "original", "batch04.lif")
	b := m.path("data", "projects", "Screening archive", "Batch 04", "batch04_b.tif", "original", "batch04.lif")
	if inoOf(t, a) != inoOf(t, b) {
		t.Error("a shared fileset's file has two inodes")
	}
	// An image without a fileset: original/ is empty.
	if ents, err := os.ReadDir(m.path("data", "projects", "Cell Biology", "Odd names", "tab\there", "original")); err != nil || len(ents) != 0 {
		t.Errorf("no fileset: %d entries, %v", len(ents), err)
	}
}

func TestDataViewOneDownloadForConcurrentReaders(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	d := m.server.Data()
	mit := idsNamed(d, "image", "mitosis_01.dv")[0]
	p := m.path("data", "images", strconv.FormatInt(mit, 10), "original", "mitosis_01.dv")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(d.FileBytes(d.FilesOf(mit)[0].ID))
	m.server.ResetCounters()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := os.ReadFile(p)
			if err != nil || sha256.Sum256(b) != want {
				t.Errorf("reader: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := m.server.Requests("download_original_file"); n != 1 {
		t.Errorf("%d downloads for 4 readers", n)
	}
}

func TestDataViewDownloadFailures(t *testing.T) {
	spoolDir := t.TempDir()
	m := mountTestServer(t, mountConfig{fsOpts: Options{SpoolDir: spoolDir}})
	d := m.server.Data()
	mit := idsNamed(d, "image", "mitosis_02.dv")[0]
	p := m.path("data", "images", strconv.FormatInt(mit, 10), "original", "mitosis_02.dv")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	// The server dies mid-file (every time): EIO, and nothing left in the
	// spool. (The kernel retries a failed read-ahead once more itself.)
	m.server.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.ResetMidBody})
	if _, err := os.ReadFile(p); !errors.Is(err, syscall.EIO) {
		t.Errorf("cut download: %v, want EIO", err)
	}
	if files := spoolFiles(t, spoolDir); len(files) != 0 {
		t.Errorf("partial spool entries left: %v", files)
	}
	m.server.ClearFaults()
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(b, d.FileBytes(d.FilesOf(mit)[0].ID)) {
		t.Errorf("after the failure: %v", err)
	}
	// Refused by the group's policy (-image,-plate): listed, EIO on open,
	// and one log line naming the policy however often it is tried.
	hook := logtest.NewLocal(m.root.log.(*logrus.Logger))
	beads := idsNamed(d, "image", "beads_1.tif")[0]
	rp := m.path("data", "images", strconv.FormatInt(beads, 10), "original", "beads_1.tif")
	for i := 0; i < 3; i++ {
		if _, err := os.ReadFile(rp); !errors.Is(err, syscall.EIO) {
			t.Errorf("refused original: %v, want EIO", err)
		}
	}
	lines := 0
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "omero.policy.binary_access") {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d log lines about the refusal, want 1", lines)
	}
	// The plate's images: the same.
	plateImg := m.path("data", "screens", "HCS Screen", "Plate 1", "A1", "Plate 1 [Well A1, Field 1]", "original", "Plate 1.xdce")
	if _, err := os.ReadFile(plateImg); !errors.Is(err, syscall.EIO) {
		t.Errorf("plate original: %v, want EIO", err)
	}
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestDataViewAttachments(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	d := m.server.Data()
	dir := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv", "attachments")
	expect(t, dir, "analysis results.csv", "notes, v2.txt")
	for name, kind := range map[string]string{"analysis results.csv": "text/csv", "notes, v2.txt": "text/plain"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		st, _ := os.Stat(filepath.Join(dir, name))
		var fileID int64
		for id, f := range d.Files {
			if f.Name == name && f.Mimetype == kind {
				fileID = id
			}
		}
		if err != nil || !bytes.Equal(b, d.FileBytes(fileID)) || st.Size() != int64(len(b)) {
			t.Errorf("%s: %v, %d bytes", name, err, len(b))
		}
	}
	if ents, err := os.ReadDir(m.path("data", "projects", "Cell Biology", "Mitosis", "membrane.czi", "attachments")); err != nil || len(ents) != 0 {
		t.Errorf("no attachments: %d, %v", len(ents), err)
	}
}

func TestDataViewRefusedAttachment(t *testing.T) {
	ts := testserver.DemoData()
	ts.Groups[1].BinaryAccess = "-read" // the server says so in the JSON: canDownload false
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{Data: ts}})
	p := m.path("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv", "attachments", "analysis results.csv")
	if _, err := os.ReadFile(p); !errors.Is(err, syscall.EACCES) {
		t.Errorf("refused attachment: %v, want EACCES", err)
	}
}

func TestDataViewBigFolderListing(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	dir := m.path("data", "projects", "Cell Biology", "1200 images")
	m.server.ResetCounters()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1200 {
		t.Fatalf("%d entries, %v", len(ents), err)
	}
	for _, e := range ents {
		if st, err := os.Lstat(filepath.Join(dir, e.Name())); err != nil || !st.IsDir() {
			t.Fatalf("%s: %v", e.Name(), err)
		}
	}
	// ls -l of the folder: the listing's pages only (3 of 500), whatever
	// the number of images.
	if n := m.server.TotalRequests(); n > 6 {
		t.Errorf("ls -l of 1,200 image folders took %d requests", n)
	}
}

// TestDataViewRecursiveListingCost is ls -lR of the 1,200-image dataset in
// the data view: every image folder's metadata.json and original/ have
// exact sizes, which OMERO.web gives only per image (imgData and the image
// for metadata.json; original_file_paths, download_placeholder and one
// size probe per file for original/). Annotations come one request per
// 200 images.
func TestDataViewRecursiveListingCost(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	dir := m.path("data", "projects", "Cell Biology", "1200 images")
	m.server.ResetCounters()
	n := 0
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		n++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	total := m.server.TotalRequests()
	t.Logf("ls -lR of 1,200 image folders: %d entries, %d requests (%.1f per image): %d imgData, %d api_get, %d paths, %d placeholder, %d downloads (size probes), %d annotations, %d lists",
		n, total, float64(total)/1200, m.server.Requests("imgData"), m.server.Requests("api_get"), m.server.Requests("original_file_paths"),
		m.server.Requests("download_placeholder"), m.server.Requests("download_original_file"), m.server.Requests("api_annotations"), m.server.Requests("api_list"))
	if a := m.server.Requests("api_annotations"); a > 6 {
		t.Errorf("%d annotation requests for 1,200 images", a)
	}
	if total > 5*1200+20 {
		t.Errorf("%d requests", total)
	}
}

// An image in no dataset whose one file the policy refuses: the server
// says so in advance (archived_files: 404), so EACCES; in a dataset it
// cannot tell, so EIO.
func TestDataViewRefusedInAdvance(t *testing.T) {
	data := testserver.DemoData()
	data.Groups[1].BinaryAccess = "-image"
	m := mountTestServer(t, mountConfig{serverOpts: testserver.Options{Data: data}})
	orphan := idsNamed(data, "image", "orphan.tif")[0]
	p := m.path("data", "images", strconv.FormatInt(orphan, 10), "original", "orphan.tif")
	if _, err := os.ReadFile(p); !errors.Is(err, syscall.EACCES) {
		t.Errorf("orphan: %v, want EACCES", err)
	}
	p = m.path("data", "projects", "Cell Biology", "Mitosis", "histology.tif", "original", "histology.tif")
	if _, err := os.ReadFile(p); !errors.Is(err, syscall.EIO) {
		t.Errorf("in a dataset: %v, want EIO", err)
	}
}

// A reader that takes the start of a big original and closes it (head -c,
// a file manager's peek) stops the download: nothing stays in the spool.
func TestSpoolAbandonedDownload(t *testing.T) {
	dir := t.TempDir()
	s := newSpool(dir, logrus.New())
	defer s.Close()
	const size = 1 << 30
	stopped := make(chan struct{})
	open := func(ctx context.Context) (io.ReadCloser, int64, error) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write(make([]byte, 64<<10))
			<-ctx.Done() // then the server stalls until the download is dropped
			close(stopped)
			pw.CloseWithError(ctx.Err())
		}()
		return pr, size, nil
	}
	buf := make([]byte, 4096)
	if n, err := s.readAt(context.Background(), "k", size, open, buf, 0); err != nil || n != 4096 {
		t.Fatalf("read: %d, %v", n, err)
	}
	s.abandon("k")
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the download goes on after it was abandoned")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(spoolFiles(t, dir)) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Errorf("left in the spool: %v", files)
	}
	// The next read starts afresh.
	stopped = make(chan struct{})
	if n, err := s.readAt(context.Background(), "k", size, open, buf, 100); err != nil || n != 4096 {
		t.Errorf("read after abandon: %d, %v", n, err)
	}
}
