// Package wrappers hides OMERO's JSON behind plain Go objects, as the Blitz
// Gateway's object wrappers do in Python: each carries its connection,
// lists its children lazily (ListChildren) and, for images, opens a
// short-lived rendering engine. A Registry maps OMERO types to
// constructors, so a user can replace or extend a wrapper.
package wrappers

import (
	"context"
	"time"

	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/render"
)

// Experimenter is an object's owner.
type Experimenter struct {
	ID                            int64
	UserName, FirstName, LastName string
}

// Group is an object's group.
type Group struct {
	ID   int64
	Name string
}

// Object is what every wrapped OMERO object offers.
type Object interface {
	Type() string // "Project", "Dataset", "Image", "Screen", "Plate", "Well"
	ID() int64
	Name() string // the OMERO Name; "" when absent. A Well's is its label (A1, 1-1).
	Owner() Experimenter
	Group() Group
	WebURL() string // the object's page in OMERO.web
}

// Container is an object with children.
type Container interface {
	Object
	ListChildren(ctx context.Context) ([]Object, error)
}

// Length is a physical length.
type Length struct {
	Value        float64
	Unit, Symbol string
}

// Pixels describes an image's pixel data.
type Pixels struct {
	SizeX, SizeY, SizeZ, SizeC, SizeT           int
	Type                                        string
	PhysicalSizeX, PhysicalSizeY, PhysicalSizeZ *Length
}

// ImageObject is an image.
type ImageObject interface {
	Object
	Pixels() Pixels
	AcquisitionDate() time.Time // zero when unknown
	ChannelLabels(ctx context.Context) ([]string, error)
	OpenRenderingEngine(ctx context.Context) (*render.Engine, error)
}

// Base is the part every wrapper shares; custom wrappers embed it (or a
// concrete wrapper) to inherit it.
type Base struct {
	Client *Client
	Raw    gateway.Object
	name   string
}

// NewBase wraps the decoded object o for client c.
func NewBase(c *Client, o gateway.Object) Base {
	if c != nil {
		c.shared.object(&o)
	}
	b := Base{Client: c, Raw: o}
	if o.Name != nil {
		b.name = *o.Name
	}
	return b
}

// Description is the OMERO Description, "" when absent.
func (b *Base) Description() string {
	if b.Raw.Description == nil {
		return ""
	}
	return *b.Raw.Description
}

func (b *Base) Type() string { return b.Raw.Kind() }
func (b *Base) ID() int64    { return b.Raw.ID }
func (b *Base) Name() string { return b.name }

func (b *Base) Owner() Experimenter {
	if o := b.Raw.Details.Owner; o != nil {
		return Experimenter{ID: o.ID, UserName: o.UserName, FirstName: o.FirstName, LastName: o.LastName}
	}
	return Experimenter{}
}

func (b *Base) Group() Group {
	if g := b.Raw.Details.Group; g != nil {
		return Group{ID: g.ID, Name: g.Name}
	}
	return Group{}
}

// WebURL is the webclient's page of the object: <root>webclient/?show=<type>-<id>.
func (b *Base) WebURL() string {
	return b.Client.webURL(b.Type(), b.ID())
}
