package raw

import (
	"fmt"
	"strconv"
	"strings"
)

// PlaneName is the file name of a plane in planes/ (docs/design.md):
// t<T>_z<Z>_c<C>.tif, 1-based, each index zero-padded to the width of its
// largest value, so names sort numerically and C runs fastest, then Z,
// then T (Fiji's Image Sequence order). z, c, t are 0-based.
func PlaneName(im Image, z, c, t int) string {
	w := func(n int) int { return len(strconv.Itoa(n)) }
	return fmt.Sprintf("t%0*d_z%0*d_c%0*d.tif", w(im.SizeT), t+1, w(im.SizeZ), z+1, w(im.SizeC), c+1)
}

// ParsePlaneName reads a name PlaneName gives back into 0-based (z, c, t);
// ok is false for any other name, so each plane has exactly one name.
func ParsePlaneName(im Image, name string) (z, c, t int, ok bool) {
	rest, found := strings.CutSuffix(name, ".tif")
	parts := strings.Split(rest, "_")
	if !found || len(parts) != 3 {
		return 0, 0, 0, false
	}
	var idx [3]int
	for i, p := range []struct {
		prefix string
		size   int
	}{{"t", im.SizeT}, {"z", im.SizeZ}, {"c", im.SizeC}} {
		digits, found := strings.CutPrefix(parts[i], p.prefix)
		n, err := strconv.Atoi(digits)
		if !found || err != nil || n < 1 || n > p.size || len(digits) != len(strconv.Itoa(p.size)) || strings.ContainsAny(digits, "+-") {
			return 0, 0, 0, false
		}
		idx[i] = n - 1
	}
	return idx[1], idx[2], idx[0], true
}
