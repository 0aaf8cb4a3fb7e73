package wrappers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/omerofs/omerofs/gateway"
)

// Project contains datasets.
type Project struct{ Base }

// NewProject wraps a decoded project.
func NewProject(c *Client, p *gateway.Project) *Project { return &Project{NewBase(c, p.Object)} }

// ListChildren lists the project's datasets.
func (p *Project) ListChildren(ctx context.Context) ([]Object, error) {
	ds, err := p.Client.conn.Datasets(ctx, p.ID())
	return wrapList(p.Client, "Dataset", ds, err, fmt.Sprintf("list datasets of project %d", p.ID()))
}

// Dataset contains images.
type Dataset struct{ Base }

// NewDataset wraps a decoded dataset.
func NewDataset(c *Client, d *gateway.Dataset) *Dataset { return &Dataset{NewBase(c, d.Object)} }

// ListChildren lists the dataset's images.
func (d *Dataset) ListChildren(ctx context.Context) ([]Object, error) {
	ims, err := d.Client.conn.Images(ctx, d.ID())
	return wrapList(d.Client, "Image", ims, err, fmt.Sprintf("list images of dataset %d", d.ID()))
}

// Screen contains plates.
type Screen struct{ Base }

// NewScreen wraps a decoded screen.
func NewScreen(c *Client, s *gateway.Screen) *Screen { return &Screen{NewBase(c, s.Object)} }

// ListChildren lists the screen's plates.
func (s *Screen) ListChildren(ctx context.Context) ([]Object, error) {
	ps, err := s.Client.conn.Plates(ctx, s.ID())
	return wrapList(s.Client, "Plate", ps, err, fmt.Sprintf("list plates of screen %d", s.ID()))
}

// Plate contains wells, named by its naming conventions.
type Plate struct {
	Base
	Rows, Columns           int
	RowNaming, ColumnNaming string // "letter" or "number"
}

// NewPlate wraps a decoded plate.
func NewPlate(c *Client, p *gateway.Plate) *Plate {
	pl := &Plate{Base: NewBase(c, p.Object), RowNaming: "letter", ColumnNaming: "number"}
	if p.Rows != nil {
		pl.Rows = *p.Rows
	}
	if p.Columns != nil {
		pl.Columns = *p.Columns
	}
	if p.RowNamingConvention != nil && *p.RowNamingConvention != "" {
		pl.RowNaming = *p.RowNamingConvention
	}
	if p.ColumnNamingConvention != nil && *p.ColumnNamingConvention != "" {
		pl.ColumnNaming = *p.ColumnNamingConvention
	}
	return pl
}

// ListChildren lists the plate's wells.
func (p *Plate) ListChildren(ctx context.Context) ([]Object, error) {
	ws, err := p.Client.conn.Wells(ctx, p.ID())
	data := make([]WellData, len(ws))
	for i := range ws {
		data[i] = WellData{Well: &ws[i], RowNaming: p.RowNaming, ColumnNaming: p.ColumnNaming}
	}
	return wrapList(p.Client, "Well", data, err, fmt.Sprintf("list wells of plate %d", p.ID()))
}

// WellData is what a Well constructor gets: the decoded well and its
// plate's naming conventions.
type WellData struct {
	*gateway.Well
	RowNaming, ColumnNaming string
}

// Well is a well; its children are its fields' images.
type Well struct {
	Base
	Row, Column int
	label       string
}

// NewWell wraps a decoded well.
func NewWell(c *Client, w *WellData) *Well {
	wl := &Well{Base: NewBase(c, w.Object)}
	if w.Row != nil {
		wl.Row = *w.Row
	}
	if w.Column != nil {
		wl.Column = *w.Column
	}
	wl.label = WellLabel(wl.Row, wl.Column, w.RowNaming, w.ColumnNaming)
	wl.name = wl.label
	return wl
}

// Label is the well's name by its plate's conventions: A1, B12, AA3, 1-1.
func (w *Well) Label() string { return w.label }

// ListChildren lists the well's field images. A plate's well list carries
// no Pixels, so the well is read again whole.
func (w *Well) ListChildren(ctx context.Context) ([]Object, error) {
	full, err := w.Client.conn.Well(ctx, w.ID())
	if err != nil {
		return nil, fmt.Errorf("list fields of well %d: %w", w.ID(), err)
	}
	var out []Object
	for _, ws := range full.WellSamples {
		if ws.Image == nil {
			continue
		}
		o, err := w.Client.reg.make("Image", w.Client, ws.Image)
		if err != nil {
			return nil, fmt.Errorf("wrap field of well %d: %w", w.ID(), err)
		}
		out = append(out, o)
	}
	return out, nil
}

// WellLabel names a well by the plate's row and column conventions
// ("letter": A..Z, AA.. ; "number": 1-based). Two numbers are joined by '-'
// so that row 1, column 11 and row 11, column 1 differ.
func WellLabel(row, col int, rowNaming, colNaming string) string {
	r, c := axisLabel(row, rowNaming), axisLabel(col, colNaming)
	if rowNaming != "letter" && colNaming != "letter" {
		return r + "-" + c
	}
	return r + c
}

func axisLabel(i int, naming string) string {
	if naming != "letter" || i < 0 {
		return strconv.Itoa(i + 1)
	}
	s := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}
