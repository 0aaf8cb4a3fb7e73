package wrappers

import (
	"fmt"
	"sync"

	"github.com/omerofs/omerofs/gateway"
)

// Constructor wraps one decoded object. raw is the gateway's decoding:
// *gateway.Project, *gateway.Dataset, *gateway.Image, *gateway.Screen,
// *gateway.Plate, or *WellData for a well.
type Constructor func(c *Client, raw any) (Object, error)

// Registry maps OMERO types ("Project", …) to constructors. Replace one to
// extend a wrapper, as omero.gateway.refreshWrappers lets Python users do:
//
//	reg := wrappers.DefaultRegistry()
//	reg.Register("Image", func(c *wrappers.Client, raw any) (wrappers.Object, error) {
//		im, err := wrappers.NewImage(c, raw.(*gateway.Image))
//		return &MyImage{Image: im}, err
//	})
type Registry struct {
	mu    sync.RWMutex
	ctors map[string]Constructor
}

// DefaultRegistry returns a new registry of the standard wrappers.
func DefaultRegistry() *Registry {
	r := &Registry{ctors: map[string]Constructor{}}
	r.Register("Project", func(c *Client, raw any) (Object, error) { return NewProject(c, raw.(*gateway.Project)), nil })
	r.Register("Dataset", func(c *Client, raw any) (Object, error) { return NewDataset(c, raw.(*gateway.Dataset)), nil })
	r.Register("Image", func(c *Client, raw any) (Object, error) { return NewImage(c, raw.(*gateway.Image)) })
	r.Register("Screen", func(c *Client, raw any) (Object, error) { return NewScreen(c, raw.(*gateway.Screen)), nil })
	r.Register("Plate", func(c *Client, raw any) (Object, error) { return NewPlate(c, raw.(*gateway.Plate)), nil })
	r.Register("Well", func(c *Client, raw any) (Object, error) { return NewWell(c, raw.(*WellData)), nil })
	return r
}

// Register sets the constructor of an OMERO type.
func (r *Registry) Register(kind string, ctor Constructor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctors[kind] = ctor
}

func (r *Registry) make(kind string, c *Client, raw any) (Object, error) {
	r.mu.RLock()
	ctor := r.ctors[kind]
	r.mu.RUnlock()
	if ctor == nil {
		return nil, fmt.Errorf("no wrapper registered for %s", kind)
	}
	o, err := ctor(c, raw)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("the %s wrapper returned nothing", kind)
	}
	return o, nil
}
