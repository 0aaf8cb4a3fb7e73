package gateway

import (
	"context"
	"testing"

	"github.com/omerofs/omerofs/testserver"
)

func TestTags(t *testing.T) {
	ts, hs := startServer(t, testserver.Options{})
	c := connect(t, Config{BaseURL: hs.URL, Username: "demo", Password: "demo"})
	ctx := context.Background()
	ts.ResetCounters()
	tags, err := c.Tags(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Requests("api_tags") != 1 {
		t.Errorf("%d requests for the tags", ts.Requests("api_tags"))
	}
	byValue := map[string]Tag{}
	for _, tg := range tags {
		if tg.Value != nil {
			byValue[*tg.Value] = tg
		}
	}
	set, ok := byValue["Phenotypes"]
	if !ok || !set.Set || set.ChildCount != 2 {
		t.Fatalf("tag set %+v", set)
	}
	top, err := c.Tags(ctx, true)
	if err != nil || len(top) >= len(tags) {
		t.Errorf("tags outside sets: %d of %d, %v", len(top), len(tags), err)
	}
	for _, tg := range top {
		if tg.Value != nil && *tg.Value == "apoptosis" {
			t.Errorf("a tag of a set listed outside sets")
		}
	}
	ts.ResetCounters()
	in, err := c.Tagged(ctx, set.ID)
	if err != nil || len(in.Tags) != 2 || len(in.Images) != 0 {
		t.Fatalf("set: %+v, %v", in, err)
	}
	ap, err := c.Tagged(ctx, byValue["apoptosis"].ID)
	if err != nil || len(ap.Images) != 2 || len(ap.Datasets) != 1 {
		t.Fatalf("apoptosis: %+v, %v", ap, err)
	}
	if im := ap.Images[0]; im.SizeX == nil || *im.SizeX != 128 || im.Name == nil || *im.Name != "membrane.czi" {
		t.Errorf("tagged image %+v", im)
	}
	if ts.Requests("api_tags") != 2 {
		t.Errorf("%d requests for two tags", ts.Requests("api_tags"))
	}
}
