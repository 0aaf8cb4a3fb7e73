package wrappers

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestTagsAsContainers(t *testing.T) {
	ts, c := client(t, nil)
	ctx := context.Background()
	top, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set := find(t, top, "Phenotypes").(*TagContainer)
	if !set.IsSet() || set.Type() != "TagSet" || set.Description() != "what the cells do" || !strings.HasSuffix(set.WebURL(), "/webclient/?show=tag-"+strconv.FormatInt(set.ID(), 10)) {
		t.Errorf("set %+v %s %s", set.Raw, set.Type(), set.WebURL())
	}
	for _, o := range top {
		if o.Name() == "apoptosis" {
			t.Error("a tag of a set at the top")
		}
	}
	members, err := set.ListChildren(ctx)
	if err != nil || len(members) != 2 {
		t.Fatalf("members %v, %v", members, err)
	}
	ap := find(t, members, "apoptosis").(*TagContainer)
	ts.ResetCounters()
	carriers, err := ap.ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := ts.TotalRequests(); n != 1 {
		t.Errorf("a tag's listing took %d requests", n)
	}
	img, ok := find(t, carriers, "membrane.czi").(ImageObject)
	if !ok {
		t.Fatalf("membrane.czi is not an image")
	}
	if px := img.Pixels(); px.SizeX != 128 || px.SizeY != 160 || px.SizeZ != 5 || px.SizeT != 3 {
		t.Errorf("tagged image pixels %+v", px)
	}
	if p, ok := img.(interface{ Partial() bool }); !ok || !p.Partial() {
		t.Error("a tagged image is not marked partial")
	}
	ds, ok := find(t, carriers, "Unfiled").(Container)
	if !ok || ds.Type() != "Dataset" {
		t.Fatalf("Unfiled: %T", ds)
	}
	if ims, err := ds.ListChildren(ctx); err != nil || len(ims) != 2 {
		t.Errorf("a tagged dataset's images: %d, %v", len(ims), err)
	}
	hcs := find(t, top, "HCS").(*TagContainer)
	kids, err := hcs.ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pl, ok := find(t, kids, "Loose plate").(*Plate); !ok || pl.RowNaming != "number" {
		t.Errorf("tagged plate %+v", pl)
	}
}
