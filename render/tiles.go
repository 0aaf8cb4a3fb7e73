package render

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// Big (pyramid) images are never rendered whole: the server refuses planes
// that large. The engine picks the smallest pyramid level that still has at
// least the wanted pixels, fetches that level's tiles through
// render_image_region (?tile=level,col,row,w,h — level 0 is the full
// resolution, as in imgData's zoomLevelScaling; see docs/rendering.md),
// assembles them and resizes.

// maxLevelPixels bounds the level that is assembled in memory.
const maxLevelPixels = 64 << 20

// tileConcurrency bounds the tile requests of one render.
const tileConcurrency = 4

// levelSizes returns each pyramid level's size, index 0 the full size.
func levelSizes(info *ImageInfo) []Size {
	if len(info.Resolutions) > 0 {
		return info.Resolutions
	}
	sizes := []Size{{info.SizeX, info.SizeY}}
	for l := 1; l < info.Levels; l++ {
		s, ok := info.ZoomLevelScaling[l]
		if !ok || s <= 0 || s > 1 {
			break
		}
		sizes = append(sizes, Size{
			atLeast1(int(math.Round(float64(info.SizeX) * s))),
			atLeast1(int(math.Round(float64(info.SizeY) * s))),
		})
	}
	return sizes
}

// pickLevel returns the smallest level at least w × h (else the full size).
func pickLevel(sizes []Size, w, h int) int {
	best := 0
	for l, s := range sizes {
		if s.Width >= w && s.Height >= h && s.Width*s.Height <= sizes[best].Width*sizes[best].Height {
			best = l
		}
	}
	return best
}

func renderTiled(ctx context.Context, src Source, info *ImageInfo, q url.Values, w, h int) (*Image, error) {
	sizes := levelSizes(info)
	level := pickLevel(sizes, w, h)
	lw, lh := sizes[level].Width, sizes[level].Height
	if int64(lw)*int64(lh) > maxLevelPixels {
		return nil, fmt.Errorf("pyramid level %d is %d×%d: no level small enough to render at %d×%d", level, lw, lh, w, h)
	}
	tw, th := info.TileWidth, info.TileHeight
	if tw <= 0 || th <= 0 {
		tw, th = 256, 256
	}
	canvas := NewImage(lw, lh)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(tileConcurrency)
	for row := 0; row*th < lh; row++ {
		for col := 0; col*tw < lw; col++ {
			g.Go(func() error {
				tq := url.Values{}
				for k, v := range q {
					tq[k] = v
				}
				tq.Set("tile", strconv.Itoa(level)+","+strconv.Itoa(col)+","+strconv.Itoa(row)+","+strconv.Itoa(tw)+","+strconv.Itoa(th))
				data, err := src.RenderRegion(gctx, info.ID, info.Settings.Z, info.Settings.T, tq)
				if err != nil {
					return fmt.Errorf("tile %d,%d of level %d: %w", col, row, level, err)
				}
				tile, err := decodeJPEG(data)
				if err != nil {
					return fmt.Errorf("tile %d,%d of level %d: %w", col, row, level, err)
				}
				wantW, wantH := min(tw, lw-col*tw), min(th, lh-row*th)
				if tile.Width != wantW || tile.Height != wantH {
					return fmt.Errorf("%w: tile %d,%d of level %d is %d×%d, want %d×%d", ErrBadImage, col, row, level, tile.Width, tile.Height, wantW, wantH)
				}
				for y := 0; y < tile.Height; y++ {
					copy(canvas.Pix[((row*th+y)*lw+col*tw)*3:], tile.Pix[y*tile.Width*3:(y+1)*tile.Width*3])
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return canvas, nil
}
