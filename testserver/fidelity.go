package testserver

import (
	"fmt"

	"github.com/omerofs/omerofs/render"
)

// Images with what real servers hold and the demo data lacks: a multiplexed
// image of 64 channels (whose every-channel rendering query outgrows
// gunicorn's request line) and a pyramid whose levels shrink 4× at a time,
// with 2048-pixel native tiles (bigger than max_tile_length) and a height
// that is not the full height times the width ratio (8230/4 is 2057.5; the
// level stores 2057).
const (
	FidelityProject  = "Server fidelity"
	FidelityDataset  = "Fidelity"
	MultiplexedImage = "multiplexed_64ch.ome.tiff"
	Pyramid4xImage   = "pyramid_4x.svs"
)

// AddFidelityImages adds the project FidelityProject with the dataset
// FidelityDataset holding MultiplexedImage and Pyramid4xImage, owned by the
// demo user, and returns the images' ids by name.
func AddFidelityImages(d *Data) map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := &builder{d}
	var owner int64
	for _, e := range d.Experimenters {
		if e.UserName == "demo" {
			owner = e.ID
		}
	}
	ids := map[string]int64{}
	mx := b.image(imageSpec{name: strp(MultiplexedImage), sizeX: 160, sizeY: 120, sizeZ: 1, sizeC: 64, sizeT: 1, ptype: "uint16"}, owner, groupLab)
	im := d.Images[mx]
	for c := range im.Defaults.Channels {
		ch := &im.Defaults.Channels[c]
		// A multiplexed panel shows a few markers at once, each its own colour.
		ch.Active = c%8 == 0
		ch.Color = render.Color{R: uint8(37 * c), G: uint8(255 - 11*c), B: uint8(90 + 29*c)}
	}
	ids[MultiplexedImage] = mx
	ids[Pyramid4xImage] = b.image(imageSpec{name: strp(Pyramid4xImage), sizeX: 11500, sizeY: 8230, sizeZ: 1, sizeC: 3, sizeT: 1,
		ptype: "uint8", levels: 3, tile: 2048, step: 4}, owner, groupLab)
	ds := b.dataset(strp(FidelityDataset), owner, groupLab, ids[MultiplexedImage], ids[Pyramid4xImage])
	b.project(strp(FidelityProject), owner, groupLab, ds)
	return ids
}

// RenderExpectedAt is the image's default plane with its stored settings
// (no projection: a pyramid is rendered by regions) sampled at w × h, each
// output pixel the value at the centre of the area it covers, for tests to
// compare a client's resized rendering with.
func (s *Server) RenderExpectedAt(imageID int64, w, h int) (*render.Image, error) {
	im, ok := s.data.Image(imageID)
	if !ok || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("image %d at %d×%d: not found", imageID, w, h)
	}
	set := im.Defaults.Clone()
	set.Projection = render.ProjectionNormal
	sx, sy := float64(im.SizeX)/float64(w), float64(im.SizeY)/float64(h)
	return renderArea(&im, set, set.T, sx/2, sy/2, sx, sy, w, h), nil
}
