package wrappers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/omerofs/omerofs/gateway"
)

// Tags as containers: a tag's children are the images and containers that
// carry it, a tag set's are its tags (docs/design.md, "Tags"). Everything
// one tag folder shows comes from one api/tags/ request.

// TagContainer is a tag, or a tag set (IsSet), as a folder.
type TagContainer struct {
	Client *Client
	Raw    gateway.Tag
}

// NewTagContainer wraps a decoded tag.
func NewTagContainer(c *Client, t gateway.Tag) *TagContainer { return &TagContainer{Client: c, Raw: t} }

// Type is "TagSet" for a tag set, "Tag" otherwise.
func (t *TagContainer) Type() string {
	if t.Raw.Set {
		return "TagSet"
	}
	return "Tag"
}

func (t *TagContainer) ID() int64 { return t.Raw.ID }

// Name is the tag's value ("" when empty).
func (t *TagContainer) Name() string {
	if t.Raw.Value == nil {
		return ""
	}
	return *t.Raw.Value
}

// IsSet reports whether the tag is a tag set.
func (t *TagContainer) IsSet() bool { return t.Raw.Set }

// Description is the tag's description, "" when none.
func (t *TagContainer) Description() string {
	if t.Raw.Description == nil {
		return ""
	}
	return *t.Raw.Description
}

// Owner knows only the owner's id: api/tags/ gives no more.
func (t *TagContainer) Owner() Experimenter { return Experimenter{ID: t.Raw.OwnerID} }
func (t *TagContainer) Group() Group        { return Group{} }

// WebURL opens the tag in the webclient's tag tree.
func (t *TagContainer) WebURL() string {
	return t.Client.conn.Root() + "webclient/?show=tag-" + strconv.FormatInt(t.ID(), 10)
}

// Tags lists the tags in no tag set, and the tag sets.
func (c *Client) Tags(ctx context.Context) ([]Object, error) {
	tags, err := c.conn.Tags(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out := make([]Object, len(tags))
	for i, t := range tags {
		out[i] = NewTagContainer(c, t)
	}
	return out, nil
}

// ListChildren lists a set's tags, or what carries a tag: its images (with
// the sizes api/tags/ gives, see TaggedImage), projects, datasets, screens
// and plates.
func (t *TagContainer) ListChildren(ctx context.Context) ([]Object, error) {
	what := fmt.Sprintf("list what carries tag %d", t.ID())
	tg, err := t.Client.conn.Tagged(ctx, t.ID())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []Object
	for _, child := range tg.Tags {
		out = append(out, NewTagContainer(t.Client, child))
	}
	obj := func(kind string, o gateway.TaggedObject) gateway.Object {
		return gateway.Object{ID: o.ID, Type: "#" + kind, Name: o.Name, ChildCount: o.ChildCount,
			Details: gateway.Details{Owner: &gateway.Experimenter{ID: o.OwnerID}}}
	}
	add := func(kind string, raw any) error {
		o, err := t.Client.reg.make(kind, t.Client, raw)
		if err != nil {
			return fmt.Errorf("%s: wrap %s: %w", what, kind, err)
		}
		out = append(out, o)
		return nil
	}
	for _, o := range tg.Projects {
		if err := add("Project", &gateway.Project{Object: obj("Project", o)}); err != nil {
			return nil, err
		}
	}
	for _, o := range tg.Datasets {
		if err := add("Dataset", &gateway.Dataset{Object: obj("Dataset", o)}); err != nil {
			return nil, err
		}
	}
	for _, o := range tg.Screens {
		if err := add("Screen", &gateway.Screen{Object: obj("Screen", o)}); err != nil {
			return nil, err
		}
	}
	for _, o := range tg.Plates {
		// The wells' names need the plate's naming conventions, which
		// api/tags/ leaves out: read the plate (tagged plates are few).
		p, err := t.Client.conn.Plate(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if err := add("Plate", p); err != nil {
			return nil, err
		}
	}
	for _, o := range tg.Images {
		im := &gateway.Image{Object: obj("Image", o), Pixels: &gateway.Pixels{
			SizeX: derefInt(o.SizeX), SizeY: derefInt(o.SizeY), SizeZ: derefInt(o.SizeZ), SizeT: derefInt(o.SizeT)}}
		w, err := t.Client.reg.make("Image", t.Client, im)
		if err != nil {
			return nil, fmt.Errorf("%s: wrap Image: %w", what, err)
		}
		img, ok := w.(ImageObject)
		if !ok {
			return nil, fmt.Errorf("%s: the registered Image wrapper (%T) is not an ImageObject", what, w)
		}
		out = append(out, &TaggedImage{ImageObject: img})
	}
	return out, nil
}

// TaggedImage is an image as a tag's listing knows it: id, name, owner id
// and X, Y, Z, T sizes, enough for its PNG's size, not for its channels,
// pixel type or group. Partial says so, so that a node made from a fuller
// listing elsewhere keeps what it knows.
type TaggedImage struct{ ImageObject }

// Partial reports that this image was listed with part of its metadata.
func (*TaggedImage) Partial() bool { return true }

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
