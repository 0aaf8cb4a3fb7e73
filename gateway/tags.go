package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Tags from webclient's api/tags/ (docs/omero-web.md, "Tags"). Both calls
// ask for page=0, which turns the server's paging off: one request gives
// every tag, or everything one tag carries.

// Tag is a tag or a tag set.
type Tag struct {
	ID          int64   `json:"id"`
	Value       *string `json:"value"`
	Description *string `json:"description"`
	OwnerID     int64   `json:"ownerId"`
	Set         bool    `json:"set"`
	ChildCount  int     `json:"childCount"`
}

// TaggedObject is a container or image that carries a tag, as api/tags/
// marshals it: a name, an owner id and, for images asked with sizes,
// SizeX/SizeY/SizeZ/SizeT (no channels, no pixel type).
type TaggedObject struct {
	ID         int64   `json:"id"`
	Name       *string `json:"name"`
	OwnerID    int64   `json:"ownerId"`
	ChildCount *int    `json:"childCount"`
	PlateID    *int64  `json:"plateId"` // wells
	SizeX      *int    `json:"sizeX"`
	SizeY      *int    `json:"sizeY"`
	SizeZ      *int    `json:"sizeZ"`
	SizeT      *int    `json:"sizeT"`
}

// Tagged is what carries one tag, and (for a tag set) the tags in it.
type Tagged struct {
	Projects []TaggedObject `json:"projects"`
	Datasets []TaggedObject `json:"datasets"`
	Images   []TaggedObject `json:"images"`
	Screens  []TaggedObject `json:"screens"`
	Plates   []TaggedObject `json:"plates"`
	Wells    []TaggedObject `json:"wells"`
	Tags     []Tag          `json:"tags"`
}

const tagsPath = "webclient/api/tags/"

func (c *Conn) tagQuery() url.Values {
	q := url.Values{"page": {"0"}}
	if g := c.GroupFilter(); g > 0 {
		q.Set("group", strconv.FormatInt(g, 10))
	}
	return q
}

// Tags lists every tag the user can see, tag sets and their members
// included, in id order; with outsideSets, only the tags in no tag set and
// the sets themselves.
func (c *Conn) Tags(ctx context.Context, outsideSets bool) ([]Tag, error) {
	q := c.tagQuery()
	if outsideSets {
		q.Set("orphaned", "true")
	}
	body, err := c.getJSON(ctx, tagsPath, q)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var page struct {
		Tags []Tag `json:"tags"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, badResponse(tagsPath, "tags", err)
	}
	if page.Tags == nil {
		return nil, badResponse(tagsPath, "no tags list", nil)
	}
	if err := checkTags(page.Tags); err != nil {
		return nil, badResponse(tagsPath, "tags", err)
	}
	return page.Tags, nil
}

// Tagged lists what carries the tag (images with their sizes), and the
// tags of a tag set: one request.
func (c *Conn) Tagged(ctx context.Context, tagID int64) (*Tagged, error) {
	q := c.tagQuery()
	q.Set("id", strconv.FormatInt(tagID, 10))
	q.Set("sizeXYZ", "true")
	body, err := c.getJSON(ctx, tagsPath, q)
	if err != nil {
		return nil, fmt.Errorf("objects tagged %d: %w", tagID, err)
	}
	var t Tagged
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, badResponse(tagsPath, "tagged objects", err)
	}
	if t.Tags == nil || t.Images == nil {
		return nil, badResponse(tagsPath, "tagged objects without tags or images", nil)
	}
	if err := checkTags(t.Tags); err != nil {
		return nil, badResponse(tagsPath, "tagged objects", err)
	}
	for _, l := range [][]TaggedObject{t.Projects, t.Datasets, t.Images, t.Screens, t.Plates, t.Wells} {
		for _, o := range l {
			if o.ID <= 0 {
				return nil, badResponse(tagsPath, "tagged objects", fmt.Errorf("an object without a valid id"))
			}
			if (o.SizeX != nil && *o.SizeX < 0) || (o.SizeY != nil && *o.SizeY < 0) {
				return nil, badResponse(tagsPath, "tagged objects", fmt.Errorf("image %d has negative sizes", o.ID))
			}
		}
	}
	return &t, nil
}

func checkTags(tags []Tag) error {
	for _, t := range tags {
		if t.ID <= 0 {
			return fmt.Errorf("a tag without a valid id")
		}
	}
	return nil
}
