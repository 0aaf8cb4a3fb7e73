package render

import (
	"context"
	"errors"
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
// resolution, as in imgData's zoomLevelScaling; see docs/rendering.md) one
// row of tiles at a time, and resizes each band as it comes, so that even a
// level of 100 Mpx (4× pyramid steps give such levels) never sits whole in
// memory.
//
// What real servers do that this must bear (docs/omero-web.md):
//   - A requested tile side above omero.pixeldata.max_tile_length (1024 by
//     default) is cut to it, and tile (col, row) is then placed at col × the
//     cut side. imgData's tile_size is the pyramid's native tile, often 2048.
//     So the engine asks for at most maxTileRequest and, should the server
//     cut even that, takes the size of the first tile it gets as the grid.
//   - Before OMERO.web 5.31 imgData gives only zoomLevelScaling (the width
//     ratio), from which a level's height can be one pixel off. The edge
//     tiles then come one pixel short or long (or, for a one-pixel last row
//     or column, not at all): the engine pads or crops that pixel.

// maxTileRequest is the longest tile side asked for: the default
// omero.pixeldata.max_tile_length.
const maxTileRequest = 1024

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

// tiler fetches the tiles of one level.
type tiler struct {
	src    Source
	info   *ImageInfo
	q      url.Values
	level  int
	lw, lh int // the level's size as imgData gives it (maybe one pixel off)
	tw, th int // the tile size asked for
}

// fetch gets tile (col, row) of size tw × th. When the server has no such
// tile (404: its origin is past the level's real edge) and mayMiss, it
// returns nil without error.
func (t *tiler) fetch(ctx context.Context, col, row int, mayMiss bool) (*Image, error) {
	tq := url.Values{}
	for k, v := range t.q {
		tq[k] = v
	}
	tq.Set("tile", strconv.Itoa(t.level)+","+strconv.Itoa(col)+","+strconv.Itoa(row)+","+strconv.Itoa(t.tw)+","+strconv.Itoa(t.th))
	data, err := t.src.RenderRegion(ctx, t.info.ID, t.info.Settings.Z, t.info.Settings.T, tq)
	if err != nil {
		if mayMiss && errors.Is(err, ErrNoTile) {
			return nil, nil
		}
		return nil, fmt.Errorf("tile %d,%d of level %d: %w", col, row, t.level, err)
	}
	tile, err := decodeJPEG(data)
	if err != nil {
		return nil, fmt.Errorf("tile %d,%d of level %d: %w", col, row, t.level, err)
	}
	return tile, nil
}

// ErrNoTile is what a Source's RenderRegion wraps when the server answers
// that a tile does not exist (404).
var ErrNoTile = errors.New("no such tile")

func renderTiled(ctx context.Context, src Source, info *ImageInfo, q url.Values, w, h int) (*Image, error) {
	sizes := levelSizes(info)
	level := pickLevel(sizes, w, h)
	t := &tiler{src: src, info: info, q: q, level: level, lw: sizes[level].Width, lh: sizes[level].Height}
	t.tw, t.th = info.TileWidth, info.TileHeight
	if t.tw <= 0 || t.th <= 0 {
		t.tw, t.th = maxTileRequest, maxTileRequest
	}
	t.tw, t.th = min(t.tw, maxTileRequest), min(t.th, maxTileRequest)

	first, err := t.fetch(ctx, 0, 0, false)
	if err != nil {
		return nil, err
	}
	// A tile narrower than asked, yet not the whole level's width (give or
	// take the pixel zoomLevelScaling may be off by), was cut by the server:
	// its size is the grid. Tile 0,0 stays valid: it starts at 0,0.
	if first.Width < t.tw && first.Width < t.lw-1 {
		t.tw = first.Width
	}
	if first.Height < t.th && first.Height < t.lh-1 {
		t.th = first.Height
	}
	cols, rows := (t.lw+t.tw-1)/t.tw, (t.lh+t.th-1)/t.th
	rz := newBandResizer(t.lw, t.lh, w, h)
	var prev *Image // the previous band, for a missing one-pixel last row
	// Rows of tiles are fetched a group at a time: as many rows as keep
	// tileConcurrency requests busy when a row has fewer tiles than that.
	group := max(1, tileConcurrency/cols)
	for row0 := 0; row0 < rows; row0 += group {
		n := min(group, rows-row0)
		tiles := make([][]*Image, n)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(tileConcurrency)
		for r := range tiles {
			tiles[r] = make([]*Image, cols)
			row := row0 + r
			for col := 0; col < cols; col++ {
				if row == 0 && col == 0 {
					tiles[0][0] = first
					continue
				}
				g.Go(func() error {
					tile, err := t.fetch(gctx, col, row, col == cols-1 || row == rows-1)
					tiles[r][col] = tile
					return err
				})
			}
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for r, rowTiles := range tiles {
			row := row0 + r
			band := NewImage(t.lw, min(t.th, t.lh-row*t.th))
			for col, tile := range rowTiles {
				if err := t.place(band, prev, tile, col, row); err != nil {
					return nil, err
				}
			}
			rz.addRows(band)
			prev = band
		}
	}
	img, ok := rz.result()
	if !ok {
		return nil, fmt.Errorf("render image %d: level %d resized incompletely", info.ID, level)
	}
	return img, nil
}

// place copies tile (col, row) into its band, padding or cropping the one
// pixel by which an edge tile may differ from the level size imgData gave.
func (t *tiler) place(band, prev, tile *Image, col, row int) error {
	x0 := col * t.tw
	ew, eh := min(t.tw, t.lw-x0), band.Height
	lastCol, lastRow := x0+ew == t.lw, row*t.th+eh == t.lh
	if tile == nil {
		// No tile: only a one-pixel last column or row may be missing.
		switch {
		case lastCol && ew == 1 && x0 > 0:
			for y := 0; y < eh; y++ {
				i := (y*t.lw + x0) * 3
				copy(band.Pix[i:i+3], band.Pix[i-3:i])
			}
			return nil
		case lastRow && eh == 1 && prev != nil:
			copy(band.Pix[x0*3:(x0+ew)*3], prev.Pix[((prev.Height-1)*t.lw+x0)*3:])
			return nil
		}
		return fmt.Errorf("%w: tile %d,%d of level %d does not exist", ErrBadImage, col, row, t.level)
	}
	okW := tile.Width == ew || (lastCol && tile.Width >= ew-1 && tile.Width <= min(ew+1, t.tw) && tile.Width > 0)
	okH := tile.Height == eh || (lastRow && tile.Height >= eh-1 && tile.Height <= min(eh+1, t.th) && tile.Height > 0)
	if !okW || !okH {
		return fmt.Errorf("%w: tile %d,%d of level %d is %d×%d, want %d×%d", ErrBadImage, col, row, t.level, tile.Width, tile.Height, ew, eh)
	}
	cw, ch := min(tile.Width, ew), min(tile.Height, eh)
	for y := 0; y < eh; y++ {
		sy := min(y, ch-1) // a row short: repeat the last
		dst := band.Pix[(y*t.lw+x0)*3:]
		copy(dst[:cw*3], tile.Pix[sy*tile.Width*3:(sy*tile.Width+cw)*3])
		for x := cw; x < ew; x++ { // a column short: repeat the last
			copy(dst[x*3:x*3+3], dst[(cw-1)*3:cw*3])
		}
	}
	return nil
}
