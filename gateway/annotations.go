package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Annotations from webclient's api/annotations (docs/omero-web.md): one
// request serves many objects, their ids repeated in the query.

// Annotation is one annotation on one object (the link's parent).
type Annotation struct {
	ID          int64   `json:"id"`
	Class       string  `json:"class"` // "MapAnnotationI", "TagAnnotationI", "CommentAnnotationI", "FileAnnotationI", …
	Ns          *string `json:"ns"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Owner       struct {
		ID int64 `json:"id"`
	} `json:"owner"`
	Date        string `json:"date"`
	Permissions struct {
		CanDownload *bool `json:"canDownload"` // file annotations only
	} `json:"permissions"`
	Link struct {
		ID     int64 `json:"id"`
		Parent struct {
			ID    int64  `json:"id"`
			Class string `json:"class"` // "ImageI", "DatasetI", …
			Name  string `json:"name"`
		} `json:"parent"`
	} `json:"link"`
	Values    [][]string      `json:"values"`    // map: [key, value] pairs, keys may repeat
	TextValue *string         `json:"textValue"` // tag, comment
	LongValue *int64          `json:"longValue"`
	File      *AnnotationFile `json:"file"`
}

// AnnotationFile is a file annotation's file.
type AnnotationFile struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Path     string `json:"path"`
	Mimetype string `json:"mimetype"`
}

// AnnotationOwner is an owner from the answer's experimenters.
type AnnotationOwner struct {
	ID        int64  `json:"id"`
	OmeName   string `json:"omeName"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// annotationBatch bounds the ids of one request: a URL of a few KB passes
// every proxy (nginx's default header buffer is 8 KB).
const annotationBatch = 200

// Annotations gets the annotations of kind ("map", "tag", "comment",
// "file"; "" for all) on the objects of parentType ("image", "dataset",
// "project", "screen", "plate", "well") with the given ids: one request
// per 200 ids. page=0 turns the server's paging off, whose only order is
// the namespace (pages could repeat or skip links).
func (c *Conn) Annotations(ctx context.Context, kind, parentType string, ids []int64) ([]Annotation, []AnnotationOwner, error) {
	var anns []Annotation
	var owners []AnnotationOwner
	seen := map[int64]bool{}
	for start := 0; start < len(ids); start += annotationBatch {
		q := url.Values{"page": {"0"}}
		if kind != "" {
			q.Set("type", kind)
		}
		for _, n := range ids[start:min(start+annotationBatch, len(ids))] {
			q.Add(parentType, strconv.FormatInt(n, 10))
		}
		const path = "webclient/api/annotations/"
		body, err := c.getJSON(ctx, path, q)
		if err != nil {
			return nil, nil, fmt.Errorf("%s annotations of %d %ss: %w", kind, len(ids), parentType, err)
		}
		var page struct {
			Annotations   []Annotation      `json:"annotations"`
			Experimenters []AnnotationOwner `json:"experimenters"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, nil, badResponse(path, "annotations", err)
		}
		if page.Annotations == nil {
			return nil, nil, badResponse(path, "no annotations list", nil)
		}
		anns = append(anns, page.Annotations...)
		for _, o := range page.Experimenters {
			if !seen[o.ID] {
				seen[o.ID] = true
				owners = append(owners, o)
			}
		}
	}
	return anns, owners, nil
}
