package wrappers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render"
)

// Image is an image: its pixels' description, and a rendering engine on
// demand.
type Image struct {
	Base
	px       Pixels
	acquired time.Time

	mu       sync.Mutex
	channels []string // labels, once known
}

// NewImage wraps a decoded image.
func NewImage(c *Client, im *gateway.Image) (*Image, error) {
	w := &Image{Base: NewBase(c, im.Object)}
	if p := im.Pixels; p != nil {
		w.px = Pixels{SizeX: p.SizeX, SizeY: p.SizeY, SizeZ: p.SizeZ, SizeC: p.SizeC, SizeT: p.SizeT,
			PhysicalSizeX: c.length(p.PhysicalSizeX), PhysicalSizeY: c.length(p.PhysicalSizeY), PhysicalSizeZ: c.length(p.PhysicalSizeZ)}
		if p.Type != nil {
			w.px.Type = c.str(p.Type.Value)
		}
		if len(p.Channels) > 0 {
			w.channels = channelLabels(p.Channels)
		}
	}
	if im.AcquisitionDate != nil && *im.AcquisitionDate > 0 {
		w.acquired = time.UnixMilli(*im.AcquisitionDate)
	}
	return w, nil
}

func length(l *gateway.Length) *Length {
	if l == nil {
		return nil
	}
	return &Length{Value: l.Value, Unit: l.Unit, Symbol: l.Symbol}
}

// length converts l, sharing equal values (intern.go).
func (c *Client) length(l *gateway.Length) *Length {
	if c == nil {
		return length(l)
	}
	return c.shared.length(length(l))
}

// str shares equal strings (intern.go).
func (c *Client) str(s string) string {
	if c == nil {
		return s
	}
	return c.shared.str(s)
}

// channelLabels names channels as OMERO.web does (omero-py's
// ChannelWrapper.getLabel): the name unless empty or only whitespace, else
// the emission wavelength (an integer when it is one), else the 0-based
// index.
func channelLabels(chs []gateway.Channel) []string {
	labels := make([]string, len(chs))
	for i, ch := range chs {
		switch {
		case ch.Name != nil && strings.TrimSpace(*ch.Name) != "":
			labels[i] = *ch.Name
		case ch.EmissionWavelength != nil:
			labels[i] = strconv.FormatFloat(ch.EmissionWavelength.Value, 'f', -1, 64)
		default:
			labels[i] = strconv.Itoa(i)
		}
	}
	return labels
}

// Pixels is the image's size, type and physical pixel size.
func (im *Image) Pixels() Pixels { return im.px }

// AcquisitionDate is when the image was acquired; zero when unknown.
func (im *Image) AcquisitionDate() time.Time { return im.acquired }

// ChannelLabels returns the channel labels, reading the image once when the
// listing it came from carried no channels.
func (im *Image) ChannelLabels(ctx context.Context) ([]string, error) {
	im.mu.Lock()
	known := im.channels
	im.mu.Unlock()
	if known != nil {
		return known, nil
	}
	full, err := im.Client.conn.Image(ctx, im.ID())
	if err != nil {
		return nil, fmt.Errorf("channels of image %d: %w", im.ID(), err)
	}
	var labels []string
	if full.Pixels != nil {
		labels = channelLabels(full.Pixels.Channels)
	}
	if labels == nil {
		labels = []string{}
	}
	im.mu.Lock()
	im.channels = labels
	im.mu.Unlock()
	return labels, nil
}

// OpenRenderingEngine opens a short-lived rendering engine for the image:
// the caller renders and closes it.
func (im *Image) OpenRenderingEngine(ctx context.Context) (*render.Engine, error) {
	return render.OpenEngine(ctx, source{im.Client.conn}, im.ID())
}

// source adapts the gateway to render.Source.
type source struct{ conn *gateway.Conn }

func (s source) RenderImage(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	return s.conn.RenderImage(ctx, id, z, t, q)
}

// RenderRegion marks a 404 as render.ErrNoTile (a tile past the level's
// edge) while keeping gateway.ErrNotFound (the image may be gone).
func (s source) RenderRegion(ctx context.Context, id int64, z, t int, q url.Values) ([]byte, error) {
	data, err := s.conn.RenderRegion(ctx, id, z, t, q)
	if errors.Is(err, gateway.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", render.ErrNoTile, err)
	}
	return data, err
}

func (s source) ImageInfo(ctx context.Context, id int64) (*render.ImageInfo, error) {
	d, err := s.conn.ImgData(ctx, id)
	if err != nil {
		return nil, err
	}
	return imageInfo(d)
}

// imageInfo converts imgData into the engine's terms.
func imageInfo(d *gateway.ImgData) (*render.ImageInfo, error) {
	info := &render.ImageInfo{
		ID: d.ID, SizeX: d.Size.Width, SizeY: d.Size.Height, SizeZ: max(d.Size.Z, 1), SizeT: max(d.Size.T, 1), SizeC: d.Size.C,
		PixelsType: d.Meta.PixelsType, Tiled: d.Tiles, Levels: d.Levels,
	}
	if d.TileSize != nil {
		info.TileWidth, info.TileHeight = d.TileSize.Width, d.TileSize.Height
	}
	if len(d.Resolutions) > 0 {
		res := make([]render.Size, len(d.Resolutions))
		for k, r := range d.Resolutions {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(res) {
				return nil, fmt.Errorf("imgData of image %d: resolution level %q: %w", d.ID, k, gateway.ErrBadResponse)
			}
			res[i] = render.Size{Width: r.SizeX, Height: r.SizeY}
		}
		info.Resolutions = res
	}
	if len(d.ZoomLevelScaling) > 0 {
		info.ZoomLevelScaling = map[int]float64{}
		for k, v := range d.ZoomLevelScaling {
			if i, err := strconv.Atoi(k); err == nil {
				info.ZoomLevelScaling[i] = v
			}
		}
	}
	model := d.Rdefs.Model
	if model != render.ModelGreyscale {
		model = render.ModelColor
	}
	proj := d.Rdefs.Projection
	if proj == "" {
		proj = render.ProjectionNormal
	}
	info.Settings = render.Settings{Model: model, Projection: proj, ProjStart: -1, ProjEnd: -1,
		Z: d.Rdefs.DefaultZ, T: d.Rdefs.DefaultT, InvertAxis: d.Rdefs.InvertAxis}
	for i, ch := range d.Channels {
		col, err := render.ParseColor(ch.Color)
		if err != nil {
			col = render.White // a LUT channel may carry no colour
		}
		fam := ch.Family
		if fam == "" {
			fam = render.FamilyLinear
		}
		coef := ch.Coefficient
		if coef <= 0 {
			coef = 1
		}
		label := ch.Label
		if label == "" {
			label = strconv.Itoa(i) // getLabel's last resort: the 0-based index
		}
		info.Settings.Channels = append(info.Settings.Channels, render.Channel{
			Label: label, Active: ch.Active, Start: ch.Window.Start, End: ch.Window.End,
			Min: ch.Window.Min, Max: ch.Window.Max, Color: col, LUT: ch.LUT,
			Inverted: (ch.Inverted != nil && *ch.Inverted) || (ch.ReverseIntensity != nil && *ch.ReverseIntensity),
			Family:   fam, Coefficient: coef,
		})
	}
	if info.SizeC == 0 {
		info.SizeC = len(info.Settings.Channels)
	}
	return info, nil
}
