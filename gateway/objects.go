package gateway

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The objects of the JSON API, decoded as omero-marshal encodes them. Only
// what omerofs uses is kept; fields may be missing (nulls are omitted), so
// optional ones are pointers. Every object must carry "@id" and the
// "@type" its place calls for (any schema version: only the part after '#'
// is compared): an answer without them is refused as ErrBadResponse rather
// than read as a zero object.

// Experimenter is an owner.
type Experimenter struct {
	ID        int64  `json:"@id"`
	UserName  string `json:"UserName"`
	FirstName string `json:"FirstName"`
	LastName  string `json:"LastName"`
}

// Group is an experimenter group.
type Group struct {
	ID   int64  `json:"@id"`
	Name string `json:"Name"`
}

// Details is omero:details.
type Details struct {
	Owner       *Experimenter `json:"owner"`
	Group       *Group        `json:"group"`
	Permissions *struct {
		Perm string `json:"perm"`
	} `json:"permissions"`
}

// Object is what every container and image has.
type Object struct {
	ID          int64   `json:"@id"`
	Type        string  `json:"@type"`
	Name        *string `json:"Name"`
	Description *string `json:"Description"`
	Details     Details `json:"omero:details"`
	ChildCount  *int    `json:"omero:childCount"`
}

// Kind is the OMERO type without its schema: "Project", "Image", ….
func (o *Object) Kind() string { return kindOf(o.Type) }

func kindOf(t string) string {
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// Project, Dataset and Screen are plain containers.
type (
	Project struct{ Object }
	Dataset struct{ Object }
	Screen  struct{ Object }
)

// Length is a physical length, e.g. {"Value": 0.3, "Unit": "MICROMETER", "Symbol": "µm"}.
type Length struct {
	Value  float64 `json:"Value"`
	Unit   string  `json:"Unit"`
	Symbol string  `json:"Symbol"`
}

// Enum is an OMERO enumeration value such as a pixel type.
type Enum struct {
	Value string `json:"value"`
}

// Channel is a channel of an image's pixels (single-image answers only).
type Channel struct {
	ID                   int64   `json:"@id"`
	Name                 *string `json:"Name"`
	Color                *int64  `json:"Color"` // signed 32-bit RGBA
	EmissionWavelength   *Length `json:"EmissionWavelength"`
	ExcitationWavelength *Length `json:"ExcitationWavelength"`
}

// Pixels describes an image's pixel data.
type Pixels struct {
	ID            int64     `json:"@id"`
	Type          *Enum     `json:"Type"`
	SizeX         int       `json:"SizeX"`
	SizeY         int       `json:"SizeY"`
	SizeZ         int       `json:"SizeZ"`
	SizeC         int       `json:"SizeC"`
	SizeT         int       `json:"SizeT"`
	PhysicalSizeX *Length   `json:"PhysicalSizeX"`
	PhysicalSizeY *Length   `json:"PhysicalSizeY"`
	PhysicalSizeZ *Length   `json:"PhysicalSizeZ"`
	Channels      []Channel `json:"Channels"`
}

// Image is an image; Pixels is present in image lists and single images,
// absent in the images of well lists.
type Image struct {
	Object
	AcquisitionDate *int64  `json:"AcquisitionDate"` // ms since the epoch
	Pixels          *Pixels `json:"Pixels"`
}

// Plate is a plate with its naming conventions.
type Plate struct {
	Object
	Rows                   *int    `json:"Rows"`
	Columns                *int    `json:"Columns"`
	RowNamingConvention    *string `json:"RowNamingConvention"`
	ColumnNamingConvention *string `json:"ColumnNamingConvention"`
}

// WellSample is a field of a well.
type WellSample struct {
	ID    int64  `json:"@id"`
	Image *Image `json:"Image"`
}

// Well is a well of a plate.
type Well struct {
	Object
	Row         *int         `json:"Row"`
	Column      *int         `json:"Column"`
	WellSamples []WellSample `json:"WellSamples"`
}

// checkObject verifies what every object needs: an "@id" and the right type.
func checkObject(raw json.RawMessage, kind string) error {
	var head struct {
		ID   *json.Number `json:"@id"`
		Type *string      `json:"@type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	if head.ID == nil {
		return fmt.Errorf("a %s without @id", kind)
	}
	if _, err := head.ID.Int64(); err != nil {
		return fmt.Errorf("a %s with @id %q", kind, head.ID.String())
	}
	if head.Type == nil || kindOf(*head.Type) != kind {
		t := "none"
		if head.Type != nil {
			t = *head.Type
		}
		return fmt.Errorf("want a %s, got @type %s", kind, t)
	}
	return nil
}

// decodeObject checks and decodes one object of the given kind into v.
func decodeObject(raw json.RawMessage, kind string, v any) error {
	if err := checkObject(raw, kind); err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// check validates the nested objects decodeObject cannot see.
func (im *Image) check() error {
	if p := im.Pixels; p != nil && (p.SizeX < 0 || p.SizeY < 0 || p.SizeZ < 0 || p.SizeC < 0 || p.SizeT < 0) {
		return fmt.Errorf("image %d has negative sizes", im.ID)
	}
	return nil
}

func (w *Well) check() error {
	for _, ws := range w.WellSamples {
		if ws.Image == nil {
			continue
		}
		if kindOf(ws.Image.Type) != "Image" {
			return fmt.Errorf("well %d: a field that is not an Image", w.ID)
		}
		if err := ws.Image.check(); err != nil {
			return err
		}
	}
	return nil
}
