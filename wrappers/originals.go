package wrappers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/omerofs/omerofs/gateway"
)

// OriginalFile is one file of an image's fileset as the data view shows it.
type OriginalFile struct {
	ID   int64
	Path string // below the fileset's common folder, "/"-separated: "slide.mrxs", "slide/Data0000.dat"
	// Size is exact. When the server refused to start the download (the
	// policy omero.policy.binary_access, or a server error: OMERO.web
	// answers both with a 500), Size is 0 and SizeErr says why.
	Size    int64
	SizeErr error
}

// Fileset is the original files of one import, shared by its images.
type Fileset struct {
	ID    int64
	Files []OriginalFile
}

// filesets caches filesets by id: original files never change after
// import, and the images of one import (a plate) share them.
type filesets struct {
	mu sync.Mutex
	m  map[int64]*Fileset
}

const maxCachedFilesets = 4096

func (f *filesets) get(id int64) *Fileset {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[id]
}

func (f *filesets) put(fs *Fileset) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil || len(f.m) >= maxCachedFilesets {
		f.m = map[int64]*Fileset{}
	}
	f.m[fs.ID] = fs
}

// sizeProbes bounds the concurrent size requests of one fileset.
const sizeProbes = 4

// OriginalFiles lists the original files of an image's fileset: paths from
// original_file_paths, ids from download_placeholder's links (matched by
// name), exact sizes from each download's Content-Length. An image without
// a fileset has none; a server without these routes (an old OMERO.web)
// has none either, with one warning for the mount.
func (c *Client) OriginalFiles(ctx context.Context, imageID int64) (*Fileset, error) {
	paths, err := c.conn.OriginalFilePaths(ctx, imageID)
	if errors.Is(err, gateway.ErrNotFound) {
		c.warnMissing("webgateway/original_file_paths", err)
		return &Fileset{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("original files of image %d: %w", imageID, err)
	}
	if paths.FilesetID == 0 {
		return &Fileset{}, nil
	}
	if fs := c.filesets.get(paths.FilesetID); fs != nil {
		return fs, nil
	}
	links, err := c.conn.DownloadPlaceholder(ctx, imageID)
	if errors.Is(err, gateway.ErrNotFound) {
		c.warnMissing("webclient/download_placeholder", err)
		return &Fileset{ID: paths.FilesetID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("original files of image %d: %w", imageID, err)
	}
	fs := &Fileset{ID: paths.FilesetID, Files: matchFiles(paths.Repo, links)}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(sizeProbes)
	for i := range fs.Files {
		f := &fs.Files[i]
		g.Go(func() error {
			size, err := c.conn.OriginalFileSize(gctx, f.ID)
			switch {
			case err == nil:
				f.Size = size
			case errors.Is(err, gateway.ErrServer), errors.Is(err, gateway.ErrForbidden):
				f.SizeErr = err // listed, but reading it fails
			default:
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("sizes of the original files of image %d: %w", imageID, err)
	}
	if len(fs.Files) == 1 && errors.Is(fs.Files[0].SizeErr, gateway.ErrServer) {
		// The server may say in advance that its policy refuses this
		// (archived_files, for an image in a well or in no dataset). With
		// one file that route streams it rather than building a ZIP.
		if err := c.conn.ArchivedFileRefused(ctx, imageID); errors.Is(err, gateway.ErrForbidden) {
			fs.Files[0].SizeErr = err
		}
	}
	for _, f := range fs.Files {
		if f.SizeErr != nil {
			return fs, nil // not cached: a refusal may be lifted, a server error pass
		}
	}
	c.filesets.put(fs)
	return fs, nil
}

// matchFiles pairs the repository paths with the download links. Both
// come from queries without an order, so they are matched by file name
// (in order among equal names); the common folder of the paths is cut
// off, keeping a multi-file layout. A link without a path is kept under
// its name.
func matchFiles(repo []string, links []gateway.FileLink) []OriginalFile {
	common := commonFolder(repo)
	used := make([]bool, len(links))
	var out []OriginalFile
	taken := map[string]bool{}
	for _, p := range repo {
		base := path.Base(p)
		for i, l := range links {
			if !used[i] && (l.Name == base || l.Name == strings.TrimSpace(base)) {
				used[i] = true
				rel := strings.TrimPrefix(p, common)
				out = append(out, OriginalFile{ID: l.ID, Path: rel})
				taken[rel] = true
				break
			}
		}
	}
	for i, l := range links {
		if !used[i] && !taken[l.Name] && l.Name != "" {
			out = append(out, OriginalFile{ID: l.ID, Path: l.Name})
			taken[l.Name] = true
		}
	}
	return out
}

// commonFolder is the longest folder prefix (ending in "/") of all paths.
func commonFolder(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	prefix := paths[0][:strings.LastIndex(paths[0], "/")+1]
	for _, p := range paths[1:] {
		for !strings.HasPrefix(p, prefix) {
			prefix = strings.TrimSuffix(prefix, "/")
			prefix = prefix[:strings.LastIndex(prefix, "/")+1]
		}
	}
	return prefix
}

// OpenOriginalFile streams an original file.
func (c *Client) OpenOriginalFile(ctx context.Context, fileID int64) (io.ReadCloser, int64, error) {
	d, err := c.conn.OpenOriginalFile(ctx, fileID)
	if err != nil {
		return nil, 0, err
	}
	return d, d.Size, nil
}

// OpenAttachment streams a file annotation's bytes.
func (c *Client) OpenAttachment(ctx context.Context, annID int64) (io.ReadCloser, int64, error) {
	d, err := c.conn.OpenAnnotationFile(ctx, annID)
	if err != nil {
		return nil, 0, err
	}
	return d, d.Size, nil
}
