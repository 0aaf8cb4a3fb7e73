package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/omerofs/omerofs/wrappers"
)

// tags/: one folder per tag outside tag sets and per tag set (holding its
// tags), each holding the images that carry the tag as the rendered view's
// PNGs (the same inodes) and the containers that carry it as folders
// (docs/design.md, "Tags"). Tag folders are ordinary dirs over
// wrappers.TagContainer: listed lazily, one request each, trusted for
// --metadata-ttl.

var tagsRootIno = dirIno(rootIno, "tags", 0)

// addTagsFolder adds tags/ to the root.
func (r *Root) addTagsFolder(ctx context.Context) {
	d := &dir{root: r, ino: tagsRootIno, what: "tags",
		list: func(ctx context.Context) ([]wrappers.Object, error) { return r.client.Tags(ctx) }}
	r.AddChild("tags", r.NewPersistentInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: tagsRootIno}), false)
}

// partial reports whether a listing knew only part of an image (a tag's
// listing: no channels, pixel type or group), so that it must not replace
// what a fuller listing told an existing node.
func partial(o wrappers.Object) bool {
	p, ok := o.(interface{ Partial() bool })
	return ok && p.Partial()
}

// trackPartial completes image nodes made from a tag's listing. go-fuse
// gives the kernel the first node made for an inode number, whichever
// listing made it later; so a node made from a tag's partial listing is
// remembered, and the first full listing of the same image (a dataset,
// orphaned/, images/<id>) fills it in.
func (r *Root) trackPartial(o wrappers.ImageObject, f *imageFile) {
	if partial(o) {
		r.partials.LoadOrStore(o.ID(), f)
		return
	}
	if v, ok := r.partials.LoadAndDelete(o.ID()); ok {
		v.(*imageFile).update(o)
	}
}
