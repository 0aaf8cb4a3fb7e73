package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Original files (docs/omero-web.md, "Original files and annotations"):
// which files an image was imported from (original_file_paths: paths;
// download_placeholder: ids), and their bytes streamed from
// download_original_file. archived_files is never used: for several files
// it builds a whole ZIP on the server before the first byte.

// FilesetPaths is original_file_paths: the fileset's files as stored in the
// managed repository ("repo") and on the importing machine ("client").
// FilesetID is 0 for an image imported before filesets (no files).
type FilesetPaths struct {
	Repo      []string
	Client    []string
	FilesetID int64
}

// OriginalFilePaths gets the paths of the files of an image's fileset.
func (c *Conn) OriginalFilePaths(ctx context.Context, imageID int64) (*FilesetPaths, error) {
	path := "webgateway/original_file_paths/" + id(imageID) + "/"
	body, err := c.getJSON(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("original file paths of image %d: %w", imageID, err)
	}
	var raw struct {
		Repo    []string `json:"repo"`
		Client  []string `json:"client"`
		Fileset *struct {
			ID int64 `json:"id"`
		} `json:"fileset"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badResponse(path, "original file paths", err)
	}
	// {} is an image without a fileset; any other object must be the
	// paths, or an answer of another shape would read as "no files".
	var keys map[string]json.RawMessage
	json.Unmarshal(body, &keys)
	if _, ok := keys["repo"]; len(keys) > 0 && !ok {
		return nil, badResponse(path, "original file paths without \"repo\"", nil)
	}
	p := &FilesetPaths{Repo: raw.Repo, Client: raw.Client}
	if raw.Fileset != nil {
		p.FilesetID = raw.Fileset.ID
	}
	if p.FilesetID == 0 && len(p.Repo) > 0 {
		return nil, badResponse(path, "paths without a fileset", nil)
	}
	return p, nil
}

// FileLink is one file of download_placeholder's page: its id and name
// (no folder) and Django's rounded size text ("302.7 KB"), never exact.
type FileLink struct {
	ID        int64
	Name      string
	HumanSize string
}

// placeholderLink matches one file's link: the id in the href, then the
// name, then the size in the span after it.
var placeholderLink = regexp.MustCompile(`(?s)<a href="[^"]*/download_original_file/(\d+)/">\s*<div>(.*?)<span[^>]*>(.*?)</span>`)

// DownloadPlaceholder gets the ids and names of the files of an image's
// fileset from webclient's download page.
func (c *Conn) DownloadPlaceholder(ctx context.Context, imageID int64) ([]FileLink, error) {
	path := "webclient/download_placeholder/"
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: map[string][]string{"ids": {"image-" + id(imageID)}}})
	if err != nil {
		return nil, fmt.Errorf("download page of image %d: %w", imageID, err)
	}
	return parsePlaceholder(resp.body), nil
}

func parsePlaceholder(page []byte) []FileLink {
	var out []FileLink
	for _, m := range placeholderLink.FindAllSubmatch(page, -1) {
		n, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil {
			continue
		}
		// The template indents the name; a name's own edge spaces are lost.
		name := html.UnescapeString(strings.TrimSpace(string(m[2])))
		size := strings.ReplaceAll(html.UnescapeString(strings.TrimSpace(string(m[3]))), "\u00a0", " ")
		out = append(out, FileLink{ID: n, Name: name, HumanSize: size})
	}
	return out
}

// Download is a file being streamed from the server. Reads fail when the
// server stops sending for longer than the request timeout, or sends fewer
// bytes than it announced.
type Download struct {
	Size int64 // Content-Length; -1 when the server sent none

	body  io.ReadCloser
	red   string
	idle  *time.Timer
	limit time.Duration
	n     int64
	once  sync.Once
	done  func()
	// stalled says whether the idle timer stopped the download.
	stalled func() error
}

// Read reads the next bytes of the file.
func (d *Download) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	d.n += int64(n)
	d.idle.Reset(d.limit)
	if err == io.EOF && d.Size >= 0 && d.n < d.Size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		if serr := d.stalled(); serr != nil {
			err = fmt.Errorf("%s: after %d of %d bytes: %w", d.red, d.n, d.Size, serr)
		} else {
			err = fmt.Errorf("%s: after %d of %d bytes: %v: %w", d.red, d.n, d.Size, err, errTransport)
		}
	}
	return n, err
}

// Close ends the download (early, if the file was not read to its end: the
// connection is closed, which stops the server's stream).
func (d *Download) Close() error {
	d.once.Do(d.done)
	return nil
}

// OpenOriginalFile starts streaming an original file.
func (c *Conn) OpenOriginalFile(ctx context.Context, fileID int64) (*Download, error) {
	d, err := c.openStream(ctx, "webclient/download_original_file/"+id(fileID)+"/")
	if err != nil {
		return nil, fmt.Errorf("original file %d: %w", fileID, err)
	}
	return d, nil
}

