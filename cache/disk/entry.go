package disk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// An entry on disk is the object's bytes followed by a fixed trailer:
//
//	magic "omerofs1" | body length (8 bytes, big endian) | SHA-256 of the body
//
// A trailer (not a header) lets a fill stream the body straight to disk and
// lets ReadAt address the body at its own offsets. A reader checks the
// magic, that the file is exactly body length + trailer long, and the
// checksum, so a truncated, torn or flipped entry is never served.
const (
	magic      = "omerofs1"
	trailerLen = len(magic) + 8 + sha256.Size
)

// errCorrupt marks an entry that failed its checks.
var errCorrupt = errors.New("corrupt cache entry")

func trailer(n int64, sum []byte) []byte {
	t := make([]byte, 0, trailerLen)
	t = append(t, magic...)
	t = binary.BigEndian.AppendUint64(t, uint64(n))
	return append(t, sum...)
}

// verify checks the entry in f (fileSize bytes long) and returns its body
// length. With keep it also returns the body, read in the same pass.
func verify(f *os.File, fileSize, want int64, keep bool) (int64, []byte, error) {
	if fileSize < int64(trailerLen) {
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than its trailer", errCorrupt, fileSize)
	}
	body := fileSize - int64(trailerLen)
	t := make([]byte, trailerLen)
	if _, err := f.ReadAt(t, body); err != nil {
		return 0, nil, fmt.Errorf("read trailer: %w", err)
	}
	if string(t[:len(magic)]) != magic {
		return 0, nil, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	if n := int64(binary.BigEndian.Uint64(t[len(magic):])); n != body {
		return 0, nil, fmt.Errorf("%w: trailer says %d bytes, file holds %d", errCorrupt, n, body)
	}
	if want >= 0 && body != want {
		return 0, nil, fmt.Errorf("%w: %d bytes, want %d", errCorrupt, body, want)
	}
	h := sha256.New()
	var buf *bytes.Buffer
	var w io.Writer = h
	if keep {
		buf = bytes.NewBuffer(make([]byte, 0, body))
		w = io.MultiWriter(h, buf)
	}
	if _, err := io.Copy(w, io.NewSectionReader(f, 0, body)); err != nil {
		return 0, nil, fmt.Errorf("read body: %w", err)
	}
	if !bytes.Equal(h.Sum(nil), t[len(magic)+8:]) {
		return 0, nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	if keep {
		return body, buf.Bytes(), nil
	}
	return body, nil, nil
}

// Entry is one object served by the cache: a verified file on disk, or the
// bytes of a fill that could not be stored. It is safe for concurrent
// ReadAt; Close releases the file.
type Entry struct {
	f    *os.File
	mem  []byte
	size int64
}

// Size is the object's length in bytes.
func (e *Entry) Size() int64 { return e.size }

// OnDisk reports whether the entry is served from the cache directory.
func (e *Entry) OnDisk() bool { return e.f != nil }

// ReadAt reads the object's bytes at off, as io.ReaderAt.
func (e *Entry) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at negative offset %d", off)
	}
	if off >= e.size {
		return 0, io.EOF
	}
	short := false
	if rest := e.size - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	var n int
	var err error
	if e.f != nil {
		n, err = e.f.ReadAt(p, off)
	} else {
		n = copy(p, e.mem[off:])
	}
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// Bytes returns the whole object. For an entry in memory it is the shared
// slice, which must not be modified.
func (e *Entry) Bytes() ([]byte, error) {
	if e.f == nil {
		return e.mem, nil
	}
	b := make([]byte, e.size)
	if _, err := e.f.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && e.size == 0) {
		return nil, fmt.Errorf("read cache entry: %w", err)
	}
	return b, nil
}

// Close releases the entry's file.
func (e *Entry) Close() error {
	if e.f == nil {
		return nil
	}
	return e.f.Close()
}
