package gateway

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/omerofs/omerofs/testserver"
)

// A server that falls silent, before the headers or in the middle of a
// file, ends a download with a timeout after Config.Timeout: never with
// context.Canceled, which the mount reads as the caller giving up (EINTR).
func TestDownloadSilenceIsATimeout(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	const timeout = 500 * time.Millisecond
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Timeout: timeout})
	ctx := context.Background()
	fileID := ts.Data().FilesOf(ts.Data().ImageNamed(t, "mitosis_01.dv"))[0].ID

	ts.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.Latency, Delay: time.Minute, Count: 1})
	start := time.Now()
	_, err := c.OpenOriginalFile(ctx, fileID)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("no headers: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*timeout {
		t.Errorf("no headers: failed after %v", d)
	}

	ts.SetFault(testserver.Fault{Match: "download_original_file", Kind: testserver.StallMidBody, Count: 1})
	d, err := c.OpenOriginalFile(ctx, fileID)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n, err := io.Copy(io.Discard, d)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || n == 0 || n >= d.Size {
		t.Errorf("silent mid-file: %d of %d bytes, %v; want some bytes, then a timeout", n, d.Size, err)
	}
	// The next download is whole.
	d2, err := c.OpenOriginalFile(ctx, fileID)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if n, err := io.Copy(io.Discard, d2); err != nil || n != d2.Size {
		t.Errorf("after the faults: %d of %d bytes, %v", n, d2.Size, err)
	}
}

// original_file_paths answers {} for an image without a fileset; an
// object of another shape is a bad response, not "no files".
func TestOriginalFilePathsOfAnotherShape(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	img := ts.Data().ImageNamed(t, "mitosis_01.dv")
	ts.SetFault(testserver.Fault{Match: "original_file_paths", Kind: testserver.WrongShapeJSON, Count: 1})
	if p, err := c.OriginalFilePaths(context.Background(), img); !errors.Is(err, ErrBadResponse) {
		t.Errorf("wrong shape: %+v, %v; want a bad response", p, err)
	}
	if p, err := c.OriginalFilePaths(context.Background(), img); err != nil || p.FilesetID == 0 || len(p.Repo) != 1 {
		t.Errorf("after the fault: %+v, %v", p, err)
	}
}
