package testserver

import "fmt"

// SyntheticTree is the scale benchmark's data set: one project "Scale" of
// `datasets` datasets ("dataset_0000", …), each of perDataset images
// (names repeat across datasets, as real acquisitions' do), all of one
// size and pixel type, owned by demo.
func SyntheticTree(datasets, perDataset, sizeX, sizeY, sizeC int, pixelType string) *Data {
	d := NewData()
	b := &builder{d}
	d.Groups[groupLab] = &Group{ID: groupLab, Name: "Demo Lab", Perm: "rwra--"}
	d.nextID = 10
	demo := b.user("demo", "Demo", "User", groupLab)
	b.user("public", "Public", "Data", groupLab)
	dss := make([]int64, datasets)
	for i := range dss {
		ids := make([]int64, perDataset)
		for j := range ids {
			ids[j] = b.image(imageSpec{name: strp(fmt.Sprintf("image_%05d.tif", j)), sizeX: sizeX, sizeY: sizeY,
				sizeZ: 1, sizeC: sizeC, sizeT: 1, ptype: pixelType}, demo, groupLab)
		}
		dss[i] = b.dataset(strp(fmt.Sprintf("dataset_%04d", i)), demo, groupLab, ids...)
	}
	b.project(strp("Scale"), demo, groupLab, dss...)
	return d
}
