package fs

import (
	"bytes"
	"errors"
	"image/png"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// walkFiles lists every regular file under dir (not following images/), in
// the rendered view: the data view (data/, data_test.go) holds other files.
func walkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(dir, "data") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

func TestTopLevelFolders(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			t.Errorf("%s is not a directory", e.Name())
		}
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "data datasets images orphaned plates projects screens tags"; got != want {
		t.Errorf("top level = %q, want %q", got, want)
	}
	st, err := os.Stat(m.dir)
	if err != nil || st.Mode().Perm() != 0o555 {
		t.Errorf("root mode %v, %v; want 0555", st.Mode(), err)
	}
}

// TestStatIsExactAndRendersNothing walks the whole tree with stat (what
// ls -lR does), checks that no render was asked of the server, then reads
// every image and checks that its length equals the size stat gave and that
// it decodes as a PNG of the expected dimensions.
func TestStatIsExactAndRendersNothing(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := walkFiles(t, m.dir)
	if len(files) < 100 {
		t.Fatalf("only %d files in the demo tree", len(files))
	}
	sizes := map[string]int64{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o444 {
			t.Errorf("%s: mode %v, want 0444", f, st.Mode())
		}
		if !strings.HasSuffix(f, ".png") {
			t.Errorf("%s does not end in .png", f)
		}
		sizes[f] = st.Size()
	}
	if n := m.server.Requests("render_image") + m.server.Requests("render_image_region"); n != 0 {
		t.Fatalf("stat of %d files made %d render requests, want 0", len(files), n)
	}
	// Read every file, except that in folders of more than 100 files
	// (the 1,200-image dataset, the plate's wells) every 25th is enough.
	perDir := map[string]int{}
	for _, f := range files {
		perDir[filepath.Dir(f)]++
	}
	read := 0
	seen := map[string]int{}
	for _, f := range files {
		d := filepath.Dir(f)
		seen[d]++
		if perDir[d] > 100 && seen[d]%25 != 1 {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("read %s: %v", f, err)
			continue
		}
		read++
		if int64(len(data)) != sizes[f] {
			t.Errorf("%s: read %d bytes, stat said %d", f, len(data), sizes[f])
		}
		if _, err := png.DecodeConfig(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: not a PNG: %v", f, err)
		}
	}
	t.Logf("read %d of %d files", read, len(files))
}

// TestReadsAtOddOffsets compares pread at many offsets and lengths with the
// whole file.
func TestReadsAtOddOffsets(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := walkFiles(t, m.path("orphaned"))
	if len(files) == 0 {
		t.Fatal("no orphaned images")
	}
	whole, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewSource(1))
	size := int64(len(whole))
	offsets := []int64{0, 1, 7, 4095, 4096, 4097, size - 1, size, size + 1, size + 1<<20}
	for i := 0; i < 200; i++ {
		offsets = append(offsets, rng.Int63n(size+10))
	}
	for _, off := range offsets {
		for _, n := range []int{1, 3, 17, 4096, 65537, 1 << 20} {
			buf := make([]byte, n)
			got, err := f.ReadAt(buf, off)
			want := whole[min(off, size):min(off+int64(n), size)]
			if got != len(want) || !bytes.Equal(buf[:got], want) {
				t.Fatalf("ReadAt(off %d, len %d) = %d bytes, %v; want %d bytes", off, n, got, err, len(want))
			}
		}
	}
}

// TestConcurrentReadersCauseOneRender has 16 readers open one uncached image
// at once: exactly one render request reaches the server.
func TestConcurrentReadersCauseOneRender(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := walkFiles(t, m.path("orphaned"))
	target := files[len(files)-1]
	before := m.server.Requests("render_image") + m.server.Requests("render_image_region")
	var wg sync.WaitGroup
	results := make([][]byte, 16)
	errs := make([]error, 16)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			results[i], errs[i] = os.ReadFile(target)
		}(i)
	}
	close(start)
	wg.Wait()
	for i := range results {
		if errs[i] != nil || !bytes.Equal(results[i], results[0]) {
			t.Fatalf("reader %d: %v (or different bytes)", i, errs[i])
		}
	}
	if n := m.server.Requests("render_image") + m.server.Requests("render_image_region") - before; n != 1 {
		t.Fatalf("16 concurrent readers made %d render requests, want 1", n)
	}
}

// TestReadOnly checks that every change is refused with EROFS.
func TestReadOnly(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := walkFiles(t, m.path("orphaned"))
	file := files[0]
	dir := m.path("projects")
	checks := map[string]error{
		"open for writing": func() error { f, err := os.OpenFile(file, os.O_WRONLY, 0); f.Close(); return err }(),
		"truncate":         os.Truncate(file, 0),
		"create":           os.WriteFile(filepath.Join(dir, "new.txt"), []byte("x"), 0o644),
		"mkdir":            os.Mkdir(filepath.Join(dir, "new"), 0o755),
		"rename":           os.Rename(file, file+".bak"),
		"unlink":           os.Remove(file),
		"rmdir":            os.Remove(m.path("screens")),
		"chmod":            os.Chmod(file, 0o644),
		"symlink":          os.Symlink(file, filepath.Join(dir, "link")),
		"setxattr":         syscall.Setxattr(file, "user.x", []byte("1"), 0),
	}
	for what, err := range checks {
		if !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s: got %v, want EROFS", what, err)
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("file gone after refused changes: %v", err)
	}
}

func readXattr(t *testing.T, path, name string) string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := syscall.Getxattr(path, name, buf)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", path, name, err)
	}
	return string(buf[:n])
}

// TestXattrs checks the attributes of design.md on an image and a folder.
func TestXattrs(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := walkFiles(t, m.path("orphaned"))
	img := files[0]
	buf := make([]byte, 4096)
	n, err := syscall.Listxattr(img, buf)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
	want := []string{"user.omero.type", "user.omero.id", "user.omero.owner", "user.omero.group", "user.omero.url",
		"user.omero.size", "user.omero.pixels_type", "user.omero.channels", "user.omero.physical_size"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("image xattrs %v, want %v", names, want)
	}
	if got := readXattr(t, img, "user.omero.type"); got != "Image" {
		t.Errorf("type = %q", got)
	}
	if got := readXattr(t, img, "user.omero.size"); len(strings.Fields(got)) != 5 {
		t.Errorf("size = %q, want X Y Z C T", got)
	}
	if got := readXattr(t, img, "user.omero.channels"); got == "" {
		t.Errorf("no channel labels")
	}
	if _, err := syscall.Getxattr(img, "user.omero.nope", buf); !errors.Is(err, syscall.ENODATA) {
		t.Errorf("unknown attribute: %v, want ENODATA", err)
	}
	if _, err := syscall.Getxattr(img, "user.omero.type", make([]byte, 1)); !errors.Is(err, syscall.ERANGE) {
		t.Errorf("small buffer: %v, want ERANGE", err)
	}
	projects, _ := os.ReadDir(m.path("projects"))
	if len(projects) == 0 {
		t.Fatal("no projects")
	}
	p := m.path("projects", projects[0].Name())
	if got := readXattr(t, p, "user.omero.type"); got != "Project" {
		t.Errorf("project type = %q", got)
	}
	if got := readXattr(t, p, "user.omero.url"); !strings.Contains(got, "project") {
		t.Errorf("project url = %q", got)
	}
}
