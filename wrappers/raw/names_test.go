package raw

import (
	"sort"
	"testing"
)

func TestPlaneNames(t *testing.T) {
	im := Image{SizeX: 1, SizeY: 1, SizeZ: 12, SizeC: 3, SizeT: 1}
	if n := PlaneName(im, 6, 1, 0); n != "t1_z07_c2.tif" {
		t.Fatalf("name %q", n)
	}
	var names []string
	seen := map[string]bool{}
	for z := 0; z < im.SizeZ; z++ {
		for c := 0; c < im.SizeC; c++ {
			n := PlaneName(im, z, c, 0)
			names = append(names, n)
			gz, gc, gt, ok := ParsePlaneName(im, n)
			if !ok || gz != z || gc != c || gt != 0 || seen[n] {
				t.Fatalf("%s → %d %d %d %v", n, gz, gc, gt, ok)
			}
			seen[n] = true
		}
	}
	// byte order = C fastest, then Z, then T
	if !sort.StringsAreSorted(names) {
		t.Fatalf("names do not sort in plane order: %v", names)
	}
	for _, bad := range []string{"t1_z7_c2.tif", "t1_z13_c1.tif", "t1_z00_c1.tif", "t1_z01_c1.tiff", "t1_z01_c1_x.tif", "t1_z+1_c1.tif", "t2_z01_c1.tif", "z01_t1_c1.tif", "RoiSet.zip"} {
		if _, _, _, ok := ParsePlaneName(im, bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
