package testserver

import (
	"fmt"
	"strings"
	"time"

	"github.com/omerofs/omerofs/render"
)

// Demo logins (docs/design.md): demo/demo in both groups, alice/alice and bob/bob.
// Requests without a session are served, in public mode, as "public", a
// member of the first group (as the IDR's public user is of its groups).
const (
	groupLab      = 1
	groupFacility = 2
)

// builder adds objects to a Data with fresh ids.
type builder struct{ d *Data }

func (b *builder) user(name, first, last string, groups ...int64) int64 {
	e := &Experimenter{ID: b.d.id(), UserName: name, FirstName: first, LastName: last, Password: name,
		Email: name + "@example.org", Groups: groups}
	b.d.Experimenters[e.ID] = e
	return e.ID
}

func owned(b *builder, name *string, owner, group int64) Owned {
	return Owned{ID: b.d.id(), Name: name, OwnerID: owner, GroupID: group}
}

func (b *builder) project(name *string, owner, group int64, datasets ...int64) int64 {
	p := &Project{Owned: owned(b, name, owner, group), Datasets: datasets}
	b.d.Projects[p.ID] = p
	return p.ID
}

func (b *builder) dataset(name *string, owner, group int64, images ...int64) int64 {
	ds := &Dataset{Owned: owned(b, name, owner, group), Images: images}
	b.d.Datasets[ds.ID] = ds
	return ds.ID
}

// imageSpec describes an image to add.
type imageSpec struct {
	name                              *string
	sizeX, sizeY, sizeZ, sizeC, sizeT int
	ptype                             string
	levels, tile                      int
	step                              int // pyramid level step; 0 = 2
}

var channelNames = []string{"DAPI", "GFP", "mCherry", "Cy5"}
var channelColors = []render.Color{render.Blue, render.Green, render.Red, {R: 255, B: 255}}
var channelEmission = []float64{461, 509, 610, 670}

func (b *builder) image(s imageSpec, owner, group int64) int64 {
	im := &Image{Owned: owned(b, s.name, owner, group), PixelsID: b.d.id(),
		SizeX: s.sizeX, SizeY: s.sizeY, SizeZ: max(s.sizeZ, 1), SizeC: max(s.sizeC, 1), SizeT: max(s.sizeT, 1),
		PixelsType: s.ptype, PhysicalSize: 0.325, Levels: max(s.levels, 1), TileSize: s.tile, LevelStep: s.step}
	if im.SizeZ > 1 {
		im.PhysicalSizeZ = 1.5
	}
	acq := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(im.ID) * time.Minute)
	im.Acquired = &acq
	lo, hi := dataRange(s.ptype)
	tlo, thi := typeRange(s.ptype)
	set := render.Settings{Model: render.ModelColor, Projection: render.ProjectionNormal, ProjStart: -1, ProjEnd: -1,
		Z: im.SizeZ / 2, T: 0}
	if im.SizeC == 1 {
		set.Model = render.ModelGreyscale
	}
	for c := 0; c < im.SizeC; c++ {
		name := channelNames[c%len(channelNames)]
		col := channelColors[c%len(channelColors)]
		if im.SizeC == 1 {
			col = render.White
		}
		im.Channels = append(im.Channels, ChannelInfo{Name: &name, Color: col, Emission: channelEmission[c%len(channelEmission)]})
		set.Channels = append(set.Channels, render.Channel{
			Label: name, Active: true, Color: col, Family: render.FamilyLinear, Coefficient: 1,
			Min: tlo, Max: thi,
			// a window narrower than the data, as a user would set it
			Start: lo + 0.05*(hi-lo), End: lo + 0.9*(hi-lo),
		})
	}
	im.Defaults = set
	b.d.Images[im.ID] = im
	return im.ID
}

func small(name *string, ptype string) imageSpec {
	return imageSpec{name: name, sizeX: 96, sizeY: 64, sizeZ: 1, sizeC: 1, sizeT: 1, ptype: ptype}
}

