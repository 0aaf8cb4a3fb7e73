package wrappers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/omerofs/omerofs/gateway"
)

// Client is the root of the wrapped objects: the top-level lists and
// images by id. It is safe for concurrent use.
type Client struct {
	conn *gateway.Conn
	reg  *Registry
}

// NewClient wraps conn; reg nil means DefaultRegistry().
func NewClient(conn *gateway.Conn, reg *Registry) *Client {
	if reg == nil {
		reg = DefaultRegistry()
	}
	return &Client{conn: conn, reg: reg}
}

// Conn is the connection the wrappers use.
func (c *Client) Conn() *gateway.Conn { return c.conn }

func (c *Client) webURL(typ string, id int64) string {
	return c.conn.Root() + "webclient/?show=" + strings.ToLower(typ) + "-" + strconv.FormatInt(id, 10)
}

// wrapAll wraps decoded objects through the registry.
func wrapAll[T any](c *Client, kind string, objs []T, wrap func(*T) (Object, error)) ([]Object, error) {
	out := make([]Object, 0, len(objs))
	for i := range objs {
		o, err := wrap(&objs[i])
		if err != nil {
			return nil, fmt.Errorf("wrap %s: %w", kind, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// Projects lists every project.
func (c *Client) Projects(ctx context.Context) ([]Object, error) {
	ps, err := c.conn.Projects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return wrapAll(c, "project", ps, func(p *gateway.Project) (Object, error) { return c.reg.project(c, p) })
}

// OrphanedDatasets lists the datasets in no project.
func (c *Client) OrphanedDatasets(ctx context.Context) ([]Object, error) {
	ds, err := c.conn.OrphanedDatasets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list orphaned datasets: %w", err)
	}
	return wrapAll(c, "dataset", ds, func(d *gateway.Dataset) (Object, error) { return c.reg.dataset(c, d) })
}

// OrphanedImages lists the images in no dataset.
func (c *Client) OrphanedImages(ctx context.Context) ([]Object, error) {
	ims, err := c.conn.OrphanedImages(ctx)
	if err != nil {
		return nil, fmt.Errorf("list orphaned images: %w", err)
	}
	return wrapAll(c, "image", ims, func(im *gateway.Image) (Object, error) { return c.reg.image(c, im) })
}

// Screens lists every screen.
func (c *Client) Screens(ctx context.Context) ([]Object, error) {
	ss, err := c.conn.Screens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list screens: %w", err)
	}
	return wrapAll(c, "screen", ss, func(s *gateway.Screen) (Object, error) { return c.reg.screen(c, s) })
}

// OrphanedPlates lists the plates in no screen.
func (c *Client) OrphanedPlates(ctx context.Context) ([]Object, error) {
	ps, err := c.conn.OrphanedPlates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list orphaned plates: %w", err)
	}
	return wrapAll(c, "plate", ps, func(p *gateway.Plate) (Object, error) { return c.reg.plate(c, p) })
}

// Image gets one image by id.
func (c *Client) Image(ctx context.Context, id int64) (ImageObject, error) {
	im, err := c.conn.Image(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := c.reg.image(c, im)
	if err != nil {
		return nil, err
	}
	img, ok := o.(ImageObject)
	if !ok {
		return nil, fmt.Errorf("the registered Image wrapper (%T) is not an ImageObject", o)
	}
	return img, nil
}

// Thumbnails gets OMERO's thumbnails of up to 50 images in one request, as
// JPEG bytes by image id.
func (c *Client) Thumbnails(ctx context.Context, imageIDs []int64, size int) (map[int64][]byte, error) {
	return c.conn.Thumbnails(ctx, imageIDs, size)
}
