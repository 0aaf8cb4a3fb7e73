package gateway

import (
	"context"
	"fmt"
)

// AnyImage returns the id of one image the session can see (the first
// page of api/v0/m/images/ with limit 1), or 0 when it sees none. The
// mount probes the raw pixel routes with it: some answer for any id, so
// only a real image proves them.
func (c *Conn) AnyImage(ctx context.Context) (int64, error) {
	l := lister[Image, *Image]{c: c, path: apiBase + "m/images/", kind: "Image", check: (*Image).check}
	p, err := l.page(ctx, c.listQuery(nil), 0, 1)
	if err != nil {
		return 0, fmt.Errorf("find an image: %w", err)
	}
	if len(p.Data) == 0 {
		return 0, nil
	}
	return p.Data[0].ID, nil
}