// DemoData is the seeded data set of `omerofs demo` and of the tests. It
// has every case users meet: many images in one dataset (paging) with tied
// names, duplicate names, names with '/', unicode, spaces, no name, "." and
// "..", very long names, orphans, a 96-well plate with two fields per well,
// an orphaned plate, several pixel types, Z-stacks, time series and one big
// pyramid image.
func DemoData() *Data {
	d := NewData()
	b := &builder{d}
	d.Groups[groupLab] = &Group{ID: groupLab, Name: "Demo Lab", Perm: "rwra--"}
	d.Groups[groupFacility] = &Group{ID: groupFacility, Name: "Imaging Facility", Perm: "rwr---"}
	d.nextID = 10
	demo := b.user("demo", "Demo", "User", groupLab, groupFacility)
	alice := b.user("alice", "Alice", "Smith", groupLab)
	bob := b.user("bob", "Bob", "Jones", groupFacility)
	b.user("public", "Public", "Data", groupLab)

	// Mitosis: pixel types, channels, Z-stacks, time series.
	var mitosis []int64
	for i, s := range []imageSpec{
		{name: strp("mitosis_01.dv"), sizeX: 256, sizeY: 192, sizeZ: 9, sizeC: 3, sizeT: 1, ptype: "uint16"},
		{name: strp("mitosis_02.dv"), sizeX: 200, sizeY: 200, sizeZ: 1, sizeC: 2, sizeT: 12, ptype: "uint16"},
		{name: strp("histology.tif"), sizeX: 320, sizeY: 240, sizeZ: 1, sizeC: 3, sizeT: 1, ptype: "uint8"},
		{name: strp("membrane.czi"), sizeX: 128, sizeY: 160, sizeZ: 5, sizeC: 4, sizeT: 3, ptype: "int16"},
		{name: strp("beads_float.ome.tiff"), sizeX: 64, sizeY: 64, sizeZ: 3, sizeC: 1, sizeT: 1, ptype: "float"},
	} {
		owner := alice
		if i%2 == 1 {
			owner = demo
		}
		mitosis = append(mitosis, b.image(s, owner, groupLab))
	}
	mitosisDS := b.dataset(strp("Mitosis"), alice, groupLab, mitosis...)

	// 1,200 images whose names tie in fours: paging must not lose or repeat any.
	var many []int64
	for i := 0; i < 1200; i++ {
		many = append(many, b.image(imageSpec{name: strp(fmt.Sprintf("scan_%03d.tif", i%300)), sizeX: 48, sizeY: 32,
			sizeZ: 1, sizeC: 1, sizeT: 1, ptype: "uint8"}, demo, groupLab))
	}
	bigDS := b.dataset(strp("1200 images"), demo, groupLab, many...)

	// Duplicates and odd names.
	dup := []int64{
		b.image(small(strp("cells.tif"), "uint8"), alice, groupLab),
		b.image(small(strp("cells.tif"), "uint8"), alice, groupLab),
		b.image(small(strp("cells.tif"), "uint16"), demo, groupLab),
		b.image(small(strp("CELLS.tif"), "uint8"), demo, groupLab),
	}
	dupDS := b.dataset(strp("Duplicates"), alice, groupLab, dup...)
	long := strings.Repeat("très long nom d'image ", 16) // > 255 bytes, multi-byte characters
	odd := []int64{
		b.image(small(strp("a/b/c.tif"), "uint8"), demo, groupLab),
		b.image(small(strp("ünïcødé 細胞 🔬.tif"), "uint8"), demo, groupLab),
		b.image(small(strp("  leading and trailing spaces  "), "uint8"), demo, groupLab),
		b.image(small(nil, "uint8"), demo, groupLab),
		b.image(small(strp(""), "uint8"), demo, groupLab),
		b.image(small(strp("."), "uint8"), demo, groupLab),
		b.image(small(strp(".."), "uint8"), demo, groupLab),
		b.image(small(strp(long), "uint8"), demo, groupLab),
		b.image(small(strp(long), "uint8"), demo, groupLab),
		b.image(small(strp("tab\there"), "uint8"), demo, groupLab),
	}
	oddDS := b.dataset(strp("Odd names"), demo, groupLab, odd...)
	shared := b.dataset(strp("Shared dataset"), demo, groupLab, b.image(small(strp("shared.tif"), "uint8"), demo, groupLab))

	b.project(strp("Cell Biology"), alice, groupLab, mitosisDS, bigDS, dupDS, oddDS, shared)
	var batches []int64
	for i := 1; i <= 30; i++ {
		batches = append(batches, b.dataset(strp(fmt.Sprintf("Batch %02d", i)), demo, groupLab,
			b.image(small(strp(fmt.Sprintf("batch%02d_a.tif", i)), "uint8"), demo, groupLab),
			b.image(small(strp(fmt.Sprintf("batch%02d_b.tif", i)), "uint8"), demo, groupLab)))
	}
	b.project(strp("Screening archive"), demo, groupLab, batches...)
	b.project(strp("Same name"), demo, groupLab, shared)
	b.project(strp("Same name"), alice, groupLab)
	b.project(nil, demo, groupLab)

	// Orphans.
	b.dataset(strp("Unfiled"), demo, groupLab,
		b.image(small(strp("unfiled_1.tif"), "uint8"), demo, groupLab),
		b.image(small(strp("unfiled_2.tif"), "uint16"), demo, groupLab))
	b.dataset(strp("/"), demo, groupLab)
	b.image(small(strp("orphan.tif"), "uint8"), demo, groupLab)
	b.image(small(strp("orphan.tif"), "uint8"), alice, groupLab)
	b.image(imageSpec{name: strp("stack.tif"), sizeX: 128, sizeY: 128, sizeZ: 7, sizeC: 2, sizeT: 1, ptype: "uint16"}, demo, groupLab)
	b.image(imageSpec{name: strp("Big slide.svs"), sizeX: 20000, sizeY: 15000, sizeZ: 1, sizeC: 3, sizeT: 1,
		ptype: "uint8", levels: 5, tile: 256}, demo, groupLab)

	// The facility group: bob's data, a screen with a 96-well plate, an orphaned plate.
	qc := b.dataset(strp("Beads"), bob, groupFacility,
		b.image(small(strp("beads_1.tif"), "int16"), bob, groupFacility),
		b.image(small(strp("beads_2.tif"), "float"), bob, groupFacility))
	b.project(strp("Facility QC"), bob, groupFacility, qc)
	plate := b.plate(strp("Plate 1"), bob, groupFacility, 8, 12, "letter", "number", 2)
	screen := &Screen{Owned: owned(b, strp("HCS Screen"), bob, groupFacility), Plates: []int64{plate}}
	d.Screens[screen.ID] = screen
	b.plate(strp("Loose plate"), demo, groupFacility, 2, 3, "number", "number", 1)
	seedDataView(d) // originals and annotations: demo_dataview.go
	seedROIs(d)     // demo_rois.go
	seedTags(d)     // demo_tags.go
	return d
}

