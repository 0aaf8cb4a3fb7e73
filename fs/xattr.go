package fs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/omerofs/omerofs/wrappers"
)

// Extended attributes: the OMERO metadata of design.md, readable with
// getfattr -d. Values are computed when asked, so listing a folder never pays
// for them; only user.omero.channels may need a server call.

const xattrPrefix = "user.omero."

// xattr is one attribute and how to get its value.
type xattr struct {
	name  string
	value func(ctx context.Context) (string, error)
}

func constant(s string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return s, nil }
}

// objectXattrs are the attributes every OMERO object carries; o may be nil
// (a top-level folder), which has none.
func objectXattrs(o wrappers.Object) []xattr {
	if o == nil {
		return nil
	}
	attrs := []xattr{
		{xattrPrefix + "type", constant(o.Type())},
		{xattrPrefix + "id", constant(strconv.FormatInt(o.ID(), 10))},
		{xattrPrefix + "owner", constant(o.Owner().UserName)},
		{xattrPrefix + "group", constant(o.Group().Name)},
		{xattrPrefix + "url", constant(o.WebURL())},
	}
	img, ok := o.(wrappers.ImageObject)
	if !ok {
		return attrs
	}
	px := img.Pixels()
	return append(attrs,
		xattr{xattrPrefix + "size", constant(fmt.Sprintf("%d %d %d %d %d", px.SizeX, px.SizeY, px.SizeZ, px.SizeC, px.SizeT))},
		xattr{xattrPrefix + "pixels_type", constant(px.Type)},
		xattr{xattrPrefix + "channels", func(ctx context.Context) (string, error) {
			labels, err := img.ChannelLabels(ctx)
			return strings.Join(labels, ", "), err
		}},
		xattr{xattrPrefix + "physical_size", constant(physicalSize(px))},
	)
}

// physicalSize formats the pixel size as "X Y Z unit" (Z left out of 2-D
// images that have none), or "" when the server does not know it.
func physicalSize(px wrappers.Pixels) string {
	var parts []string
	unit := ""
	for _, l := range []*wrappers.Length{px.PhysicalSizeX, px.PhysicalSizeY, px.PhysicalSizeZ} {
		if l == nil {
			continue
		}
		if unit == "" {
			unit = l.Symbol
		}
		parts = append(parts, strconv.FormatFloat(l.Value, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.TrimSpace(strings.Join(parts, " ") + " " + unit)
}

// getxattr answers one attribute by the getxattr(2) rules: size only when
// dest is empty, ERANGE when it is too small, ENODATA when unknown. what
// names the object in the log.
func (r *Root) getxattr(ctx context.Context, what string, attrs []xattr, name string, dest []byte) (uint32, syscall.Errno) {
	for _, a := range attrs {
		if a.name != name {
			continue
		}
		v, err := a.value(ctx)
		if err != nil {
			return 0, r.fail(err, "getxattr %s of %s", name, what)
		}
		if len(dest) == 0 {
			return uint32(len(v)), 0
		}
		if len(dest) < len(v) {
			return uint32(len(v)), syscall.ERANGE
		}
		return uint32(copy(dest, v)), 0
	}
	return 0, syscall.ENODATA
}

// listxattr lists the names, NUL-terminated, by the listxattr(2) rules.
func listxattr(attrs []xattr, dest []byte) (uint32, syscall.Errno) {
	var b []byte
	for _, a := range attrs {
		b = append(append(b, a.name...), 0)
	}
	if len(dest) == 0 {
		return uint32(len(b)), 0
	}
	if len(dest) < len(b) {
		return uint32(len(b)), syscall.ERANGE
	}
	return uint32(copy(dest, b)), 0
}

// The annotation attributes come with the others (xattr_annotations.go).

func (d *dir) xattrs(ctx context.Context, name string) []xattr {
	d.mu.Lock()
	o := d.obj
	d.mu.Unlock()
	if o == nil {
		return nil
	}
	_, parent := d.Parent()
	return d.root.xattrsOf(ctx, o, parent, name)
}

func (d *dir) Getxattr(ctx context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	return d.root.getxattr(ctx, d.what, d.xattrs(ctx, name), name, dest)
}

func (d *dir) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return listxattr(d.xattrs(ctx, ""), dest)
}

func (f *imageFile) xattrs(ctx context.Context, name string) []xattr {
	img := f.complete(ctx)
	_, parent := f.Parent()
	return f.root.xattrsOf(ctx, img, parent, name)
}

// complete returns the node's image, first fetching the whole of it when
// the node was made from a tag's listing, which leaves out what its
// attributes show (channels, pixel type, owner, group, description): one
// request for the single image, after which the node holds it. If that
// fails, the partial image is shown as it is.
func (f *imageFile) complete(ctx context.Context) wrappers.ImageObject {
	img, _, _ := f.state()
	if !partial(img) {
		return img
	}
	full, err := f.root.client.Image(ctx, img.ID())
	if err != nil || partial(full) {
		if err != nil {
			f.root.log.WithError(err).Warnf("complete %s", describe(img))
		}
		return img
	}
	f.root.partials.Delete(img.ID())
	f.update(full)
	return full
}

func (f *imageFile) Getxattr(ctx context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	img, _, _ := f.state()
	return f.root.getxattr(ctx, describe(img), f.xattrs(ctx, name), name, dest)
}

func (f *imageFile) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return listxattr(f.xattrs(ctx, ""), dest)
}
