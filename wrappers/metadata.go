package wrappers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/omerofs/omerofs/gateway"
)

// metadata.json of the data view: the image as a person or a script wants
// it, in a stable shape (docs/design.md, "metadata.json"). Every key is
// always present, in the order of the structs below (null when unknown).

// MetadataSchema names the shape; it changes only when the shape does.
const MetadataSchema = "omerofs/metadata/1"

// Metadata is metadata.json.
type Metadata struct {
	Schema          string           `json:"schema"`
	ID              int64            `json:"id"`
	Name            string           `json:"name"`
	Description     string           `json:"description"`
	Owner           MetaOwner        `json:"owner"`
	Group           MetaGroup        `json:"group"`
	AcquisitionDate *string          `json:"acquisition_date"` // RFC 3339, UTC
	Dimensions      MetaDimensions   `json:"dimensions"`
	PixelType       string           `json:"pixel_type"`
	PhysicalSize    MetaPhysicalSize `json:"physical_size"`
	Channels        []MetaChannel    `json:"channels"`
	Rendering       MetaRendering    `json:"rendering"`
	Containers      []MetaContainer  `json:"containers"`
	KeyValuePairs   []MetaKeyValue   `json:"key_value_pairs"`
	Tags            []MetaTag        `json:"tags"`
	Comments        []MetaComment    `json:"comments"`
	Attachments     []MetaAttachment `json:"attachments"`
	URLs            MetaURLs         `json:"urls"`
}

type MetaOwner struct {
	ID        int64  `json:"id"`
	UserName  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type MetaGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type MetaDimensions struct {
	X int `json:"x"`
	Y int `json:"y"`
	Z int `json:"z"`
	C int `json:"c"`
	T int `json:"t"`
}

// MetaLength is a physical length with its unit ("MICROMETER", "µm").
type MetaLength struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Symbol string  `json:"symbol"`
}

type MetaPhysicalSize struct {
	X *MetaLength `json:"x"`
	Y *MetaLength `json:"y"`
	Z *MetaLength `json:"z"`
}

type MetaWindow struct {
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

type MetaChannel struct {
	Index                int         `json:"index"` // 0-based
	Name                 *string     `json:"name"`  // the channel's Name; null when unset
	Label                string      `json:"label"` // what OMERO.web shows: name, else wavelength, else index
	Color                string      `json:"color"` // RRGGBB as the rendering settings have it
	LUT                  *string     `json:"lut"`
	Active               bool        `json:"active"`
	Inverted             bool        `json:"inverted"`
	Family               string      `json:"family"`
	Coefficient          float64     `json:"coefficient"`
	Window               MetaWindow  `json:"window"`
	EmissionWavelength   *MetaLength `json:"emission_wavelength"`
	ExcitationWavelength *MetaLength `json:"excitation_wavelength"`
}

type MetaRendering struct {
	Model      string    `json:"model"` // "color" or "greyscale"
	Projection string    `json:"projection"`
	DefaultZ   int       `json:"default_z"` // 0-based
	DefaultT   int       `json:"default_t"`
	PixelRange []float64 `json:"pixel_range"`
}

// MetaContainer is a parent of the image: a Dataset, its Project, a Well.
// When the image is in several datasets OMERO.web names none of them: the
// entry is {"type": "Dataset", "id": null, "name": "Multiple"}.
type MetaContainer struct {
	Type string `json:"type"`
	ID   *int64 `json:"id"`
	Name string `json:"name"`
}

type MetaKeyValue struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	Namespace string `json:"namespace"`
}

type MetaTag struct {
	ID          int64  `json:"id"`
	Text        string `json:"text"`
	Description string `json:"description"`
}

type MetaComment struct {
	ID      int64  `json:"id"`
	Text    string `json:"text"`
	OwnerID int64  `json:"owner_id"`
	Date    string `json:"date"`
}

