package fs

import (
	"context"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/wrappers"
)

// original/ and attachments/ of an image's folder, and their files: exact
// sizes from the listing, bytes streamed from the server through the spool
// (data_spool.go), so any offset can be read and concurrent readers share
// one download.

// treeNode is a folder of original/: its files and subfolders by name.
type treeNode struct {
	files map[string]wrappers.OriginalFile
	dirs  map[string]*treeNode
	names []string // in the server's order, files and folders mixed
}

func newTree(files []wrappers.OriginalFile) *treeNode {
	root := &treeNode{files: map[string]wrappers.OriginalFile{}, dirs: map[string]*treeNode{}}
	for _, f := range files {
		parts := strings.Split(f.Path, "/")
		n := root
		for _, p := range parts[:len(parts)-1] {
			if p == "" || p == "." || p == ".." {
				continue
			}
			sub := n.dirs[p]
			if sub == nil {
				sub = &treeNode{files: map[string]wrappers.OriginalFile{}, dirs: map[string]*treeNode{}}
				n.dirs[p] = sub
				n.names = append(n.names, p)
			}
			n = sub
		}
		name := parts[len(parts)-1]
		if name == "" || name == "." || name == ".." {
			name = "File " + strconv.FormatInt(f.ID, 10)
		}
		if _, dup := n.files[name]; dup || n.dirs[name] != nil {
			name += " (id " + strconv.FormatInt(f.ID, 10) + ")"
		}
		n.files[name] = f
		n.names = append(n.names, name)
	}
	return root
}

// originalDir is original/ or a folder below it.
type originalDir struct {
	gofs.Inode
	readOnly

	root    *Root
	ino     uint64
	imageID int64
	what    string
	sub     []string // the path below original/

	mu   sync.Mutex
	tree *treeNode // once listed: original files never change
}

var (
	_ gofs.NodeGetattrer = (*originalDir)(nil)
	_ gofs.NodeReaddirer = (*originalDir)(nil)
	_ gofs.NodeLookuper  = (*originalDir)(nil)
)

func (d *originalDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

// node returns this folder's part of the fileset's tree.
func (d *originalDir) node(ctx context.Context) (*treeNode, syscall.Errno) {
	d.mu.Lock()
	t := d.tree
	d.mu.Unlock()
	if t == nil {
		fs, err := d.root.client.OriginalFiles(ctx, d.imageID)
		if err != nil {
			return nil, d.root.fail(err, "list the original files of %s", d.what)
		}
		t = newTree(fs.Files)
		refused := false
		for _, f := range fs.Files {
			refused = refused || f.SizeErr != nil
		}
		if !refused { // a refusal may be lifted, a server error pass: ask again next time
			d.mu.Lock()
			d.tree = t
			d.mu.Unlock()
		}
	}
	for _, p := range d.sub {
		if t = t.dirs[p]; t == nil {
			return nil, syscall.ENOENT
		}
	}
	return t, 0
}

func (d *originalDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	t, errno := d.node(ctx)
	if errno != 0 {
		return nil, errno
	}
	entries := make([]fuse.DirEntry, 0, len(t.names))
	for _, n := range t.names {
		if f, ok := t.files[n]; ok {
			entries = append(entries, fuse.DirEntry{Name: n, Mode: syscall.S_IFREG, Ino: dataFileIno("original", f.ID)})
		} else {
			entries = append(entries, fuse.DirEntry{Name: n, Mode: syscall.S_IFDIR, Ino: dirIno(d.ino, "folder:"+n, 0)})
		}
	}
	return gofs.NewListDirStream(entries), 0
}

func (d *originalDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	t, errno := d.node(ctx)
	if errno != 0 {
		return nil, errno
	}
	if f, ok := t.files[name]; ok {
		id := f.ID
		sf := &streamedFile{root: d.root, ino: dataFileIno("original", id), size: f.Size, key: "original-" + strconv.FormatInt(id, 10),
			what: "original file " + strconv.Quote(path.Join(append(d.sub, name)...)) + " of " + d.what, refused: f.SizeErr,
			open: func(ctx context.Context) (io.ReadCloser, int64, error) {
				return d.root.client.OpenOriginalFile(ctx, id)
			}}
		ch := d.NewInode(ctx, sf, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: sf.ino})
		if existing, ok := ch.Operations().(*streamedFile); ok {
			existing.fillAttr(&out.Attr)
		}
		return ch, 0
	}
	if _, ok := t.dirs[name]; ok {
		ino := dirIno(d.ino, "folder:"+name, 0)
		d.mu.Lock()
		tree := d.tree
		d.mu.Unlock()
		sub := &originalDir{root: d.root, ino: ino, imageID: d.imageID, what: d.what, sub: append(append([]string(nil), d.sub...), name), tree: tree}
		ch := d.NewInode(ctx, sub, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
		d.root.fillDirAttr(ino, &out.Attr)
		return ch, 0
	}
	return nil, syscall.ENOENT
}

// attachmentsDir is attachments/: the image's file annotations, named by
// their file names (duplicates get " (id <annotation id>)").
type attachmentsDir struct {
	gofs.Inode
	readOnly

	root *Root
	ino  uint64
	what string
	anns func(ctx context.Context) (*wrappers.Annotations, error)
}

var (
	_ gofs.NodeGetattrer = (*attachmentsDir)(nil)
	_ gofs.NodeReaddirer = (*attachmentsDir)(nil)
	_ gofs.NodeLookuper  = (*attachmentsDir)(nil)
)

func (d *attachmentsDir) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	d.root.fillDirAttr(d.ino, &out.Attr)
	return 0
}

