package testserver

import (
	"fmt"

	"github.com/omerofs/omerofs/render/tiff"
)

// Raw pixel values as the raw routes (pixel-buffer, omero-web-zarr,
// render_ome_tiff) give them: the synthetic generator (pixels.go) sampled
// at a resolution level, stored in the image's pixel type, big-endian as
// OMERO's pixel buffers are. Every route reads through RawRegion, so they
// agree on every pixel.

// requiresPyramid is omero's Pixels.requiresPixelsPyramid: a plane larger
// than max_plane_width × max_plane_height (3192² by default) is only read
// through a pyramid; render_ome_tiff skips such images.
func requiresPyramid(im *Image) bool {
	return im.Levels > 1 || int64(im.SizeX)*int64(im.SizeY) > maxPlane*maxPlane
}

// RawRegion returns the big-endian raw bytes of a w × h region at (x, y)
// of plane (z, c, t) at pyramid level (0 = full resolution), in the
// image's pixel type. Tests use it as the truth every route must match.
func RawRegion(im Image, level, z, c, t, x, y, w, h int) ([]byte, error) {
	pt, err := tiff.ParsePixelType(im.PixelsType)
	if err != nil {
		return nil, err
	}
	lw, lh := levelSize(&im, level)
	// Sampled as render_image_region samples a level: each axis by its own
	// ratio, since levels are rounded down.
	sx, sy := float64(im.SizeX)/float64(lw), float64(im.SizeY)/float64(lh)
	if level < 0 || level >= max(im.Levels, 1) || z < 0 || z >= im.SizeZ || c < 0 || c >= im.SizeC || t < 0 || t >= im.SizeT ||
		x < 0 || y < 0 || w <= 0 || h <= 0 || x+w > lw || y+h > lh {
		return nil, fmt.Errorf("region %d,%d %d×%d of plane z=%d c=%d t=%d at level %d is outside image %d", x, y, w, h, z, c, t, level, im.ID)
	}
	bpp := pt.Bytes()
	out := make([]byte, w*h*bpp)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			v := pixel(&im, c, z, t, float64(x+i)*sx, float64(y+j)*sy)
			pt.Put(out[(j*w+i)*bpp:], v)
		}
	}
	return out, nil
}
