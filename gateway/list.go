package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Paging. A list is read page by page with the largest page the server
// allows (500 by default; a server that caps lower says so in
// meta.maxLimit). Objects created or deleted between two pages shift the
// offsets, and names that tie may come back in another order: so objects
// are deduplicated by @id, and when the count changed or fewer unique
// objects came back than the server counted, the whole list is read again
// (a bounded number of times).

const (
	pageSize     = 500
	listAttempts = 3
	maxPages     = 100000 // a runaway server cannot keep us paging forever
)

type pageMeta struct {
	Offset     int  `json:"offset"`
	Limit      int  `json:"limit"`
	MaxLimit   *int `json:"maxLimit"`
	TotalCount *int `json:"totalCount"`
}

// typedPage is one page decoded straight into its objects: one pass of the
// JSON decoder over the body, which is most of a listing's CPU time.
type typedPage[T any] struct {
	Data []T       `json:"data"`
	Meta *pageMeta `json:"meta"`
}

// object is what every decoded type offers through its embedded Object.
type object[T any] interface {
	*T
	head() *Object
}

func (o *Object) head() *Object { return o }

// lister reads a list of one kind.
type lister[T any, PT object[T]] struct {
	c     *Conn
	path  string
	kind  string
	check func(*T) error
}

// passResult says how one pass over the pages went.
type passResult int

const (
	passComplete passResult = iota // every object once, the count held
	passPartial                    // the count held, but fewer objects came back (ties reordered between pages)
	passChanged                    // the count changed between pages: objects were added or deleted meanwhile
)

// all reads every object of the list, in server order. A pass during which
// the count changed is thrown away and the list read again: its pages mix
// two states of the list. While the count holds, the objects of every pass
// are pooled: a server that orders ties differently from one request to
// the next hides different objects from each pass, so the pool fills up
// even when no single pass is complete.
func (l lister[T, PT]) all(ctx context.Context, q url.Values) ([]T, error) {
	var pool, last []T
	inPool := map[int64]bool{}
	poolTotal := -1
	parallel := true
	for attempt := 0; attempt < listAttempts; attempt++ {
		objs, total, result, err := l.once(ctx, q, parallel)
		if err != nil {
			return nil, err
		}
		switch result {
		case passComplete:
			return objs, nil
		case passChanged:
			last, pool, inPool, poolTotal = objs, nil, map[int64]bool{}, -1
			l.c.log.WithField("path", l.path).Debug("listing changed while paging: reading it again")
			continue
		}
		// Ties came back in another order between pages: read the next
		// passes page after page, so that each pass sees one order per page
		// in turn and the passes together see every object.
		parallel = false
		last = objs
		if total != poolTotal {
			pool, inPool, poolTotal = nil, map[int64]bool{}, total
		}
		for _, o := range objs {
			if id := PT(&o).head().ID; !inPool[id] {
				inPool[id] = true
				pool = append(pool, o)
			}
		}
		if len(pool) == total {
			return pool, nil
		}
		l.c.log.WithField("path", l.path).Debug("listing came back incomplete: reading it again")
	}
	if pool == nil {
		pool = last // it never held still: show the last pass, refreshed after the TTL
	}
	l.c.log.WithField("path", l.path).Warnf("listing kept changing while paging; showing %d objects", len(pool))
	return pool, nil
}