// entries names the attachments as names.go names objects.
func (d *attachmentsDir) entries(ctx context.Context) ([]string, []wrappers.Attachment, syscall.Errno) {
	d.root.dataMu().Lock()
	anns := d.anns
	d.root.dataMu().Unlock()
	a, err := anns(ctx)
	if err != nil {
		return nil, nil, d.root.fail(err, "list the attachments of %s", d.what)
	}
	if a == nil {
		return nil, nil, 0
	}
	entries := make([]Entry, len(a.Attachments))
	for i, at := range a.Attachments {
		entries[i] = Entry{ID: at.AnnotationID, Type: "File", Name: at.Name}
	}
	return Names(entries), a.Attachments, 0
}

func (d *attachmentsDir) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	names, atts, errno := d.entries(ctx)
	if errno != 0 {
		return nil, errno
	}
	out := make([]fuse.DirEntry, len(names))
	for i, n := range names {
		out[i] = fuse.DirEntry{Name: n, Mode: syscall.S_IFREG, Ino: dataFileIno("attachment", atts[i].AnnotationID)}
	}
	return gofs.NewListDirStream(out), 0
}

func (d *attachmentsDir) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	names, atts, errno := d.entries(ctx)
	if errno != 0 {
		return nil, errno
	}
	for i, n := range names {
		if n != name {
			continue
		}
		at := atts[i]
		var refused error
		if at.Refused {
			refused = gateway.ErrForbidden // the server said so in advance (canDownload false)
		}
		sf := &streamedFile{root: d.root, ino: dataFileIno("attachment", at.AnnotationID), size: at.Size,
			key: "attachment-" + strconv.FormatInt(at.AnnotationID, 10), what: "attachment " + strconv.Quote(at.Name) + " of " + d.what,
			refused: refused, mutable: true,
			open: func(ctx context.Context) (io.ReadCloser, int64, error) {
				return d.root.client.OpenAttachment(ctx, at.AnnotationID)
			}}
		ch := d.NewInode(ctx, sf, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: sf.ino})
		if existing, ok := ch.Operations().(*streamedFile); ok {
			if existing != sf {
				existing.mu.Lock()
				existing.size, existing.refused, existing.open = sf.size, sf.refused, sf.open
				existing.mu.Unlock()
			}
			existing.fillAttr(&out.Attr)
		}
		return ch, 0
	}
	return nil, syscall.ENOENT
}

// streamedFile is an original file or an attachment.
type streamedFile struct {
	gofs.Inode
	readOnly

	root    *Root
	ino     uint64
	key     string // in the spool
	what    string
	mutable bool // an attachment may be replaced: re-read after --metadata-ttl

	mu      sync.Mutex
	size    int64
	refused error // why the server will not send it, when known before reading
	open    func(ctx context.Context) (io.ReadCloser, int64, error)
	opened  int // open handles: the last close abandons an unfinished download
}