// plate adds a plate with every well filled with fields images.
func (b *builder) plate(name *string, owner, group int64, rows, cols int, rowNaming, colNaming string, fields int) int64 {
	p := &Plate{Owned: owned(b, name, owner, group), Rows: rows, Columns: cols, RowNaming: rowNaming, ColNames: colNaming}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			w := &Well{ID: b.d.id(), PlateID: p.ID, Row: r, Col: c}
			for f := 0; f < fields; f++ {
				label := fmt.Sprintf("%s [Well %s, Field %d]", *name, wellLabel(r, c, rowNaming, colNaming), f+1)
				id := b.image(imageSpec{name: strp(label), sizeX: 64, sizeY: 48, sizeZ: 1, sizeC: 2, sizeT: 1, ptype: "uint16"}, owner, group)
				ws := WellSample{ID: b.d.id(), ImageID: id}
				im := b.d.Images[id]
				im.WellID, im.WellSampleID = w.ID, ws.ID
				w.Samples = append(w.Samples, ws)
			}
			b.d.Wells[w.ID] = w
			p.Wells = append(p.Wells, w.ID)
		}
	}
	b.d.Plates[p.ID] = p
	return p.ID
}

// wellLabel names a well the way the plate's conventions say.
func wellLabel(r, c int, rowNaming, colNaming string) string {
	name := func(i int, conv string) string {
		if conv == "letter" {
			s := ""
			for i++; i > 0; i = (i - 1) / 26 {
				s = string(rune('A'+(i-1)%26)) + s
			}
			return s
		}
		return fmt.Sprint(i + 1)
	}
	rs, cs := name(r, rowNaming), name(c, colNaming)
	if rowNaming == "number" && colNaming == "number" {
		return rs + "-" + cs
	}
	return rs + cs
}

// SyntheticDataset is a benchmark data set: one project with one dataset of
// n images of sizeX × sizeY with sizeC channels, owned by demo. Pixels are
// computed on demand, so even 10,000 large images are cheap to create.
func SyntheticDataset(n, sizeX, sizeY, sizeC int, pixelType string) *Data {
	d := NewData()
	b := &builder{d}
	d.Groups[groupLab] = &Group{ID: groupLab, Name: "Demo Lab", Perm: "rwra--"}
	d.nextID = 10
	demo := b.user("demo", "Demo", "User", groupLab)
	b.user("public", "Public", "Data", groupLab)
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = b.image(imageSpec{name: strp(fmt.Sprintf("image_%05d.tif", i)), sizeX: sizeX, sizeY: sizeY,
			sizeZ: 1, sizeC: sizeC, sizeT: 1, ptype: pixelType}, demo, groupLab)
	}
	ds := b.dataset(strp("Benchmark"), demo, groupLab, ids...)
	b.project(strp("Benchmark"), demo, groupLab, ds)
	return d
}
