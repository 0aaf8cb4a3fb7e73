package wrappers

import (
	"sync"

	"github.com/omerofs/omerofs/gateway"
)

// interner shares the values that the objects of a listing repeat: their
// owner, group, permissions, OMERO type, pixel type and physical pixel
// sizes. Decoded JSON gives each image its own copies; a folder of a
// million images then holds each value once instead of a million times
// (about half of what a listed image costs).
type interner struct {
	mu      sync.Mutex
	strs    map[string]string
	owners  map[gateway.Experimenter]*gateway.Experimenter
	groups  map[gateway.Group]*gateway.Group
	perms   map[string]*permissions
	lengths map[Length]*Length
}

// permissions is gateway.Details.Permissions' type.
type permissions = struct {
	Perm string `json:"perm"`
}

// maxInterned bounds each table: values beyond it are kept as they come
// (a server whose images all differ gains nothing from sharing them).
const maxInterned = 4096

func intern[K comparable, V any](m *map[K]V, k K, v V) V {
	if *m == nil {
		*m = map[K]V{}
	}
	if old, ok := (*m)[k]; ok {
		return old
	}
	if len(*m) < maxInterned {
		(*m)[k] = v
	}
	return v
}

// object shares o's repeated parts.
func (in *interner) object(o *gateway.Object) {
	in.mu.Lock()
	defer in.mu.Unlock()
	o.Type = intern(&in.strs, o.Type, o.Type)
	d := &o.Details
	if d.Owner != nil {
		d.Owner = intern(&in.owners, *d.Owner, d.Owner)
	}
	if d.Group != nil {
		d.Group = intern(&in.groups, *d.Group, d.Group)
	}
	if d.Permissions != nil {
		d.Permissions = intern(&in.perms, d.Permissions.Perm, d.Permissions)
	}
}

func (in *interner) str(s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return intern(&in.strs, s, s)
}

func (in *interner) length(l *Length) *Length {
	if l == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return intern(&in.lengths, *l, l)
}
