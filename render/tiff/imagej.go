package tiff

import (
	"math"
	"strconv"
	"strings"
)

// ImageJDescriptionLen is the fixed length of the ImageJ description of a
// plane file (before its NUL): padded with newlines, which ImageJ and
// tifffile skip, so that every plane of an image, whatever its physical
// sizes, has a length known from its dimensions alone.
const ImageJDescriptionLen = 128

// ImageJDescription is the ImageDescription ImageJ writes and reads
// (ij/io/FileSaver.getDescriptionString, ij/io/FileOpener): its version,
// and, when the pixel size is known, unit=micron (so Fiji shows µm, with
// the pixel size in X/YResolution) and spacing= (the Z step, µm), padded
// to ImageJDescriptionLen.
func ImageJDescription(physicalSizeX, physicalSizeZ float64) string {
	var b strings.Builder
	b.WriteString("ImageJ=1.11a\n")
	if physicalSizeX > 0 && !math.IsInf(physicalSizeX, 0) {
		b.WriteString("unit=micron\n")
		if physicalSizeZ > 0 && !math.IsInf(physicalSizeZ, 0) {
			b.WriteString("spacing=" + strconv.FormatFloat(physicalSizeZ, 'g', 12, 64) + "\n")
		}
	}
	s := b.String()
	if len(s) > ImageJDescriptionLen { // cannot happen: 12 significant digits fit
		s = s[:ImageJDescriptionLen]
	}
	return s + strings.Repeat("\n", ImageJDescriptionLen-len(s))
}

// Plane is the single-page file of one raw plane (planes/t1_z1_c1.tif):
// the plane's own pixel type, uncompressed, ImageJ's description and the
// pixel size as resolution.
func Plane(width, height int, t PixelType, physicalSizeX, physicalSizeY, physicalSizeZ float64) *File {
	return &File{Pages: []Page{{Width: width, Height: height, Type: t,
		Description:   ImageJDescription(physicalSizeX, physicalSizeZ),
		PhysicalSizeX: physicalSizeX, PhysicalSizeY: physicalSizeY}}}
}

// PlaneSize is the length of a plane file: a function of its dimensions
// and pixel type only.
func PlaneSize(width, height int, t PixelType) (int64, error) {
	return Plane(width, height, t, 0, 0, 0).Size()
}
