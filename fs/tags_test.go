package fs

import (
	"bytes"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
)

func dirNames(t *testing.T, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func inode(t *testing.T, path string) (uint64, int64) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino, st.Size
}

// TestTagsFolder walks tags/ through a real mount: tags outside sets and
// the sets at the top, a set's tags inside it, and a tag's images (the
// rendered view's very files) and containers.
func TestTagsFolder(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	top := strings.Join(dirNames(t, m.path("tags")), "|")
	for _, want := range []string{"Phenotypes", "control", "published", "unused", "HCS", "mitosis"} {
		if !strings.Contains("|"+top+"|", "|"+want+"|") {
			t.Errorf("tags/ lacks %q: %s", want, top)
		}
	}
	if strings.Contains(top, "apoptosis") {
		t.Errorf("a tag of a set at the top of tags/: %s", top)
	}
	// Two tags of one value: the usual duplicate rule of names.go.
	if strings.Count("|"+top, "|control") != 2 || !strings.Contains(top, "Tag ") {
		t.Errorf("two tags 'control', or the empty tag, badly named: %s", top)
	}
	if got := strings.Join(dirNames(t, m.path("tags", "Phenotypes")), "|"); got != "G2∕M arrest|apoptosis" {
		t.Errorf("tags/Phenotypes = %q", got)
	}
	m.server.ResetCounters()
	got := dirNames(t, m.path("tags", "Phenotypes", "apoptosis"))
	if strings.Join(got, "|") != "Unfiled|membrane.czi.png|stack.tif.png" {
		t.Errorf("tags/Phenotypes/apoptosis = %q", got)
	}
	if n := m.server.Requests("api_tags"); n != 1 || m.server.TotalRequests() != 1 {
		t.Errorf("listing a tag folder took %d tag requests, %d in all", n, m.server.TotalRequests())
	}
	m.server.ResetCounters()
	dirNames(t, m.path("tags", "Phenotypes", "apoptosis"))
	if n := m.server.TotalRequests(); n != 0 {
		t.Errorf("listing it again within --metadata-ttl took %d requests", n)
	}
	// The tagged image is the rendered view's file: same inode, size, bytes.
	tagged := m.path("tags", "Phenotypes", "apoptosis", "stack.tif.png")
	plain := m.path("orphaned", "stack.tif.png")
	ti, ts := inode(t, tagged)
	pi, ps := inode(t, plain)
	if ti != pi || ts != ps || ts == 0 {
		t.Errorf("tagged %d (%d bytes), orphaned %d (%d bytes)", ti, ts, pi, ps)
	}
	a, err := os.ReadFile(tagged)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(plain)
	if !bytes.Equal(a, b) || int64(len(a)) != ts {
		t.Errorf("tagged file: %d bytes, orphaned %d, stat %d", len(a), len(b), ts)
	}
	// What the tag listing did not know does not overwrite the image.
	if got := readXattr(t, plain, "user.omero.pixels_type"); got != "uint16" {
		t.Errorf("pixels_type after the tag listing = %q", got)
	}
	if ims := dirNames(t, m.path("tags", "Phenotypes", "apoptosis", "Unfiled")); len(ims) != 2 {
		t.Errorf("a tagged dataset's images: %v", ims)
	}
	hcs := dirNames(t, m.path("tags", "HCS"))
	if strings.Join(hcs, "|") != "HCS Screen|Loose plate" {
		t.Errorf("tags/HCS = %q", hcs)
	}
	if wells := dirNames(t, m.path("tags", "HCS", "Loose plate")); len(wells) != 6 || wells[0] != "1-1" {
		t.Errorf("a tagged plate's wells: %v", wells)
	}
	if got := readXattr(t, m.path("tags", "Phenotypes"), "user.omero.description"); got != "what the cells do" {
		t.Errorf("tag set description %q", got)
	}
	if got := readXattr(t, m.path("tags", "Phenotypes"), "user.omero.type"); got != "TagSet" {
		t.Errorf("tag set type %q", got)
	}
}

func listXattrs(t *testing.T, path string) []string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := syscall.Listxattr(path, buf)
	if err != nil {
		t.Fatalf("listxattr %s: %v", path, err)
	}
	return strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
}

