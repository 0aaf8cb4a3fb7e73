package wrappers

import (
	"context"
	"testing"
)

// TestListedImagesShareRepeatedValues: the images of a listing share one
// owner, group, type string and equal physical sizes, and still report
// them right.
func TestListedImagesShareRepeatedValues(t *testing.T) {
	_, c := client(t, nil)
	ctx := context.Background()
	projects, err := c.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	datasets, err := find(t, projects, "Cell Biology").(Container).ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := find(t, datasets, "1200 images").(Container).ListChildren(ctx)
	if err != nil || len(objs) < 2 {
		t.Fatalf("%d images, %v", len(objs), err)
	}
	a, b := objs[0].(*Image), objs[1].(*Image)
	if a.Raw.Details.Owner != b.Raw.Details.Owner || a.Raw.Details.Group != b.Raw.Details.Group {
		t.Error("two images of one owner and group hold copies of them")
	}
	if a.Owner().UserName != "demo" || a.Group().Name != "Demo Lab" || a.Type() != "Image" {
		t.Errorf("shared values wrong: %+v %+v %s", a.Owner(), a.Group(), a.Type())
	}
	pa, pb := a.Pixels(), b.Pixels()
	if pa.PhysicalSizeX == nil || pa.PhysicalSizeX != pb.PhysicalSizeX || pa.PhysicalSizeX.Value <= 0 {
		t.Errorf("equal physical sizes not shared: %v %v", pa.PhysicalSizeX, pb.PhysicalSizeX)
	}
	if pa.Type == "" || pa.Type != pb.Type {
		t.Errorf("pixel types %q %q", pa.Type, pb.Type)
	}
}
