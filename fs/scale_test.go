package fs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/testserver"
)

// openDisk opens a disk cache on dir for one mount.
func openDisk(t testing.TB, dir string) *disk.Cache {
	t.Helper()
	c, err := disk.Open(dir, 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDiskCacheSharedBetweenMounts: a second mount on the cache directory of
// a first renders nothing for the images the first rendered (it asks only
// imgData, for the settings and the session's right to the image), serves
// the same bytes, and renders again an image whose settings changed. A
// user who may not see an image gets nothing from the cache either.
func TestDiskCacheSharedBetweenMounts(t *testing.T) {
	cacheDir := t.TempDir()
	fsOpts := func() Options { return Options{DiskCache: openDisk(t, cacheDir), CacheNamespace: "test-server"} }
	m1 := mountTestServer(t, mountConfig{fsOpts: fsOpts()})
	files := []string{histologyPNG, mitosis1PNG, membranePNG}
	first := map[string][]byte{}
	for _, f := range files {
		first[f] = mustRead(t, m1, f)
	}
	if n := m1.server.Requests("render_image"); n != int64(len(files)) {
		t.Fatalf("first mount: %d renders, want %d", n, len(files))
	}
	changedID := objectID(t, m1, membranePNG)

	data := testserver.DemoData()
	im := data.Images[changedID]
	im.Defaults = im.Defaults.Clone()
	im.Defaults.Channels[0].End = (im.Defaults.Channels[0].Start + im.Defaults.Channels[0].End) / 2
	m2 := mountTestServer(t, mountConfig{serverOpts: testserver.Options{Data: data}, fsOpts: fsOpts()})
	for _, f := range files {
		got := mustRead(t, m2, f)
		if same := bytes.Equal(got, first[f]); same != (f != membranePNG) {
			t.Errorf("%s: same bytes as the first mount: %v", f, same)
		}
	}
	if r, d := m2.server.Requests("render_image"), m2.server.Requests("imgData"); r != 1 || d != int64(len(files)) {
		t.Fatalf("second mount: %d renders and %d imgData; want 1 (the changed settings) and %d", r, d, len(files))
	}

	// bob is not in alice's group: her images are not his, cached or not.
	m3 := mountTestServer(t, mountConfig{user: "bob", fsOpts: fsOpts()})
	byID := filepath.Join("images", fmt.Sprintf("%d.png", objectID(t, m1, histologyPNG)))
	if _, err := os.ReadFile(m3.path(byID)); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("bob reads %s: %v, want ENOENT", byID, err)
	}
	if n := m3.server.Requests("render_image"); n != 0 {
		t.Fatalf("bob's mount rendered %d images", n)
	}
}

// dirOrder lists a folder of the mount in its listing order (not sorted).
func dirOrder(t testing.TB, m *mounted, rel string) []string {
	t.Helper()
	f, err := os.Open(m.path(rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestReadAheadInListingOrder: two files read in listing order start
// rendering the next --read-ahead ones in the background; reading on keeps
// the window ahead; a read out of order schedules nothing.
func TestReadAheadInListingOrder(t *testing.T) {
	m := mountTestServer(t, mountConfig{fsOpts: Options{ReadAhead: 2}})
	names := dirOrder(t, m, bigDir)
	read := func(i int) { mustRead(t, m, filepath.Join(bigDir, names[i])) }
	renders := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for m.server.Requests("render_image") != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d renders, want %d", m.server.Requests("render_image"), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	read(0)
	if n := m.root.Stats().ReadAheads(); n != 0 {
		t.Fatalf("one read started %d renders ahead", n)
	}
	read(1) // in order: 2 and 3 ahead
	if n := m.root.Stats().ReadAheads(); n != 2 {
		t.Fatalf("%d renders ahead after two reads in order, want 2", n)
	}
	renders(4)
	read(2) // 4 ahead
	read(3) // 5 ahead
	renders(6)
	if n := m.root.Stats().ReadAheads(); n != 4 {
		t.Fatalf("%d renders ahead, want 4", n)
	}
	read(100) // out of order: nothing ahead
	read(7)
	if n := m.root.Stats().ReadAheads(); n != 4 {
		t.Fatalf("reads out of order started renders ahead: %d, want 4", n)
	}
	renders(8)
}

func TestRandomReadsReadNothingAhead(t *testing.T) {
	m := mountTestServer(t, mountConfig{fsOpts: Options{ReadAhead: 4}})
	names := dirOrder(t, m, bigDir)
	for _, i := range []int{5, 3, 9, 12, 2} {
		mustRead(t, m, filepath.Join(bigDir, names[i]))
	}
	if n := m.root.Stats().ReadAheads(); n != 0 {
		t.Fatalf("random reads started %d renders ahead", n)
	}
	if n := m.server.Requests("render_image"); n != 5 {
		t.Fatalf("%d renders for 5 reads", n)
	}
}

// TestListingsBounded: with --max-listings 2, three folders listed leave
// two listings held.
func TestListingsBounded(t *testing.T) {
	m := mountTestServer(t, mountConfig{fsOpts: Options{MaxListings: 2}})
	for _, d := range []string{"projects", mitosisDir, batchDir} {
		if _, err := os.ReadDir(m.path(d)); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.root.listings.Len(); n != 2 {
		t.Fatalf("%d listings held, want 2", n)
	}
	// The evicted one lists again when asked.
	if _, err := os.ReadDir(m.path("projects")); err != nil {
		t.Fatal(err)
	}
}

// TestListingsBoundedByObjects: the listings held stay under
// --max-listed-objects in all, whatever the number of folders; the
// 1,200-image folder, heavier than the bound alone, is held while it is the
// newest and goes when a smaller folder is listed after it.
func TestListingsBoundedByObjects(t *testing.T) {
	m := mountTestServer(t, mountConfig{fsOpts: Options{MaxListings: 100, MaxListedObjects: 1000}})
	for _, d := range []string{"projects", mitosisDir} {
		if _, err := os.ReadDir(m.path(d)); err != nil {
			t.Fatal(err)
		}
	}
	small := m.root.listings.Weight()
	if small == 0 || small > 1000 || m.root.listings.Len() < 2 {
		t.Fatalf("%d listings weighing %d after small folders", m.root.listings.Len(), small)
	}
	if _, err := os.ReadDir(m.path(bigDir)); err != nil {
		t.Fatal(err)
	}
	if n, w := m.root.listings.Len(), m.root.listings.Weight(); n != 1 || w < 1200 {
		t.Fatalf("%d listings weighing %d: want only the big folder's", n, w)
	}
	if _, err := os.ReadDir(m.path(mitosisDir)); err != nil {
		t.Fatal(err)
	}
	if w := m.root.listings.Weight(); w > 1000 {
		t.Fatalf("listings weigh %d after a small folder, bound 1000", w)
	}
}

// TestInodesForgotten: files the kernel forgets leave the mount's tree
// (no inode is persistent below the fixed folders), so a find over a
// million images does not keep a million nodes.
func TestInodesForgotten(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	names := dirOrder(t, m, bigDir)
	for _, n := range names[:100] {
		if _, err := os.Stat(m.path(bigDir, n)); err != nil {
			t.Fatal(err)
		}
	}
	node := m.root.EmbeddedInode()
	for _, part := range filepath.SplitList(strings.ReplaceAll(bigDir, string(filepath.Separator), string(filepath.ListSeparator))) {
		if node = node.GetChild(part); node == nil {
			t.Fatalf("no node for %s on the way to %s", part, bigDir)
		}
	}
	if n := len(node.Children()); n < 100 {
		t.Fatalf("%d children known after 100 stats", n)
	}
	for name := range node.Children() {
		node.NotifyEntry(name) // the kernel drops the entry and forgets the inode
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(node.Children()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d nodes still held after the kernel forgot them", len(node.Children()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := m.root.held.count(); n != 0 {
		t.Fatalf("%d image nodes still in the table of held images after the kernel forgot them", n)
	}
	// And they come back when looked up again.
	if _, err := os.Stat(m.path(bigDir, names[0])); err != nil {
		t.Fatal(err)
	}
}

// TestListingReadAhead: two subfolders listed in their folder's order (as
// find and cp -r do) start listing the next --read-ahead ones in the
// background; listing them then asks the server nothing.
func TestListingReadAhead(t *testing.T) {
	m := mountTestServer(t, mountConfig{fsOpts: Options{ReadAhead: 1}})
	project := filepath.Join("projects", "Cell Biology")
	names := dirOrder(t, m, project)
	if len(names) < 4 {
		t.Fatalf("%d datasets in %s", len(names), project)
	}
	dirOrder(t, m, filepath.Join(project, names[0]))
	if n := m.root.Stats().ListingsAhead(); n != 0 {
		t.Fatalf("one folder listed started %d listings ahead", n)
	}
	dirOrder(t, m, filepath.Join(project, names[1]))
	if n := m.root.Stats().ListingsAhead(); n != 1 {
		t.Fatalf("%d listings ahead after two folders in order, want 1", n)
	}
	// The third folder's listing arrives in the background...
	third := filepath.Join(project, names[2])
	deadline := time.Now().Add(30 * time.Second)
	for m.server.Requests("api_list") < 4 { // projects, Cell Biology, two datasets, then the third
		if time.Now().After(deadline) {
			t.Fatal("the listing ahead never reached the server")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ino := m.root.EmbeddedInode().GetChild("projects").GetChild("Cell Biology").GetChild(names[2]).StableAttr().Ino
	for {
		if _, ok := m.root.listings.Peek(ino); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no listing of the third folder arrived")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...and is what listing it shows (a fresh listing is not fetched again).
	got := dirOrder(t, m, third)
	if n := m.root.Stats().ListingsAhead(); n != 2 {
		t.Fatalf("%d listings ahead, want 2", n)
	}
	if len(got) == 0 {
		t.Fatalf("%s lists empty", third)
	}
	// Out of order: nothing more ahead.
	dirOrder(t, m, filepath.Join(project, names[0]))
	if n := m.root.Stats().ListingsAhead(); n != 2 {
		t.Fatalf("a folder listed out of order started listings ahead: %d", n)
	}
}

// TestOriginalsSharedThroughTheDiskCache: an original file downloaded by
// one mount is read by the next mount on the same cache directory from
// the cache, without a download; an attachment (which may change) is
// downloaded again.
func TestOriginalsSharedThroughTheDiskCache(t *testing.T) {
	cacheDir := t.TempDir()
	fsOpts := func() Options { return Options{DiskCache: openDisk(t, cacheDir), CacheNamespace: "test-server"} }
	orig := filepath.Join("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv", "original", "mitosis_01.dv")
	attach := filepath.Join("data", "projects", "Cell Biology", "Mitosis", "mitosis_01.dv", "attachments", "notes, v2.txt")

	opts1 := fsOpts()
	m1 := mountTestServer(t, mountConfig{fsOpts: opts1})
	want, err := os.ReadFile(m1.path(orig))
	if err != nil {
		t.Fatal(err)
	}
	wantAttach, err := os.ReadFile(m1.path(attach))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for opts1.DiskCache.Stats().Fills < 1 { // the copy into the cache runs in the background
		if time.Now().After(deadline) {
			t.Fatal("the original never reached the disk cache")
		}
		time.Sleep(20 * time.Millisecond)
	}
	opts1.DiskCache.Close()

	m2 := mountTestServer(t, mountConfig{fsOpts: fsOpts()})
	for _, p := range []string{orig, attach} {
		if _, err := os.Stat(m2.path(p)); err != nil { // listing original/ may probe sizes
			t.Fatal(err)
		}
	}
	m2.server.ResetCounters()
	got, err := os.ReadFile(m2.path(orig))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("second mount: %v, same bytes %v", err, bytes.Equal(got, want))
	}
	if n := m2.server.Requests("download_original_file"); n != 0 {
		t.Fatalf("second mount downloaded the original %d times; want 0 (disk cache)", n)
	}
	gotAttach, err := os.ReadFile(m2.path(attach))
	if err != nil || !bytes.Equal(gotAttach, wantAttach) {
		t.Fatalf("attachment: %v", err)
	}
	if n := m2.server.Requests("download_annotation"); n != 1 {
		t.Fatalf("attachment downloaded %d times by the second mount; want 1 (never from the disk cache)", n)
	}
}

// TestListingMakesNoFileNodes: reading a folder (find, ls) makes no node for
// its image files, though the kernel reads it with READDIRPLUS; stat of a
// file then makes its node, with the listing's size.
func TestListingMakesNoFileNodes(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	// Below the bound, the listing makes the files' nodes (ls -l then
	// needs no lookup); at it, none.
	m.root.readdirplusNodes.Store(5)
	names := dirOrder(t, m, bigDir)
	if len(names) < 1000 {
		t.Fatalf("%d entries in %s", len(names), bigDir)
	}
	node := m.root.EmbeddedInode()
	for _, part := range strings.Split(bigDir, string(filepath.Separator)) {
		if node = node.GetChild(part); node == nil {
			t.Fatalf("no node for %s on the way to %s", part, bigDir)
		}
	}
	if n := len(node.Children()); n > 5 {
		t.Fatalf("%d file nodes after reading %s, want at most the bound 5", n, bigDir)
	}
	before := len(node.Children())
	fi, err := os.Stat(m.path(bigDir, names[len(names)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 || len(node.Children()) != before+1 {
		t.Fatalf("after a stat: size %d, %d nodes; want the file's size and one node more than %d", fi.Size(), len(node.Children()), before)
	}
}
