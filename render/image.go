package render

import (
	"image"
	"image/color"
)

// Image is an 8-bit RGB image: 3 bytes a pixel, rows without padding. It is
// what the PNG writer takes, so no RGBA copy is ever made of a rendering.
type Image struct {
	Width, Height int
	Pix           []byte
}

// NewImage returns a black image.
func NewImage(w, h int) *Image {
	return &Image{Width: w, Height: h, Pix: make([]byte, w*h*3)}
}

// At returns the pixel at (x, y).
func (m *Image) At(x, y int) (r, g, b uint8) {
	i := (y*m.Width + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// FromImage converts a decoded image (a JPEG from the server: *image.YCbCr
// or *image.Gray) into an Image, with fast paths for the common types.
func FromImage(src image.Image) *Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := NewImage(w, h)
	switch s := src.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			row := dst.Pix[y*w*3:]
			for x := 0; x < w; x++ {
				yi := s.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
				row[3*x], row[3*x+1], row[3*x+2] = r, g, bl
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			in := s.Pix[(y)*s.Stride : y*s.Stride+w]
			row := dst.Pix[y*w*3:]
			for x, v := range in {
				row[3*x], row[3*x+1], row[3*x+2] = v, v, v
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			in := s.Pix[y*s.Stride : y*s.Stride+4*w]
			row := dst.Pix[y*w*3:]
			for x := 0; x < w; x++ {
				row[3*x], row[3*x+1], row[3*x+2] = in[4*x], in[4*x+1], in[4*x+2]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				i := (y*w + x) * 3
				dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = c.R, c.G, c.B
			}
		}
	}
	return dst
}

// ToRGBA converts to a standard image (for JPEG encoding and tests).
func (m *Image) ToRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.Width, m.Height))
	for i, j := 0, 0; i < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255
	}
	return out
}
