package wrappers

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/omerofs/omerofs/gateway"
)

// KeyValue is one pair of a map annotation (keys may repeat).
type KeyValue struct {
	Key, Value, Namespace string
	AnnotationID          int64
}

// Tag is a tag on an object.
type Tag struct {
	ID          int64
	Text        string
	Description string
}

// Comment is a comment on an object.
type Comment struct {
	ID      int64
	Text    string
	OwnerID int64
	Date    string
}

// Attachment is a file attached to an object.
type Attachment struct {
	AnnotationID int64
	FileID       int64
	Name         string
	Size         int64
	Mimetype     string
	// Refused: the server said in advance it will not send the bytes
	// (permissions.canDownload false).
	Refused bool
}

// Annotations are an object's annotations, in the server's order.
type Annotations struct {
	KeyValues   []KeyValue
	Tags        []Tag
	Comments    []Comment
	Attachments []Attachment
}

// AnnotationsOf gets the annotations of many objects of one type ("image",
// "dataset", "project", "screen", "plate", "well") in one request per 200
// ids, by object id. Every id gets an entry (empty when unannotated). A
// server without the route (an old OMERO.web) gives empty entries and one
// warning for the mount.
func (c *Client) AnnotationsOf(ctx context.Context, objType string, ids []int64) (map[int64]*Annotations, error) {
	out := make(map[int64]*Annotations, len(ids))
	for _, id := range ids {
		out[id] = &Annotations{}
	}
	anns, _, err := c.conn.Annotations(ctx, "", objType, ids)
	if errors.Is(err, gateway.ErrNotFound) {
		c.warnMissing("webclient/api/annotations", err)
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("annotations of %d %ss: %w", len(ids), objType, err)
	}
	// Links were grouped by namespace: put each object's in id order.
	sort.SliceStable(anns, func(i, j int) bool { return anns[i].ID < anns[j].ID })
	for _, a := range anns {
		dst := out[a.Link.Parent.ID]
		if dst == nil {
			continue
		}
		switch a.Class {
		case "MapAnnotationI":
			for _, kv := range a.Values {
				if len(kv) == 2 {
					dst.KeyValues = append(dst.KeyValues, KeyValue{Key: kv[0], Value: kv[1], Namespace: deref(a.Ns), AnnotationID: a.ID})
				}
			}
		case "TagAnnotationI":
			dst.Tags = append(dst.Tags, Tag{ID: a.ID, Text: deref(a.TextValue), Description: deref(a.Description)})
		case "CommentAnnotationI":
			dst.Comments = append(dst.Comments, Comment{ID: a.ID, Text: deref(a.TextValue), OwnerID: a.Owner.ID, Date: a.Date})
		case "FileAnnotationI":
			if a.File != nil {
				dst.Attachments = append(dst.Attachments, Attachment{AnnotationID: a.ID, FileID: a.File.ID, Name: a.File.Name,
					Size: a.File.Size, Mimetype: a.File.Mimetype,
					Refused: a.Permissions.CanDownload != nil && !*a.Permissions.CanDownload})
			}
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