// OriginalFileSize is an original file's exact size: the Content-Length of
// a GET whose connection is closed after the headers. (A HEAD would make
// the server read the whole file: gunicorn runs the streaming view to its
// end and drops the bytes.)
func (c *Conn) OriginalFileSize(ctx context.Context, fileID int64) (int64, error) {
	d, err := c.OpenOriginalFile(ctx, fileID)
	if err != nil {
		return 0, err
	}
	d.Close()
	if d.Size < 0 {
		return 0, badResponse("webclient/download_original_file/"+id(fileID)+"/", "no Content-Length", nil)
	}
	return d.Size, nil
}

// ArchivedFileRefused asks archived_files whether the server's download
// policy refuses an image's file, which it checks before streaming for an
// image in a well or in no dataset (404). Call it only for an image whose
// fileset has one file: for several, the route builds a ZIP of them all.
// The answer's body is never read. A 404 gives ErrForbidden; a refusal it
// does not check in advance, or none, gives nil.
func (c *Conn) ArchivedFileRefused(ctx context.Context, imageID int64) error {
	d, err := c.openStream(ctx, "webgateway/archived_files/download/"+id(imageID)+"/")
	switch {
	case err == nil:
		d.Close()
		return nil
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("archived files of image %d: the server's download policy refuses them: %w", imageID, ErrForbidden)
	case errors.Is(err, ErrServer):
		return nil // not checked in advance: the download's own 500 stands
	}
	return err
}

// OpenAnnotationFile starts streaming a file attachment's bytes.
func (c *Conn) OpenAnnotationFile(ctx context.Context, annID int64) (*Download, error) {
	d, err := c.openStream(ctx, "webclient/annotation/"+id(annID)+"/")
	if err != nil {
		return nil, fmt.Errorf("file annotation %d: %w", annID, err)
	}
	return d, nil
}

// openStream GETs path and returns its body unread, with the policies of
// do: an expired session is renewed once. A failure before the body is
// not retried: a download the server's policy refuses is a 500 too, and
// asking twice only doubles the load.
func (c *Conn) openStream(ctx context.Context, path string) (*Download, error) {
	c.mu.Lock()
	gen, closed := c.gen, c.closed
	c.mu.Unlock()
	if closed {
		return nil, errors.New("connection closed")
	}
	d, err := c.openOnce(ctx, path)
	if errors.Is(err, ErrNotLoggedIn) {
		if lerr := c.relogin(ctx, gen); lerr != nil {
			return nil, fmt.Errorf("%w (renewing the session failed: %v)", err, lerr)
		}
		d, err = c.openOnce(ctx, path)
	}
	return d, err
}

func (c *Conn) openOnce(ctx context.Context, path string) (*Download, error) {
	u := c.root.ResolveReference(&url.URL{Path: path})
	red := c.redact(u)
	bg := IsBackground(ctx)
	if err := c.slots.acquire(ctx, bg); err != nil {
		return nil, fmt.Errorf("%s: %w", red, err)
	}
	// One slot of --max-requests while the headers come; the body then
	// streams outside it, so a slow reader holds no slot.
	// The timer bounds the wait for the headers, then each wait for more bytes.
	// It cancels with its own cause, so that a server's silence reads as
	// a timeout (EIO), never as the caller giving up (EINTR).
	stalled := fmt.Errorf("the server sent nothing for %v: %w", c.cfg.Timeout, context.DeadlineExceeded)
	sctx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil) }
	idle := time.AfterFunc(c.cfg.Timeout, func() { cancelCause(stalled) })
	fail := func(err error) (*Download, error) {
		idle.Stop()
		cancel()
		return nil, err
	}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, u.String(), nil)
	if err != nil {
		c.slots.release(bg)
		return fail(fmt.Errorf("%s: %w", red, err))
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	start := time.Now()
	c.bump(func(s *Stats) { s.Requests++ })
	resp, err := c.client.Do(req)
	c.slots.release(bg)
	if err != nil {
		c.countRequest(path, "error")
		if ctx.Err() != nil {
			return fail(fmt.Errorf("%s: %w", red, ctx.Err()))
		}
		if context.Cause(sctx) == stalled {
			return fail(fmt.Errorf("%s: %w", red, stalled))
		}
		return fail(c.transportError(sctx, red, err))
	}
	c.countRequest(path, strconv.Itoa(resp.StatusCode))
	c.log.WithFields(logrus.Fields{"method": "GET", "url": red, "status": resp.StatusCode, "took": time.Since(start).Round(time.Microsecond)}).Debug("request")
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return fail(classify(resp.StatusCode, body, resp.Header.Get("Location"), red))
	}
	return &Download{Size: resp.ContentLength, body: resp.Body, red: red, idle: idle, limit: c.cfg.Timeout,
		stalled: func() error {
			if context.Cause(sctx) == stalled {
				return stalled
			}
			return nil
		},
		done: func() { idle.Stop(); cancel(); resp.Body.Close() }}, nil
}
