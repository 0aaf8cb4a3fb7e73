package raw

import (
	"context"

	"github.com/omerofs/omerofs/gateway"
)

// pixelBufferRows fetches rows [y0, y0+h) of a plane from the pixel-buffer
// service in regions of at most MaxPlane² pixels (it refuses larger ones),
// as wide as MaxPlane at most.
func (p *Pixels) pixelBufferRows(ctx context.Context, z, c, t, y0, h int) ([]byte, error) {
	out := make([]byte, h*p.im.SizeX*p.im.Type.Bytes())
	return out, p.pixelBufferRegion(ctx, -1, z, c, t, 0, y0, p.im.SizeX, h, out)
}

// pixelBufferRegion fetches a w × h region at an engine resolution (-1 =
// full size) into buf, in pieces of at most MaxPlane² pixels.
func (p *Pixels) pixelBufferRegion(ctx context.Context, resolution, z, c, t, x0, y0, w, h int, buf []byte) error {
	im := p.im
	bpp := im.Type.Bytes()
	tileW := min(w, MaxPlane)
	tileH := max(1, min(h, MaxPlane*MaxPlane/tileW))
	for ty := y0; ty < y0+h; ty += tileH {
		rh := min(tileH, y0+h-ty)
		for tx := x0; tx < x0+w; tx += tileW {
			rw := min(tileW, x0+w-tx)
			data, err := p.routes.conn.PixelBufferTile(ctx, p.routes.pixelBuffer, gateway.TileRequest{
				ImageID: im.ID, Z: z, C: c, T: t, X: tx, Y: ty, W: rw, H: rh, Resolution: resolution, BytesPerPixel: bpp})
			if err != nil {
				return err
			}
			for r := 0; r < rh; r++ {
				copy(buf[((ty-y0+r)*w+tx-x0)*bpp:], data[r*rw*bpp:(r+1)*rw*bpp])
			}
		}
	}
	return nil
}
