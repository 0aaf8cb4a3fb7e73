package fs

import (
	"context"
	"fmt"
	"io"

	"github.com/omerofs/omerofs/cache/disk"
	"github.com/omerofs/omerofs/render"
	"github.com/omerofs/omerofs/wrappers"
)

// renderCached fills the image cache on a miss: from the disk cache when
// it holds this image's file for its current rendering settings, else by a
// render that is stored there on the way.
//
// The settings come from imgData, one cheap request, before the disk cache
// is looked at: so changed settings are never served stale, and only an
// image the server lets this session read is ever served from an entry
// another mount (another user) may have written.
func (r *Root) renderCached(ctx context.Context, img wrappers.ImageObject, w, h int) ([]byte, error) {
	dc := r.opts.DiskCache
	if !dc.Enabled() {
		return render.RenderPNG(ctx, img, w, h)
	}
	eng, err := img.OpenRenderingEngine(ctx)
	if err != nil {
		return nil, fmt.Errorf("open rendering engine of image %d: %w", img.ID(), err)
	}
	defer eng.Close()
	sk := settingsKey(eng.Info())
	if eng.Local() {
		sk += " local" // rendered here from raw pixels (data_raw.go): other bytes than the server's JPEG
	}
	key := disk.RenderKey(r.opts.CacheNamespace, img.ID(), sk, w, h)
	return dc.Bytes(ctx, key, render.PNGSize(w, h), func(ctx context.Context, out io.Writer) error {
		// The disk cache runs its fill on a context of its own: bound it again.
		ctx, cancel := context.WithTimeout(ctx, r.opts.RenderTimeout)
		defer cancel()
		data, err := render.RenderPNG(ctx, openedImage{img, eng}, w, h)
		if err != nil {
			return err
		}
		_, err = out.Write(data)
		return err
	})
}

// settingsKey is everything of an engine's state that its rendering
// depends on; renderVersion changes when our own rendering (resize, PNG)
// does.
func settingsKey(info *render.ImageInfo) string {
	return fmt.Sprintf("%s %+v tiled=%v", renderVersion, info.Settings, info.Tiled)
}

const renderVersion = "render-v1"

// openedImage is an image whose rendering engine is already open (its
// settings read to make the disk cache's key): the render uses that one.
type openedImage struct {
	wrappers.ImageObject
	eng *render.Engine
}

func (o openedImage) OpenRenderingEngine(ctx context.Context) (*render.Engine, error) {
	return o.eng, nil
}
