package testserver

import (
	"encoding/binary"
	"fmt"
	"sort"
	"time"
)

// The demo's original files and annotations, for the data view: a real
// single-file TIFF, a multi-file fileset (an .mrxs folder), filesets that
// several images share (multi-series files, a whole plate), images without
// a fileset, a group whose policy forbids downloads, and annotations of
// every kind.

// imagesNamed returns the ids of the images with this name, in id order.
func imagesNamed(d *Data, name string) []int64 {
	var ids []int64
	for id, im := range d.Images {
		if deref(im.Name) == name {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// fileSpec is one file of a fileset: its path below the import folder.
type fileSpec struct {
	rel     string
	size    int64
	content []byte
}

// fileset adds a fileset of files imported by the images' owner into the
// managed repository, and makes it the images' fileset.
func (b *builder) fileset(images []int64, files ...fileSpec) int64 {
	d := b.d
	first := d.Images[images[0]]
	owner := d.Experimenters[first.OwnerID]
	fs := &Fileset{ID: d.id()}
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(fs.ID) * 1537 * time.Millisecond)
	folder := fmt.Sprintf("%s_%d/%s/%s/", owner.UserName, owner.ID, at.Format("2006-01/02"), at.Format("15-04-05.000"))
	for _, spec := range files {
		dir, name := "", spec.rel
		if i := lastSlash(spec.rel); i >= 0 {
			dir, name = spec.rel[:i+1], spec.rel[i+1:]
		}
		size := spec.size
		if spec.content != nil {
			size = int64(len(spec.content))
		}
		f := &OriginalFile{ID: d.id(), Name: name, Path: folder + dir, Size: size, Mimetype: "application/octet-stream",
			GroupID: first.GroupID, Content: spec.content}
		d.Files[f.ID] = f
		fs.Files = append(fs.Files, f.ID)
		fs.ClientPaths = append(fs.ClientPaths, "home/"+owner.UserName+"/microscope/"+spec.rel)
	}
	d.Filesets[fs.ID] = fs
	for _, id := range images {
		d.Images[id].FilesetID = fs.ID
	}
	return fs.ID
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// seedDataView adds the demo's originals and annotations.
func seedDataView(d *Data) {
	b := &builder{d}
	d.Groups[groupLab].BinaryAccess = "+read,+image"
	d.Groups[groupFacility].BinaryAccess = "-image,-plate"

	// Mitosis: a real TIFF, files above and below 1 MiB and not multiples of it.
	hist := imagesNamed(d, "histology.tif")[0]
	b.fileset([]int64{hist}, fileSpec{rel: "histology.tif", content: tiffRGB8(d.Images[hist])})
	b.fileset(imagesNamed(d, "mitosis_01.dv"), fileSpec{rel: "mitosis_01.dv", size: 2*chunkSize + 12345})
	b.fileset(imagesNamed(d, "mitosis_02.dv"), fileSpec{rel: "mitosis_02.dv", size: chunkSize})
	b.fileset(imagesNamed(d, "membrane.czi"), fileSpec{rel: "membrane.czi", size: 700_001})
	b.fileset(imagesNamed(d, "beads_float.ome.tiff"), fileSpec{rel: "beads_float.ome.tiff", size: 0})
	// The big slide: a MIRAX folder, names with spaces.
	b.fileset(imagesNamed(d, "Big slide.svs"),
		fileSpec{rel: "Big slide.mrxs", size: 1_523},
		fileSpec{rel: "Big slide/Slidedat.ini", size: 24_017},
		fileSpec{rel: "Big slide/Index.dat", size: 81_920},
		fileSpec{rel: "Big slide/Data0000.dat", size: chunkSize + 1},
		fileSpec{rel: "Big slide/Data0001.dat", size: 333_333})
	// The 1,200: one small file each, in its own import folder.
	for i, id := range d.Datasets[datasetNamed(d, "1200 images")].Images {
		b.fileset([]int64{id}, fileSpec{rel: deref(d.Images[id].Name), size: int64(1000 + i%7*100)})
	}
	// Two series of one .lif per batch; cells and the rest one file each.
	for i := 1; i <= 30; i++ {
		ids := append(imagesNamed(d, fmt.Sprintf("batch%02d_a.tif", i)), imagesNamed(d, fmt.Sprintf("batch%02d_b.tif", i))...)
		b.fileset(ids, fileSpec{rel: fmt.Sprintf("batch%02d.lif", i), size: int64(4096 + i)})
	}
	for _, name := range []string{"cells.tif", "CELLS.tif", "shared.tif", "unfiled_1.tif", "unfiled_2.tif", "orphan.tif", "stack.tif",
		"beads_1.tif", "beads_2.tif"} {
		for _, id := range imagesNamed(d, name) {
			b.fileset([]int64{id}, fileSpec{rel: name, size: 3000 + id})
		}
	}
	// Plate 1's import is one fileset for all its fields.
	var plateImages []int64
	p1 := d.Plates[plateNamed(d, "Plate 1")]
	for _, wid := range p1.Wells {
		for _, s := range d.Wells[wid].Samples {
			plateImages = append(plateImages, s.ImageID)
		}
	}
	sort.Slice(plateImages, func(i, j int) bool { return plateImages[i] < plateImages[j] })
	b.fileset(plateImages,
		fileSpec{rel: "plate1/Plate 1.xdce", size: 52_000},
		fileSpec{rel: "plate1/A - 1(fld 1 wv DAPI - DAPI).tif", size: 9_000},
		fileSpec{rel: "plate1/A - 1(fld 2 wv DAPI - DAPI).tif", size: 9_001},
		fileSpec{rel: "plate1/B - 1(fld 1 wv DAPI - DAPI).tif", size: 9_002})

	seedAnnotations(d)
}

func datasetNamed(d *Data, name string) int64 {
	for id, ds := range d.Datasets {
		if deref(ds.Name) == name {
			return id
		}
	}
	return 0
}

func plateNamed(d *Data, name string) int64 {
	for id, p := range d.Plates {
		if deref(p.Name) == name {
			return id
		}
	}
	return 0
}

func projectNamed(d *Data, name string) int64 {
	for _, id := range sortedIDs(d.Projects) {
		if deref(d.Projects[id].Name) == name {
			return id
		}
	}
	return 0
}

// KVNamespace is the namespace of key-value pairs made in OMERO's clients.
const KVNamespace = "openmicroscopy.org/omero/client/mapAnnotation"

// seedAnnotations adds annotations of every kind.
func seedAnnotations(d *Data) {
	alice, demo := d.userID("alice"), d.userID("demo")
	m01 := imagesNamed(d, "mitosis_01.dv")[0]
	hist := imagesNamed(d, "histology.tif")[0]
	kv := KVNamespace
	mapAnn := func(owner int64, pairs ...string) Annotation {
		a := Annotation{Class: MapAnnotation, Ns: &kv, OwnerID: owner, GroupID: groupLab}
		for i := 0; i+1 < len(pairs); i += 2 {
			a.Values = append(a.Values, [2]string{pairs[i], pairs[i+1]})
		}
		return a
	}
	d.Annotate(mapAnn(alice, "Gene", "CDK1", "Gene", "CCNB1", "cell line", "HeLa", "a=b", "x = y",
		"Ünïcode 細胞", "🔬 ok", "empty", ""), "Image", m01)
	d.Annotate(mapAnn(demo, "stain", "H&E", "magnification", "20x"), "Image", hist)
	d.Annotate(mapAnn(alice, "organism", "Homo sapiens"), "Project", projectNamed(d, "Cell Biology"))
	d.Annotate(mapAnn(alice, "purpose", "mitosis time course"), "Dataset", datasetNamed(d, "Mitosis"))
	d.Annotate(Annotation{Class: MapAnnotation, OwnerID: demo, GroupID: groupLab, Values: [][2]string{{"note", "no namespace"}}},
		"Image", m01)

	tag := func(text string, owner int64, desc *string) Annotation {
		return Annotation{Class: TagAnnotation, Text: &text, OwnerID: owner, GroupID: groupLab, Desc: desc}
	}
	mitosisTag := d.Annotate(tag("mitosis", alice, strp("cells dividing")), "Image", m01, imagesNamed(d, "mitosis_02.dv")[0])
	d.linkAnnotation(mitosisTag, "Dataset", datasetNamed(d, "Mitosis"))
	d.Annotate(tag("live cell", demo, nil), "Image", m01)
	d.Annotate(tag("histology", demo, nil), "Image", hist)
	scans := d.Datasets[datasetNamed(d, "1200 images")].Images
	d.Annotate(tag("reviewed", demo, nil), "Image", scans[:10]...)

	comment := func(text string, owner int64) Annotation {
		return Annotation{Class: CommentAnnotation, Text: &text, OwnerID: owner, GroupID: groupLab}
	}
	d.Annotate(comment("Good example of prophase.", alice), "Image", m01)
	d.Annotate(comment("Zweite Meinung: Metaphase?\nSecond line.", demo), "Image", m01)

	csv := []byte("cell,area,intensity\n1,523.5,1802\n2,611.0,1744\n3,498.25,1911\n")
	d.Annotate(Annotation{Class: FileAnnotation, OwnerID: alice, GroupID: groupLab,
		FileID: d.Attach("analysis results.csv", "text/csv", groupLab, csv)}, "Image", m01)
	notes := make([]byte, 0, 1500)
	for i := 0; len(notes) < 1400; i++ {
		notes = fmt.Appendf(notes, "line %d of the notes on these images\n", i)
	}
	d.Annotate(Annotation{Class: FileAnnotation, OwnerID: demo, GroupID: groupLab,
		FileID: d.Attach("notes, v2.txt", "text/plain", groupLab, notes)}, "Image", m01, hist)
	rating := int64(4)
	rns := ratingNs
	d.Annotate(Annotation{Class: LongAnnotation, Ns: &rns, Long: &rating, OwnerID: alice, GroupID: groupLab}, "Image", m01)

	bob := d.userID("bob")
	d.Annotate(Annotation{Class: MapAnnotation, Ns: &kv, OwnerID: bob, GroupID: groupFacility,
		Values: [][2]string{{"assay", "viability"}}}, "Plate", plateNamed(d, "Plate 1"))
}

// linkAnnotation links an existing annotation to more objects.
func (d *Data) linkAnnotation(annID int64, parentType string, parentIDs ...int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.Annotations[annID]
	for _, p := range parentIDs {
		d.AnnLinks = append(d.AnnLinks, AnnotationLink{ID: d.id(), ParentType: parentType, ParentID: p,
			AnnID: annID, OwnerID: a.OwnerID, Created: a.Created.Add(2 * time.Minute)})
	}
}

func (d *Data) userID(name string) int64 {
	for id, e := range d.Experimenters {
		if e.UserName == name {
			return id
		}
	}
	return 0
}

// tiffRGB8 is a baseline uncompressed RGB TIFF of an image's first three
// channels at Z=0, T=0 (one strip): a file any TIFF reader opens.
func tiffRGB8(im *Image) []byte {
	w, h := im.SizeX, im.SizeY
	pix := make([]byte, 0, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				pix = append(pix, byte(pixel(im, c%im.SizeC, 0, 0, float64(x), float64(y))))
			}
		}
	}
	const nTags = 10
	ifd := 8
	extra := ifd + 2 + nTags*12 + 4 // BitsPerSample values
	data := extra + 6
	le := binary.LittleEndian
	out := []byte{'I', 'I', 42, 0}
	out = le.AppendUint32(out, uint32(ifd))
	out = le.AppendUint16(out, nTags)
	tag := func(t, typ uint16, count, value uint32) {
		out = le.AppendUint16(out, t)
		out = le.AppendUint16(out, typ)
		out = le.AppendUint32(out, count)
		if typ == 3 && count == 1 {
			out = le.AppendUint16(out, uint16(value))
			out = le.AppendUint16(out, 0)
			return
		}
		out = le.AppendUint32(out, value)
	}
	tag(256, 4, 1, uint32(w))           // ImageWidth
	tag(257, 4, 1, uint32(h))           // ImageLength
	tag(258, 3, 3, uint32(extra))       // BitsPerSample 8,8,8
	tag(259, 3, 1, 1)                   // no compression
	tag(262, 3, 1, 2)                   // RGB
	tag(273, 4, 1, uint32(data))        // StripOffsets
	tag(277, 3, 1, 3)                   // SamplesPerPixel
	tag(278, 4, 1, uint32(h))           // RowsPerStrip
	tag(279, 4, 1, uint32(len(pix)))    // StripByteCounts
	tag(284, 3, 1, 1)                   // PlanarConfiguration: chunky
	out = le.AppendUint32(out, 0)       // no next IFD
	out = append(out, 8, 0, 8, 0, 8, 0) // BitsPerSample values
	return append(out, pix...)
}
