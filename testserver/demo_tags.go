package testserver

import "strings"

// seedTags adds what the tags/ folder and the extended attributes must
// cope with: a tag set, a tag whose value holds '/', one with an empty
// value, two tags of one value, tags on every kind of container, and
// key-value pairs whose keys repeat, are empty, too long for an attribute
// name, or hold spaces, '=', '/' or a NUL.
func seedTags(d *Data) {
	alice, demo, bob := d.userID("alice"), d.userID("demo"), d.userID("bob")
	tag := func(text string, owner, group int64, desc *string) Annotation {
		return Annotation{Class: TagAnnotation, Text: &text, OwnerID: owner, GroupID: group, Desc: desc}
	}
	stack := imagesNamed(d, "stack.tif")[0]
	mem := imagesNamed(d, "membrane.czi")[0]
	orphans := imagesNamed(d, "orphan.tif")
	unfiled := datasetNamed(d, "Unfiled")
	d.Images[stack].Desc = strp("Two channels, seven sections.\nFixed cells.")

	setNs := TagSetNs
	set := tag("Phenotypes", alice, groupLab, strp("what the cells do"))
	set.Ns = &setNs
	setID := d.Annotate(set, "Image") // a set carries nothing itself
	apoptosis := d.Annotate(tag("apoptosis", alice, groupLab, nil), "Image", stack, mem)
	d.linkAnnotation(apoptosis, "Dataset", unfiled)
	arrest := d.Annotate(tag("G2/M arrest", alice, groupLab, nil), "Image", mem)
	d.AddToTagSet(setID, apoptosis, arrest)

	d.Annotate(tag("", demo, groupLab, nil), "Image", orphans...)
	d.Annotate(tag("control", demo, groupLab, nil), "Image", stack)
	d.Annotate(tag("control", alice, groupLab, strp("alice's control")), "Image", orphans[0])
	proj := d.Annotate(tag("published", demo, groupLab, nil), "Project", projectNamed(d, "Screening archive"))
	d.linkAnnotation(proj, "Image", stack)
	d.Annotate(tag("unused", demo, groupLab, nil), "Image")

	loose := plateNamed(d, "Loose plate")
	hcs := tag("HCS", bob, groupFacility, nil)
	hcsID := d.Annotate(hcs, "Plate", loose)
	for _, s := range d.Screens {
		if deref(s.Name) == "HCS Screen" {
			d.linkAnnotation(hcsID, "Screen", s.ID)
		}
	}
	d.linkAnnotation(hcsID, "Well", d.Plates[loose].Wells[0])

	kv := KVNamespace
	d.Annotate(Annotation{Class: MapAnnotation, Ns: &kv, OwnerID: demo, GroupID: groupLab, Values: [][2]string{
		{"Gene", "TP53"}, {"Gene", "MDM2"}, {"", "empty key"}, {strings.Repeat("long key ", 40), "long"},
		{"key with spaces", "v"}, {"ratio=1/2", "½"}, {"nul\x00key", "nul"}, {"Größe", "12 µm"}}}, "Image", stack)
	d.Annotate(Annotation{Class: MapAnnotation, Ns: &kv, OwnerID: alice, GroupID: groupLab,
		Values: [][2]string{{"Gene", "BAX"}}}, "Image", stack)
	d.Annotate(Annotation{Class: MapAnnotation, Ns: &kv, OwnerID: demo, GroupID: groupLab,
		Values: [][2]string{{"condition", "heat shock"}}}, "Dataset", unfiled)
}
