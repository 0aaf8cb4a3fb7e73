package wrappers

import (
	"context"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/testserver"
)

func client(t *testing.T, reg *Registry) (*testserver.Server, *Client) {
	t.Helper()
	hs := testserver.Start(t, testserver.Options{})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	conn, err := gateway.Connect(context.Background(), gateway.Config{BaseURL: hs.URL, Username: "demo", Password: "demo", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return hs.Server, NewClient(conn, reg)
}

func find(t *testing.T, objs []Object, name string) Object {
	t.Helper()
	for _, o := range objs {
		if o.Name() == name {
			return o
		}
	}
	t.Fatalf("no %q among %d objects", name, len(objs))
	return nil
}

func TestTreeAndFields(t *testing.T) {
	_, c := client(t, nil)
	ctx := context.Background()
	projects, err := c.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := find(t, projects, "Cell Biology").(Container)
	if p.Type() != "Project" || p.Owner().UserName != "alice" || p.Group().Name != "Demo Lab" {
		t.Errorf("project: %s owner %+v group %+v", p.Type(), p.Owner(), p.Group())
	}
	if !strings.Contains(p.WebURL(), "/webclient/?show=project-") {
		t.Errorf("web URL %q", p.WebURL())
	}
	datasets, err := p.ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	images, err := find(t, datasets, "Mitosis").(Container).ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	im := find(t, images, "mitosis_01.dv").(ImageObject)
	px := im.Pixels()
	if px.SizeX != 256 || px.SizeY != 192 || px.SizeZ != 9 || px.SizeC != 3 || px.Type != "uint16" || px.PhysicalSizeX == nil || px.PhysicalSizeX.Symbol != "µm" {
		t.Errorf("pixels %+v", px)
	}
	if im.AcquisitionDate().IsZero() {
		t.Error("no acquisition date")
	}
	labels, err := im.ChannelLabels(ctx)
	if err != nil || strings.Join(labels, ",") != "DAPI,GFP,mCherry" {
		t.Errorf("channels %v, %v", labels, err)
	}
	eng, err := im.OpenRenderingEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	info := eng.Info()
	if info.SizeX != 256 || info.Settings.Z != 4 || len(info.Settings.Channels) != 3 || info.Settings.Model != "color" {
		t.Errorf("engine info %+v", info)
	}
	rgb, err := eng.Render(ctx, 128, 96)
	if err != nil || rgb.Width != 128 || rgb.Height != 96 {
		t.Fatalf("render: %v", err)
	}

	screens, err := c.Screens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plates, err := screens[0].(Container).ListChildren(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wells, err := plates[0].(Container).ListChildren(ctx)
	if err != nil || len(wells) != 96 {
		t.Fatalf("%d wells, %v", len(wells), err)
	}
	h12 := find(t, wells, "H12").(Container)
	fields, err := h12.ListChildren(ctx)
	if err != nil || len(fields) != 2 {
		t.Fatalf("H12 has %d fields, %v", len(fields), err)
	}
	if px := fields[0].(ImageObject).Pixels(); px.SizeX == 0 {
		t.Error("well fields must carry Pixels")
	}
	loose, err := c.OrphanedPlates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lw, _ := find(t, loose, "Loose plate").(Container).ListChildren(ctx)
	find(t, lw, "2-3")
}

func TestWellLabels(t *testing.T) {
	cases := map[[2]int]string{{0, 0}: "A1", {7, 11}: "H12", {25, 0}: "Z1", {26, 0}: "AA1", {27, 4}: "AB5"}
	for rc, want := range cases {
		if got := WellLabel(rc[0], rc[1], "letter", "number"); got != want {
			t.Errorf("%v = %q, want %q", rc, got, want)
		}
	}
	if got := WellLabel(0, 10, "number", "number"); got != "1-11" {
		t.Errorf("number/number = %q", got)
	}
	if got := WellLabel(1, 2, "number", "letter"); got != "2C" {
		t.Errorf("number/letter = %q", got)
	}
}

// myImage extends the standard wrapper, as a user would.
type myImage struct {
	*Image
	extra string
}

func TestCustomWrapper(t *testing.T) {
	reg := DefaultRegistry()
	reg.Register("Image", func(c *Client, raw any) (Object, error) {
		im, err := NewImage(c, raw.(*gateway.Image))
		return &myImage{Image: im, extra: "mine"}, err
	})
	_, c := client(t, reg)
	objs, err := c.OrphanedImages(context.Background())
	if err != nil || len(objs) == 0 {
		t.Fatal(err)
	}
	for _, o := range objs {
		m, ok := o.(*myImage)
		if !ok || m.extra != "mine" {
			t.Fatalf("got %T, want the registered wrapper", o)
		}
		if _, ok := o.(ImageObject); !ok {
			t.Fatal("the extended wrapper must still be an image")
		}
	}
	if im, err := c.Image(context.Background(), objs[0].ID()); err != nil || im.(*myImage).extra != "mine" {
		t.Fatalf("Image by id: %T %v", im, err)
	}
}
