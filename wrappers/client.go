package wrappers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/omerofs/omerofs/gateway"
)

// Client is the root of the wrapped objects: the top-level lists and
// images by id. It is safe for concurrent use.
type Client struct {
	conn *gateway.Conn
	reg  *Registry
	log  logrus.FieldLogger

	shared interner // values listed objects repeat (intern.go)

	filesets filesets // originals.go
	warned   sync.Map // route → struct{}: warnMissing said it once
}

// NewClient wraps conn; reg nil means DefaultRegistry().
func NewClient(conn *gateway.Conn, reg *Registry) *Client {
	if reg == nil {
		reg = DefaultRegistry()
	}
	return &Client{conn: conn, reg: reg, log: logrus.StandardLogger()}
}

// SetLogger sets where the client's warnings go.
func (c *Client) SetLogger(l logrus.FieldLogger) { c.log = l }

// warnMissing says once per mount that the server lacks a route (an older
// OMERO.web), rather than failing every object that needs it.
func (c *Client) warnMissing(route string, err error) {
	if _, done := c.warned.LoadOrStore(route, struct{}{}); !done {
		c.log.WithError(err).Warnf("the server has no %s: the data view shows no such data", route)
	}
}

// Conn is the connection the wrappers use.
func (c *Client) Conn() *gateway.Conn { return c.conn }

func (c *Client) webURL(typ string, id int64) string {
	return c.conn.Root() + "webclient/?show=" + strings.ToLower(typ) + "-" + strconv.FormatInt(id, 10)
}

// wrapList wraps a listing through the registry: kind is the OMERO type
// whose constructor makes each object, what names the listing in errors.
func wrapList[T any](c *Client, kind string, objs []T, err error, what string) ([]Object, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]Object, 0, len(objs))
	for i := range objs {
		o, err := c.reg.make(kind, c, &objs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: wrap %s: %w", what, kind, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// Projects lists every project.
func (c *Client) Projects(ctx context.Context) ([]Object, error) {
	ps, err := c.conn.Projects(ctx)
	return wrapList(c, "Project", ps, err, "list projects")
}

// OrphanedDatasets lists the datasets in no project.
func (c *Client) OrphanedDatasets(ctx context.Context) ([]Object, error) {
	ds, err := c.conn.OrphanedDatasets(ctx)
	return wrapList(c, "Dataset", ds, err, "list orphaned datasets")
}

// OrphanedImages lists the images in no dataset.
func (c *Client) OrphanedImages(ctx context.Context) ([]Object, error) {
	ims, err := c.conn.OrphanedImages(ctx)
	return wrapList(c, "Image", ims, err, "list orphaned images")
}

// Screens lists every screen.
func (c *Client) Screens(ctx context.Context) ([]Object, error) {
	ss, err := c.conn.Screens(ctx)
	return wrapList(c, "Screen", ss, err, "list screens")
}

// OrphanedPlates lists the plates in no screen.
func (c *Client) OrphanedPlates(ctx context.Context) ([]Object, error) {
	ps, err := c.conn.OrphanedPlates(ctx)
	return wrapList(c, "Plate", ps, err, "list orphaned plates")
}

// Image gets one image by id.
func (c *Client) Image(ctx context.Context, id int64) (ImageObject, error) {
	im, err := c.conn.Image(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := c.reg.make("Image", c, im)
	if err != nil {
		return nil, err
	}
	img, ok := o.(ImageObject)
	if !ok {
		return nil, fmt.Errorf("the registered Image wrapper (%T) is not an ImageObject", o)
	}
	return img, nil
}

// Thumbnails gets OMERO's thumbnails of up to gateway.MaxThumbnailBatch
// images in one request, as JPEG bytes by image id.
func (c *Client) Thumbnails(ctx context.Context, imageIDs []int64, size int) (map[int64][]byte, error) {
	return c.conn.Thumbnails(ctx, imageIDs, size)
}
