package fs

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/wrappers"
)

// The annotation attributes of docs/design.md: user.omero.description,
// user.omero.tags and one user.omero.kv.<key> per key of the key-value
// pairs. Annotations are fetched for a whole folder at once: the first
// object asked about brings those of every sibling of its type in its
// folder's listing, in one request, trusted for --metadata-ttl. So
// getfattr -d over a folder costs one request, not one per file.

const (
	kvPrefix    = xattrPrefix + "kv."
	xattrMaxLen = 255 // XATTR_NAME_MAX
)

// batchKey names one batch: the objects of one type in one folder
// (folder 0 with id set: an object asked about alone).
type batchKey struct {
	folder uint64
	typ    string
	id     int64
}

type annotationBatches struct {
	r     *Root
	cache *cache.TTL[batchKey, map[int64]*wrappers.Annotations]
}

func newAnnotationBatches(r *Root) *annotationBatches {
	return &annotationBatches{r: r, cache: cache.NewTTL[batchKey, map[int64]*wrappers.Annotations](
		cache.TTLOptions{TTL: r.opts.MetadataTTL, Logger: r.log})}
}

// annotatable maps the types the annotations route takes to its parameter.
var annotatable = map[string]string{"Image": "image", "Dataset": "dataset", "Project": "project",
	"Screen": "screen", "Plate": "plate", "Well": "well"}

// of returns o's annotations, fetched with its siblings' when parent is a
// listed folder that holds it.
func (b *annotationBatches) of(ctx context.Context, o wrappers.Object, parent *gofs.Inode) (*wrappers.Annotations, error) {
	param, ok := annotatable[o.Type()]
	if !ok {
		return &wrappers.Annotations{}, nil
	}
	key, ids := batchKey{typ: o.Type(), id: o.ID()}, []int64{o.ID()}
	if d, ok := parentDir(parent); ok {
		if l, errno := d.listing(ctx); errno == 0 {
			var sibs []int64
			found := false
			for _, s := range l.objs {
				if s.Type() == o.Type() {
					sibs = append(sibs, s.ID())
					found = found || s.ID() == o.ID()
				}
			}
			if found {
				key, ids = batchKey{folder: d.ino, typ: o.Type()}, sibs
			}
		}
	}
	m, err := b.cache.Get(ctx, key, func(ctx context.Context) (map[int64]*wrappers.Annotations, error) {
		return b.r.client.AnnotationsOf(ctx, param, ids)
	})
	if err != nil {
		return nil, err
	}
	if a := m[o.ID()]; a != nil {
		return a, nil
	}
	return &wrappers.Annotations{}, nil
}

func parentDir(p *gofs.Inode) (*dir, bool) {
	if p == nil {
		return nil, false
	}
	d, ok := p.Operations().(*dir)
	return d, ok
}

// xattrsOf is the attributes of o: objectXattrs and, for annotatable
// objects, the annotation attributes. For one name (getxattr), the
// annotations are fetched only when that name is one of theirs, so the
// security.* and system.* lookups of file managers cost nothing; for all
// names (listxattr, name ""), always. When the annotations cannot be
// fetched, the others are still listed and the failure logged.
func (r *Root) xattrsOf(ctx context.Context, o wrappers.Object, parent *gofs.Inode, name string) []xattr {
	attrs := objectXattrs(o)
	if o == nil {
		return attrs
	}
	if d, ok := o.(interface{ Description() string }); ok && d.Description() != "" {
		attrs = append(attrs, xattr{xattrPrefix + "description", constant(d.Description())})
	}
	if _, ok := annotatable[o.Type()]; !ok {
		return attrs
	}
	if name != "" && name != xattrPrefix+"tags" && !strings.HasPrefix(name, kvPrefix) {
		return attrs
	}
	anns, err := r.anns.of(ctx, o, parent)
	if err != nil {
		r.log.WithError(err).Warnf("annotations of %s", describe(o))
		return attrs
	}
	return append(attrs, annotationXattrs(anns)...)
}

// annotationXattrs are user.omero.tags (the tags' values, one a line) and
// a user.omero.kv.<key> per key (the values of a repeated key, one a line,
// in the server's order).
func annotationXattrs(a *wrappers.Annotations) []xattr {
	var attrs []xattr
	if len(a.Tags) > 0 {
		vals := make([]string, len(a.Tags))
		for i, t := range a.Tags {
			vals[i] = t.Text
		}
		attrs = append(attrs, xattr{xattrPrefix + "tags", constant(strings.Join(vals, "\n"))})
	}
	var order []string
	values := map[string][]string{}
	for _, kv := range a.KeyValues {
		n := kvName(kv.Key)
		if _, seen := values[n]; !seen {
			order = append(order, n)
		}
		values[n] = append(values[n], kv.Value)
	}
	for _, n := range order {
		attrs = append(attrs, xattr{n, constant(strings.Join(values[n], "\n"))})
	}
	return attrs
}

// kvName is the attribute name of a key: user.omero.kv.<key>, the key
// percent-encoded where it could not be a name or could be misread: '%'
// itself, NUL and the other control characters become %XX (upper-case
// hex); an empty key is a lone "%". A name that would pass 255 bytes is
// cut at a character boundary and ends in "%#" and 8 hex digits of a hash
// of the whole key (metadata.json has the full key). Every other name
// decodes back to its key by plain percent-decoding.
func kvName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '%' || c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	enc := b.String()
	if key == "" {
		enc = "%"
	}
	room := xattrMaxLen - len(kvPrefix)
	if len(enc) > room {
		h := fnv.New32a()
		h.Write([]byte(key))
		tail := fmt.Sprintf("%%#%08x", h.Sum32())
		cut := room - len(tail)
		for cut > 0 && !utf8.RuneStart(enc[cut]) {
			cut--
		}
		if i := strings.LastIndexByte(enc[:cut], '%'); i >= 0 && i > cut-3 {
			cut = i // never split a %XX
		}
		enc = enc[:cut] + tail
	}
	return kvPrefix + enc
}
