package raw

import (
	"context"

	"github.com/omerofs/omerofs/gateway"
)

// pixelBufferRows fetches rows [y0, y0+h) of a plane from the pixel-buffer
// service in regions of at most MaxPlane² pixels (it refuses larger ones),
// as wide as MaxPlane at most.
func (p *Pixels) pixelBufferRows(ctx context.Context, z, c, t, y0, h int) ([]byte, error) {
	im := p.im
	bpp := im.Type.Bytes()
	rowBytes := im.SizeX * bpp
	out := make([]byte, h*rowBytes)
	tileW := min(im.SizeX, MaxPlane)
	tileH := max(1, min(h, MaxPlane*MaxPlane/tileW))
	for ty := y0; ty < y0+h; ty += tileH {
		rh := min(tileH, y0+h-ty)
		for tx := 0; tx < im.SizeX; tx += tileW {
			rw := min(tileW, im.SizeX-tx)
			data, err := p.routes.conn.PixelBufferTile(ctx, p.routes.pixelBuffer, gateway.TileRequest{
				ImageID: im.ID, Z: z, C: c, T: t, X: tx, Y: ty, W: rw, H: rh, Resolution: -1, BytesPerPixel: bpp})
			if err != nil {
				return nil, err
			}
			for r := 0; r < rh; r++ {
				copy(out[(ty-y0+r)*rowBytes+tx*bpp:], data[r*rw*bpp:(r+1)*rw*bpp])
			}
		}
	}
	return out, nil
}
