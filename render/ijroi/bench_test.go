package ijroi

import (
	"math"
	"testing"
)

// BenchmarkSet encodes a set of 1,000 polygons of 64 sub-pixel vertices,
// a large segmentation as an image might carry.
func BenchmarkSet(b *testing.B) {
	rois := make([]ROI, 1000)
	for i := range rois {
		xs, ys := make([]float64, 64), make([]float64, 64)
		for k := range xs {
			a := 2 * math.Pi * float64(k) / 64
			xs[k], ys[k] = 100+float64(i%40)*25+10*math.Cos(a), 100+float64(i/40)*25+10*math.Sin(a)
		}
		rois[i] = ROI{Kind: Polygon, Name: "cell", XS: xs, YS: ys, Z: 1 + i%5}
	}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		set, err := Set(rois)
		if err != nil {
			b.Fatal(err)
		}
		size = len(set)
	}
	b.ReportMetric(float64(size), "bytes/set")
}