// TestAnnotationXattrs reads key-value, tag and description attributes,
// and checks that reading every attribute of every file of a folder (what
// getfattr -d does) costs one annotations request.
func TestAnnotationXattrs(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := dirNames(t, m.path("orphaned"))
	m.server.ResetCounters()
	for _, f := range files {
		p := m.path("orphaned", f)
		for _, name := range listXattrs(t, p) {
			readXattr(t, p, name)
		}
	}
	if n := m.server.Requests("api_annotations"); n != 1 {
		t.Errorf("getfattr -d over %d files: %d annotations requests, want 1", len(files), n)
	}
	stack := m.path("orphaned", "stack.tif.png")
	if got := readXattr(t, stack, "user.omero.kv.Gene"); got != "TP53\nMDM2\nBAX" {
		t.Errorf("repeated key: %q", got)
	}
	for name, want := range map[string]string{
		"user.omero.kv.%":               "empty key",
		"user.omero.kv.key with spaces": "v",
		"user.omero.kv.ratio=1/2":       "½",
		"user.omero.kv.nul%00key":       "nul",
		"user.omero.kv.Größe":           "12 µm",
		"user.omero.tags":               "apoptosis\ncontrol\npublished",
		"user.omero.description":        "Two channels, seven sections.\nFixed cells.",
	} {
		if got := readXattr(t, stack, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var long string
	for _, n := range listXattrs(t, stack) {
		if strings.HasPrefix(n, "user.omero.kv.long key") {
			long = n
		}
		if len(n) > 255 {
			t.Errorf("attribute name of %d bytes", len(n))
		}
	}
	if long == "" || readXattr(t, stack, long) != "long" {
		t.Errorf("long key: %q", long)
	}
	// A container's key-value pairs, batched over its folder's datasets.
	m.server.ResetCounters()
	unfiled := m.path("datasets", "Unfiled")
	if got := readXattr(t, unfiled, "user.omero.kv.condition"); got != "heat shock" {
		t.Errorf("dataset kv %q", got)
	}
	for _, d := range dirNames(t, m.path("datasets")) {
		listXattrs(t, m.path("datasets", d))
	}
	if n := m.server.Requests("api_annotations"); n != 1 {
		t.Errorf("the datasets/ folders' attributes: %d annotations requests", n)
	}
}

// TestForeignXattrsCostNothing: the attributes file managers ask of every
// file (security.*, system.*) and the fixed user.omero.* ones never fetch
// annotations.
func TestForeignXattrsCostNothing(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	files := dirNames(t, m.path("orphaned"))
	m.server.ResetCounters()
	buf := make([]byte, 1024)
	for _, f := range files {
		p := m.path("orphaned", f)
		for _, name := range []string{"security.selinux", "system.posix_acl_access", "user.xdg.origin.url", "user.omero.id", "user.omero.description"} {
			syscall.Getxattr(p, name, buf)
		}
	}
	if n := m.server.Requests("api_annotations"); n != 0 {
		t.Errorf("%d annotations requests for attributes that need none", n)
	}
}

// TestTaggedImageAttributesComplete: an image reached only through tags/
// (whose listing leaves out channels, pixel type, owner and group) shows its
// full attributes from the first getfattr, at the cost of one single-image
// request, and the same values as under its dataset.
func TestTaggedImageAttributesComplete(t *testing.T) {
	m := mountTestServer(t, mountConfig{})
	p := m.path("tags", "mitosis", "mitosis_02.dv.png")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	get := func(path, name string) string {
		buf := make([]byte, 4096)
		n, err := syscall.Getxattr(path, name, buf)
		if err != nil {
			t.Fatalf("getxattr %s %s: %v", path, name, err)
		}
		return string(buf[:n])
	}
	m.server.ResetCounters()
	size, owner, ptype := get(p, "user.omero.size"), get(p, "user.omero.owner"), get(p, "user.omero.pixels_type")
	if n := m.server.Requests("api_get"); n > 1 {
		t.Errorf("%d single-object requests to complete one image", n)
	}
	full := m.path("projects", "Cell Biology", "Mitosis", "mitosis_02.dv.png")
	if want := get(full, "user.omero.size"); size != want {
		t.Errorf("size through tags/ %q, under its dataset %q", size, want)
	}
	if want := get(full, "user.omero.owner"); owner != want || owner == "" {
		t.Errorf("owner through tags/ %q, under its dataset %q", owner, want)
	}
	if ptype == "" {
		t.Error("no pixel type through tags/")
	}
}