var (
	_ gofs.NodeGetattrer = (*streamedFile)(nil)
	_ gofs.NodeOpener    = (*streamedFile)(nil)
	_ gofs.NodeReader    = (*streamedFile)(nil)
	_ gofs.NodeReleaser  = (*streamedFile)(nil)
)

func (f *streamedFile) fillAttr(out *fuse.Attr) {
	f.mu.Lock()
	size := f.size
	f.mu.Unlock()
	f.root.fillFileAttr(f.ino, size, f.root.mountTime, out)
}

func (f *streamedFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	f.fillAttr(&out.Attr)
	return 0
}

// Open refuses a file the server will not send: EACCES when it said so in
// advance, EIO (with one log line naming the likely cause) when its
// download failed before the first byte.
func (f *streamedFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&writeFlags != 0 {
		return nil, 0, syscall.EROFS
	}
	f.mu.Lock()
	refused := f.refused
	f.mu.Unlock()
	if refused != nil {
		return nil, 0, f.root.refusal(f.what, refused)
	}
	f.root.openFiles.Add(1)
	f.mu.Lock()
	f.opened++
	f.mu.Unlock()
	flagsOut := uint32(fuse.FOPEN_NOFLUSH)
	if !f.mutable {
		flagsOut |= fuse.FOPEN_KEEP_CACHE
	}
	return &streamHandle{}, flagsOut, 0
}

// streamHandle is one open of a streamed file. It remembers a failed
// download for a moment: the kernel retries a failed read-ahead through
// the same open file at once, and a new download for it would make a
// hanging server cost the reader its timeout twice. A file opened afresh
// starts a new download.
type streamHandle struct {
	mu       sync.Mutex
	err      syscall.Errno
	failedAt time.Time
}

// failTTL is how long a failed download answers the reads of the open file
// that saw it fail.
const failTTL = 2 * time.Second

func (h *streamHandle) failed() syscall.Errno {
	if h == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != 0 && time.Since(h.failedAt) < failTTL {
		return h.err
	}
	return 0
}

func (h *streamHandle) fail(errno syscall.Errno) {
	if h == nil || errno == syscall.EINTR {
		return // the reader gave up: nothing the next read should inherit
	}
	h.mu.Lock()
	h.err, h.failedAt = errno, time.Now()
	h.mu.Unlock()
}

func (f *streamedFile) Release(ctx context.Context, fh gofs.FileHandle) syscall.Errno {
	f.root.openFiles.Add(-1)
	f.mu.Lock()
	f.opened--
	last := f.opened == 0
	f.mu.Unlock()
	if last {
		f.root.data.spool.abandon(f.key)
	}
	return 0
}

func (f *streamedFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off < 0 {
		return nil, syscall.EINVAL
	}
	f.mu.Lock()
	size, open := f.size, f.open
	f.mu.Unlock()
	if off >= size {
		return fuse.ReadResultData(nil), 0
	}
	h, _ := fh.(*streamHandle)
	if errno := h.failed(); errno != 0 {
		return nil, errno
	}
	n, err := f.root.data.spool.readAt(ctx, f.key, size, open, dest[:min(int64(len(dest)), size-off)], off)
	if err != nil {
		var errno syscall.Errno
		if errors.Is(err, errRefusedStart) || errors.Is(err, gateway.ErrForbidden) {
			errno = f.root.refusal(f.what, err)
		} else {
			errno = f.root.fail(err, "read %s", f.what)
		}
		h.fail(errno)
		return nil, errno
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// refusal logs, once per file, why a download is refused, and gives its
// errno: EACCES when the server said so before streaming, else EIO.
func (r *Root) refusal(what string, err error) syscall.Errno {
	_, logged := r.data.warned.LoadOrStore(what, true)
	if errors.Is(err, gateway.ErrForbidden) {
		if !logged {
			r.log.WithError(err).Errorf("%s: the server refuses to send it", what)
		}
		r.stats.countErrno(syscall.EACCES)
		return syscall.EACCES
	}
	if !logged {
		r.log.WithError(err).Errorf("%s: the server failed the download before its first byte; "+
			"the likely cause is its download policy (omero.policy.binary_access, e.g. on the IDR)", what)
	}
	r.stats.countErrno(syscall.EIO)
	return syscall.EIO
}
