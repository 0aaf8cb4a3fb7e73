package testserver

import "math"

// Synthetic pixel data: smooth patterns that differ per image, channel, Z
// and T, so a render shows any swapped channel, wrong plane or shifted tile.
// Values span the pixel type's range (float: 0..1).

// typeRange is the value range of a pixel type as OMERO reports it.
func typeRange(pt string) (lo, hi float64) {
	switch pt {
	case "int8":
		return -128, 127
	case "uint8":
		return 0, 255
	case "int16":
		return -32768, 32767
	case "uint16":
		return 0, 65535
	case "int32":
		return -2147483648, 2147483647
	case "uint32":
		return 0, 4294967295
	default: // float, double
		return 0, 1
	}
}

// dataRange is where the synthetic values of a type lie: uint16 data is
// 12-bit, as most cameras give; the others fill their type.
func dataRange(pt string) (lo, hi float64) {
	if pt == "uint16" {
		return 0, 4095
	}
	return typeRange(pt)
}

// pixel is the raw value of image im at (c, z, t, x, y), for coordinates at
// full resolution (fractional coordinates sample a pyramid level).
func pixel(im *Image, c, z, t int, x, y float64) float64 {
	lo, hi := dataRange(im.PixelsType)
	sx, sy := float64(max(im.SizeX, 1)), float64(max(im.SizeY, 1))
	seed := float64(im.ID%97) * 0.37
	fx := (1.5 + float64(c)) / sx * 2 * math.Pi
	fy := (1.0 + 0.5*float64(c)) / sy * 2 * math.Pi
	a := 0.5 + 0.5*math.Sin(x*fx+seed+float64(z)*0.6+float64(t)*0.9)
	b := 0.5 + 0.5*math.Cos(y*fy-seed*0.5+float64(c)*1.1)
	v := lo + (hi-lo)*(0.1+0.85*a*b)
	if im.PixelsType == "float" || im.PixelsType == "double" {
		return v
	}
	return math.Round(v)
}
