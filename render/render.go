package render

import "math"

// Render applies OMERO's rendering rules to the raw values px(c, z, x, y) of
// one timepoint and returns an 8-bit RGB image of width × height:
//
//   - a projection (intmax, intmean, intsum) first combines the Z range;
//     otherwise the plane s.Z is used;
//   - per active channel the value is clamped into [Start, End] and mapped
//     to 0..255 by the channel's family (see quantum);
//   - Inverted channels are reversed (255 - v);
//   - colour model: each channel is tinted by its colour and the channels
//     are added, saturating at 255; greyscale model: the first active
//     channel, as grey.
//
// LUTs are not known to this renderer; such channels use their colour.
func Render(s Settings, width, height, sizeZ int, px func(c, z, x, y int) float64) *Image {
	img := NewImage(width, height)
	active := s.ActiveChannels()
	if len(active) == 0 {
		return img // all black, as OMERO renders no active channel
	}
	if s.Model == ModelGreyscale {
		active = active[:1]
	}
	z0, z1 := s.Z, s.Z
	if s.Projection != "" && s.Projection != ProjectionNormal {
		z0, z1 = 0, sizeZ-1
		if s.ProjStart >= 0 && s.ProjEnd >= s.ProjStart {
			z0, z1 = max(0, s.ProjStart), min(sizeZ-1, s.ProjEnd)
		}
	}
	z0 = clampInt(z0, 0, max(0, sizeZ-1))
	z1 = clampInt(z1, z0, max(0, sizeZ-1))

	acc := make([]uint16, width*3)
	for y := 0; y < height; y++ {
		clear(acc)
		for _, c := range active {
			ch := s.Channels[c]
			q := newQuantum(ch)
			r, g, b := uint16(ch.Color.R), uint16(ch.Color.G), uint16(ch.Color.B)
			if s.Model == ModelGreyscale {
				r, g, b = 255, 255, 255
			}
			for x := 0; x < width; x++ {
				v := project(s.Projection, z0, z1, func(z int) float64 { return px(c, z, x, y) })
				level := uint16(q.level(v))
				acc[3*x] += (level*r + 127) / 255
				acc[3*x+1] += (level*g + 127) / 255
				acc[3*x+2] += (level*b + 127) / 255
			}
		}
		row := img.Pix[y*width*3 : (y+1)*width*3]
		for i, v := range acc {
			row[i] = uint8(min(v, 255))
		}
	}
	return img
}

// project combines the values of planes z0..z1 by the projection.
func project(p string, z0, z1 int, value func(z int) float64) float64 {
	switch p {
	case ProjectionMax:
		m := math.Inf(-1)
		for z := z0; z <= z1; z++ {
			m = math.Max(m, value(z))
		}
		return m
	case ProjectionMean, ProjectionSum:
		sum := 0.0
		for z := z0; z <= z1; z++ {
			sum += value(z)
		}
		if p == ProjectionMean {
			return sum / float64(z1-z0+1)
		}
		return sum
	default:
		return value(z0)
	}
}

// quantum maps a raw value to 0..255 for one channel.
type quantum struct {
	start, end float64
	family     string
	k          float64
	inverted   bool
}

func newQuantum(ch Channel) quantum {
	k := ch.Coefficient
	if k <= 0 || isBad(k) {
		k = 1
	}
	return quantum{start: ch.Start, end: ch.End, family: ch.Family, k: k, inverted: ch.Inverted}
}

// level clamps v into the window and maps it by the family. The family
// curve is applied to the window-normalised value t in [0, 1], so that
// every family maps start to 0 and end to 255 (docs/rendering.md).
func (q quantum) level(v float64) uint8 {
	var t float64
	switch {
	case isBad(v):
		t = 0
	case q.end <= q.start:
		if v >= q.end {
			t = 1
		}
	default:
		t = (math.Min(math.Max(v, q.start), q.end) - q.start) / (q.end - q.start)
	}
	switch q.family {
	case FamilyPoly:
		t = math.Pow(t, q.k)
	case FamilyExp:
		t = (math.Exp(math.Pow(t, q.k)) - 1) / (math.E - 1)
	case FamilyLog:
		t = math.Log1p(t * (math.E - 1)) // ln(1 + t(e-1)): 0 → 0, 1 → 1
	}
	l := uint8(math.Round(math.Min(math.Max(t, 0), 1) * 255))
	if q.inverted {
		l = 255 - l
	}
	return l
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
