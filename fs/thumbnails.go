package fs

import (
	"context"
	"path/filepath"

	"github.com/omerofs/omerofs/fs/thumbnails"
	"github.com/omerofs/omerofs/wrappers"
)

// startThumbnails starts the thumbnail writer (package thumbnails) when
// Options ask for one; ctx is the mount's life. Without a usable cache
// folder the mount goes on without thumbnails.
func (r *Root) startThumbnails(ctx context.Context) {
	if r.opts.ThumbnailDir == "" || r.opts.Mountpoint == "" {
		return
	}
	w, err := thumbnails.New(ctx, thumbnails.Options{
		CacheDir:   r.opts.ThumbnailDir,
		Mountpoint: r.opts.Mountpoint,
		Source:     r.client,
		Timeout:    r.opts.RenderTimeout,
		Logger:     r.log,
	})
	if err != nil {
		r.log.WithError(err).Warn("no thumbnails")
		return
	}
	r.thumbs = w
}

// folderThumbnails has the thumbnails of a listed folder's images written;
// dirPath is the folder's path in the mount.
func (r *Root) folderThumbnails(dirPath string, l *listing) {
	if r.thumbs == nil {
		return
	}
	var ims []thumbnails.Image
	for i, name := range l.names {
		img, ok := l.objs[i].(wrappers.ImageObject)
		if !ok {
			continue
		}
		mtime := img.AcquisitionDate()
		if mtime.IsZero() {
			mtime = r.mountTime // as fillAttr shows it
		}
		ims = append(ims, thumbnails.Image{Path: filepath.Join(dirPath, name), ID: img.ID(), MTime: mtime})
	}
	r.thumbs.Folder(ims)
}