type MetaAttachment struct {
	ID       int64  `json:"id"` // the annotation's id
	FileID   int64  `json:"file_id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Mimetype string `json:"mimetype"`
}

type MetaURLs struct {
	Webclient string `json:"webclient"` // the image in OMERO.web's tree
	Viewer    string `json:"viewer"`    // the image viewer (iviewer or the default viewer)
}

// Metadata builds metadata.json of an image from two requests, imgData
// and the single image, and the annotations given (nil: none known). ROI
// counts are not included: on OMERO.web they cost a third request.
func (im *Image) Metadata(ctx context.Context, anns *Annotations) ([]byte, error) {
	d, err := im.Client.conn.ImgData(ctx, im.ID())
	if err != nil {
		return nil, fmt.Errorf("metadata of image %d: %w", im.ID(), err)
	}
	full, err := im.Client.conn.Image(ctx, im.ID())
	if err != nil {
		return nil, fmt.Errorf("metadata of image %d: %w", im.ID(), err)
	}
	return BuildMetadata(im.Client.conn.Root(), full, d, anns)
}

// BuildMetadata assembles metadata.json from the answers.
func BuildMetadata(root string, full *gateway.Image, d *gateway.ImgData, anns *Annotations) ([]byte, error) {
	m := Metadata{Schema: MetadataSchema, ID: full.ID, Name: deref(full.Name), Description: deref(full.Description),
		Channels: []MetaChannel{}, Containers: []MetaContainer{}, KeyValuePairs: []MetaKeyValue{}, Tags: []MetaTag{},
		Comments: []MetaComment{}, Attachments: []MetaAttachment{}}
	if o := full.Details.Owner; o != nil {
		m.Owner = MetaOwner{ID: o.ID, UserName: o.UserName, FirstName: o.FirstName, LastName: o.LastName}
	}
	if g := full.Details.Group; g != nil {
		m.Group = MetaGroup{ID: g.ID, Name: g.Name}
	}
	if full.AcquisitionDate != nil && *full.AcquisitionDate > 0 {
		s := time.UnixMilli(*full.AcquisitionDate).UTC().Format(time.RFC3339)
		m.AcquisitionDate = &s
	}
	var chans []gateway.Channel
	if p := full.Pixels; p != nil {
		m.Dimensions = MetaDimensions{X: p.SizeX, Y: p.SizeY, Z: p.SizeZ, C: p.SizeC, T: p.SizeT}
		if p.Type != nil {
			m.PixelType = p.Type.Value
		}
		m.PhysicalSize = MetaPhysicalSize{X: metaLength(p.PhysicalSizeX), Y: metaLength(p.PhysicalSizeY), Z: metaLength(p.PhysicalSizeZ)}
		chans = p.Channels
	} else {
		m.Dimensions = MetaDimensions{X: d.Size.Width, Y: d.Size.Height, Z: d.Size.Z, C: d.Size.C, T: d.Size.T}
		m.PixelType = d.Meta.PixelsType
	}
	for i, ch := range d.Channels {
		mc := MetaChannel{Index: i, Label: ch.Label, Color: ch.Color, Active: ch.Active, Family: ch.Family,
			Coefficient: ch.Coefficient, Window: MetaWindow{Min: ch.Window.Min, Max: ch.Window.Max, Start: ch.Window.Start, End: ch.Window.End},
			Inverted: (ch.Inverted != nil && *ch.Inverted) || (ch.ReverseIntensity != nil && *ch.ReverseIntensity)}
		if ch.LUT != "" {
			lut := ch.LUT
			mc.LUT = &lut
		}
		if ch.EmissionWave != nil {
			mc.EmissionWavelength = &MetaLength{Value: *ch.EmissionWave, Unit: "NANOMETER", Symbol: "nm"}
		}
		if i < len(chans) {
			c := chans[i]
			if c.Name != nil {
				n := *c.Name
				mc.Name = &n
			}
			if l := metaLength(c.EmissionWavelength); l != nil {
				mc.EmissionWavelength = l
			}
			mc.ExcitationWavelength = metaLength(c.ExcitationWavelength)
		}
		m.Channels = append(m.Channels, mc)
	}
	m.Rendering = MetaRendering{Model: d.Rdefs.Model, Projection: d.Rdefs.Projection, DefaultZ: d.Rdefs.DefaultZ,
		DefaultT: d.Rdefs.DefaultT, PixelRange: d.PixelRange}
	if m.Rendering.PixelRange == nil {
		m.Rendering.PixelRange = []float64{}
	}
	if id, ok := rawID(d.Meta.ProjectID); ok || d.Meta.ProjectName == "Multiple" {
		m.Containers = append(m.Containers, container("Project", id, ok, d.Meta.ProjectName))
	}
	if id, ok := rawID(d.Meta.DatasetID); ok || d.Meta.DatasetName == "Multiple" {
		m.Containers = append(m.Containers, container("Dataset", id, ok, d.Meta.DatasetName))
	}
	if id, ok := rawID(d.Meta.WellID); ok {
		m.Containers = append(m.Containers, container("Well", id, ok, ""))
	}
	if anns != nil {
		for _, kv := range anns.KeyValues {
			m.KeyValuePairs = append(m.KeyValuePairs, MetaKeyValue{Key: kv.Key, Value: kv.Value, Namespace: kv.Namespace})
		}
		for _, t := range anns.Tags {
			m.Tags = append(m.Tags, MetaTag(t))
		}
		for _, c := range anns.Comments {
			m.Comments = append(m.Comments, MetaComment(c))
		}
		for _, a := range anns.Attachments {
			m.Attachments = append(m.Attachments, MetaAttachment{ID: a.AnnotationID, FileID: a.FileID, Name: a.Name, Size: a.Size, Mimetype: a.Mimetype})
		}
	}
	id := strconv.FormatInt(full.ID, 10)
	m.URLs = MetaURLs{Webclient: root + "webclient/?show=image-" + id, Viewer: root + "webclient/img_detail/" + id + "/"}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("metadata of image %d: %w", full.ID, err)
	}
	return buf.Bytes(), nil
}

func metaLength(l *gateway.Length) *MetaLength {
	if l == nil {
		return nil
	}
	return &MetaLength{Value: l.Value, Unit: l.Unit, Symbol: l.Symbol}
}

// rawID reads an imgData id that is a number, or null/"" when unknown.
func rawID(raw json.RawMessage) (int64, bool) {
	var n int64
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return n, true
	}
	return 0, false
}

func container(typ string, id int64, known bool, name string) MetaContainer {
	c := MetaContainer{Type: typ, Name: name}
	if known {
		c.ID = &id
	}
	return c
}