// once reads the pages once and says how it went; total is the count the
// pages gave (the newest, when it changed; -1 when the server gives none).
// The first
// page says how many there are; the others are then fetched a few at a
// time, in parallel, and put back in order.
func (l lister[T, PT]) once(ctx context.Context, base url.Values, parallel bool) ([]T, int, passResult, error) {
	first, err := l.page(ctx, base, 0, pageSize)
	if err != nil {
		return nil, -1, passChanged, err
	}
	if first.Meta == nil || first.Meta.TotalCount == nil {
		return l.sequential(ctx, base, first)
	}
	total := *first.Meta.TotalCount
	limit := pageSize
	if first.Meta.Limit > 0 && first.Meta.Limit < limit {
		limit = first.Meta.Limit // the server caps pages lower
	} else if first.Meta.MaxLimit != nil && *first.Meta.MaxLimit > 0 && *first.Meta.MaxLimit < limit {
		limit = *first.Meta.MaxLimit
	}
	var offsets []int
	if len(first.Data) > 0 {
		for off := len(first.Data); off < total; off += limit {
			offsets = append(offsets, off)
		}
	}
	if len(offsets) > maxPages {
		return nil, total, passChanged, fmt.Errorf("%s: %d pages: %w", l.path, len(offsets), ErrBadResponse)
	}
	pages := make([]*typedPage[T], len(offsets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(1)
	if parallel {
		g.SetLimit(min(parallelPages, l.c.cfg.MaxRequests))
	}
	for i, off := range offsets {
		g.Go(func() error {
			p, err := l.page(gctx, base, off, limit)
			pages[i] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, total, passChanged, err
	}
	seen := map[int64]bool{}
	var out []T
	changed := false
	for _, p := range append([]*typedPage[T]{first}, pages...) {
		if p.Meta == nil || p.Meta.TotalCount == nil || *p.Meta.TotalCount != total {
			changed = true
			if p.Meta != nil && p.Meta.TotalCount != nil {
				total = *p.Meta.TotalCount
			}
		}
		for _, o := range p.Data {
			if id := PT(&o).head().ID; !seen[id] {
				seen[id] = true
				out = append(out, o)
			}
		}
	}
	switch {
	case changed:
		return out, total, passChanged, nil
	case len(out) != total:
		return out, total, passPartial, nil
	}
	return out, total, passComplete, nil
}

// parallelPages bounds the pages of one listing fetched at once.
const parallelPages = 4

// page fetches and checks one page.
func (l lister[T, PT]) page(ctx context.Context, base url.Values, offset, limit int) (*typedPage[T], error) {
	q := url.Values{}
	for k, v := range base {
		q[k] = v
	}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(limit))
	body, err := l.c.getJSON(ctx, l.path, q)
	if err != nil {
		return nil, err
	}
	return parsePage[T, PT](l.path, body, l.kind, l.check)
}

// sequential pages on without a count (a server that sends no meta): a
// short or empty page is the last.
func (l lister[T, PT]) sequential(ctx context.Context, base url.Values, first *typedPage[T]) ([]T, int, passResult, error) {
	seen := map[int64]bool{}
	var out []T
	p := first
	offset := 0
	for n := 0; ; n++ {
		for _, o := range p.Data {
			if id := PT(&o).head().ID; !seen[id] {
				seen[id] = true
				out = append(out, o)
			}
		}
		offset += len(p.Data)
		if len(p.Data) < pageSize {
			return out, -1, passComplete, nil
		}
		if n >= maxPages {
			return nil, -1, passChanged, fmt.Errorf("%s: more than %d pages: %w", l.path, maxPages, ErrBadResponse)
		}
		var err error
		if p, err = l.page(ctx, base, offset, pageSize); err != nil {
			return nil, -1, passChanged, err
		}
	}
}

// parsePage decodes one page of a list and checks every object in it: an
// @id (OMERO ids are positive) and the @type of the list's kind.
func parsePage[T any, PT object[T]](path string, body []byte, kind string, check func(*T) error) (*typedPage[T], error) {
	var p typedPage[T]
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, badResponse(path, "list page", err)
	}
	if p.Data == nil {
		return nil, badResponse(path, "list page without data", nil)
	}
	for i := range p.Data {
		h := PT(&p.Data[i]).head()
		if h.ID <= 0 {
			return nil, badResponse(path, "list page", fmt.Errorf("a %s without a valid @id", kind))
		}
		if kindOf(h.Type) != kind {
			return nil, badResponse(path, "list page", fmt.Errorf("want a %s, got @type %q", kind, h.Type))
		}
		if check != nil {
			if err := check(&p.Data[i]); err != nil {
				return nil, badResponse(path, "list page", err)
			}
		}
	}
	return &p, nil
}

// listQuery holds the parameters every list shares.
func (c *Conn) listQuery(extra url.Values) url.Values {
	q := url.Values{}
	if g := c.GroupFilter(); g > 0 {
		q.Set("group", strconv.FormatInt(g, 10))
	}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func listTyped[T any, PT object[T]](ctx context.Context, c *Conn, path string, q url.Values, kind string, check func(*T) error) ([]T, error) {
	return lister[T, PT]{c: c, path: path, kind: kind, check: check}.all(ctx, c.listQuery(q))
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

var orphaned = url.Values{"orphaned": {"true"}}

// Projects lists every project.
func (c *Conn) Projects(ctx context.Context) ([]Project, error) {
	return listTyped[Project](ctx, c, apiBase+"m/projects/", nil, "Project", nil)
}

// Datasets lists the datasets of a project.
func (c *Conn) Datasets(ctx context.Context, projectID int64) ([]Dataset, error) {
	return listTyped[Dataset](ctx, c, apiBase+"m/projects/"+id(projectID)+"/datasets/", nil, "Dataset", nil)
}

// OrphanedDatasets lists the datasets in no project.
func (c *Conn) OrphanedDatasets(ctx context.Context) ([]Dataset, error) {
	return listTyped[Dataset](ctx, c, apiBase+"m/datasets/", orphaned, "Dataset", nil)
}

// Images lists the images of a dataset, with their Pixels.
func (c *Conn) Images(ctx context.Context, datasetID int64) ([]Image, error) {
	return listTyped(ctx, c, apiBase+"m/datasets/"+id(datasetID)+"/images/", nil, "Image", (*Image).check)
}

// OrphanedImages lists the images in no dataset.
func (c *Conn) OrphanedImages(ctx context.Context) ([]Image, error) {
	return listTyped(ctx, c, apiBase+"m/images/", orphaned, "Image", (*Image).check)
}

// Screens lists every screen.
func (c *Conn) Screens(ctx context.Context) ([]Screen, error) {
	return listTyped[Screen](ctx, c, apiBase+"m/screens/", nil, "Screen", nil)
}

// Plates lists the plates of a screen.
func (c *Conn) Plates(ctx context.Context, screenID int64) ([]Plate, error) {
	return listTyped[Plate](ctx, c, apiBase+"m/screens/"+id(screenID)+"/plates/", nil, "Plate", nil)
}

// OrphanedPlates lists the plates in no screen.
func (c *Conn) OrphanedPlates(ctx context.Context) ([]Plate, error) {
	return listTyped[Plate](ctx, c, apiBase+"m/plates/", orphaned, "Plate", nil)
}

// Wells lists the wells of a plate (their fields' images without Pixels).
func (c *Conn) Wells(ctx context.Context, plateID int64) ([]Well, error) {
	return listTyped(ctx, c, apiBase+"m/plates/"+id(plateID)+"/wells/", nil, "Well", (*Well).check)
}

// getObject GETs one object of a kind.
func getObject[T any](ctx context.Context, c *Conn, kind, plural string, objID int64, v *T) error {
	path := apiBase + "m/" + plural + "/" + id(objID) + "/"
	body, err := c.getJSON(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("get %s %d: %w", kind, objID, err)
	}
	var one struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &one); err != nil || len(one.Data) == 0 {
		return badResponse(path, kind, err)
	}
	if err := decodeObject(one.Data, kind, v); err != nil {
		return badResponse(path, kind, err)
	}
	return nil
}

// Project gets one project.
func (c *Conn) Project(ctx context.Context, projectID int64) (*Project, error) {
	var p Project
	return &p, getObject(ctx, c, "Project", "projects", projectID, &p)
}

// Dataset gets one dataset.
func (c *Conn) Dataset(ctx context.Context, datasetID int64) (*Dataset, error) {
	var d Dataset
	return &d, getObject(ctx, c, "Dataset", "datasets", datasetID, &d)
}

// Image gets one image, with its Pixels and Channels.
func (c *Conn) Image(ctx context.Context, imageID int64) (*Image, error) {
	var im Image
	if err := getObject(ctx, c, "Image", "images", imageID, &im); err != nil {
		return nil, err
	}
	if err := im.check(); err != nil {
		return nil, badResponse("image", "image", err)
	}
	return &im, nil
}

// Screen gets one screen.
func (c *Conn) Screen(ctx context.Context, screenID int64) (*Screen, error) {
	var s Screen
	return &s, getObject(ctx, c, "Screen", "screens", screenID, &s)
}

// Plate gets one plate.
func (c *Conn) Plate(ctx context.Context, plateID int64) (*Plate, error) {
	var p Plate
	return &p, getObject(ctx, c, "Plate", "plates", plateID, &p)
}

// Well gets one well, with its fields' images and their Pixels.
func (c *Conn) Well(ctx context.Context, wellID int64) (*Well, error) {
	var w Well
	if err := getObject(ctx, c, "Well", "wells", wellID, &w); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, badResponse("well", "well", err)
	}
	return &w, nil
}

// ExperimenterGroup is a group as the API lists it.
type ExperimenterGroup struct{ Object }

// Groups lists the groups the server shows (all of them, for group lookup
// by name).
func (c *Conn) Groups(ctx context.Context) ([]ExperimenterGroup, error) {
	return lister[ExperimenterGroup, *ExperimenterGroup]{c: c, path: apiBase + "m/experimentergroups/", kind: "ExperimenterGroup"}.all(ctx, nil)
}

// GroupByName returns the id of the group with this name.
func (c *Conn) GroupByName(ctx context.Context, name string) (int64, error) {
	gs, err := c.Groups(ctx)
	if errors.Is(err, ErrNotFound) {
		// OMERO.web before 5.7 has no group list (docs/omero-web.md).
		return 0, fmt.Errorf("this OMERO.web lists no groups (m/experimentergroups/ came with 5.7): give the group's id instead of %q: %w", name, err)
	}
	if err != nil {
		return 0, fmt.Errorf("list groups: %w", err)
	}
	var names []string
	for _, g := range gs {
		if g.Name != nil && *g.Name == name {
			return g.ID, nil
		}
		if g.Name != nil {
			names = append(names, *g.Name)
		}
	}
	return 0, fmt.Errorf("no group named %q (groups: %s): %w", name, strings.Join(names, ", "), ErrNotFound)
}

// SetGroupFilter limits the lists that follow to one group (0: all).
func (c *Conn) SetGroupFilter(id int64) {
	c.mu.Lock()
	c.cfg.Group = id
	c.mu.Unlock()
}
