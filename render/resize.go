package render

import "math"

// TargetSize is the size an image is rendered at (docs/design.md, "Rendered
// dimensions"): as it is when its longest side is at most max; otherwise
// scaled so that the longest side equals max and the other side is rounded,
// never below 1. Degenerate sizes (0 or negative, from a broken server
// answer) become 1.
func TargetSize(sizeX, sizeY, max int) (w, h int) {
	sizeX, sizeY = atLeast1(sizeX), atLeast1(sizeY)
	if max <= 0 || (sizeX <= max && sizeY <= max) {
		return sizeX, sizeY
	}
	if sizeX >= sizeY {
		return max, atLeast1(int(math.Round(float64(sizeY) * float64(max) / float64(sizeX))))
	}
	return atLeast1(int(math.Round(float64(sizeX) * float64(max) / float64(sizeY)))), max
}

func atLeast1(v int) int {
	if v < 1 {
		return 1
	}
	return v
}

// Resize returns src scaled to exactly w × h by area averaging: each output
// pixel is the mean of the source area it covers, weighted by coverage, so a
// downscale keeps fine detail as a proper average rather than aliasing. It
// returns src itself when the size already matches.
func Resize(src *Image, w, h int) *Image {
	if src.Width == w && src.Height == h {
		return src
	}
	xs := weights(src.Width, w)
	ys := weights(src.Height, h)
	// Horizontal pass into float rows, then vertical pass.
	tmp := make([]float32, src.Height*w*3)
	for y := 0; y < src.Height; y++ {
		in := src.Pix[y*src.Width*3 : (y+1)*src.Width*3]
		resizeRow(tmp[y*w*3:(y+1)*w*3], in, xs)
	}
	dst := NewImage(w, h)
	acc := make([]float32, w*3)
	for y, taps := range ys {
		clear(acc)
		for _, t := range taps {
			row := tmp[t.index*w*3 : (t.index+1)*w*3]
			for i, v := range row {
				acc[i] += v * t.weight
			}
		}
		roundInto(dst.Pix[y*w*3:(y+1)*w*3], acc)
	}
	return dst
}

// resizeRow is the horizontal pass over one RGB row: out[x] is the
// weighted sum of the source pixels of xs[x].
func resizeRow(out []float32, in []uint8, xs [][]tap) {
	for x, taps := range xs {
		var r, g, b float32
		for _, t := range taps {
			i := t.index * 3
			r += float32(in[i]) * t.weight
			g += float32(in[i+1]) * t.weight
			b += float32(in[i+2]) * t.weight
		}
		out[3*x], out[3*x+1], out[3*x+2] = r, g, b
	}
}

// roundInto writes the sums acc as bytes, rounded and clamped to 0..255.
func roundInto(px []uint8, acc []float32) {
	for i, v := range acc {
		px[i] = uint8(min(max(v+0.5, 0), 255))
	}
}

type tap struct {
	index  int
	weight float32
}

// weights gives, for each of the n output positions, the source positions
// it covers and their share of the coverage (summing to 1).
func weights(srcN, n int) [][]tap {
	scale := float64(srcN) / float64(n)
	out := make([][]tap, n)
	for i := range out {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		if scale < 1 {
			// Upscale: take the source pixel under the output centre.
			c := min(int((float64(i)+0.5)*scale), srcN-1)
			out[i] = []tap{{c, 1}}
			continue
		}
		var taps []tap
		for j := int(lo); j < srcN && float64(j) < hi; j++ {
			cover := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
			if cover > 1e-9 {
				taps = append(taps, tap{j, float32(cover / scale)})
			}
		}
		out[i] = taps
	}
	return out
}
