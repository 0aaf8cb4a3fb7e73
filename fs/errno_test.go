package fs

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

// TestFailuresAreCounted: every node operation that fails on a server
// error goes through the one error exit, so omerofs_errors_total counts it
// once, and the log names it once: a getxattr that needs the server (the
// channel labels) and a read.
func TestFailuresAreCounted(t *testing.T) {
	m, logs := faultMount(t, mountConfig{})
	if _, err := readDirNames(t, m, mitosisDir); err != nil {
		t.Fatal(err)
	}
	id := objectID(t, m, histologyPNG)
	eio := func() int64 { return m.root.Stats().Errnos()["EIO"] }

	// A listing carries no channels: getxattr asks for the image itself.
	m.server.SetFault(testserver.Fault{Match: fmt.Sprintf("/api/v0/m/images/%d/", id), Kind: testserver.Status, Status: 500})
	before := eio()
	_, err := within(t, opBound, "getxattr", func() (int, error) {
		return syscall.Getxattr(m.path(histologyPNG), "user.omero.channels", make([]byte, 256))
	})
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("getxattr user.omero.channels under HTTP 500: %v, want EIO", err)
	}
	if n := eio() - before; n != 1 {
		t.Errorf("a failed getxattr counted %d EIO errors, want 1", n)
	}
	checkOneLogLine(t, logs, "getxattr user.omero.channels of image "+fmt.Sprint(id))
	m.server.ClearFaults()

	m.server.SetFault(testserver.Fault{Match: fmt.Sprintf("/webgateway/render_image/%d/", id), Kind: testserver.Status, Status: 500})
	before = eio()
	data, err := readFile(t, m, histologyPNG)
	checkFailed(t, "read "+histologyPNG, data, err, syscall.EIO)
	if n := eio() - before; n < 1 {
		t.Errorf("a failed read counted %d EIO errors, want at least 1", n)
	}
	checkOneLogLine(t, logs, fmt.Sprintf("render image %d ", id))
}
