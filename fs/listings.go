package fs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/omerofs/omerofs/cache"
	"github.com/omerofs/omerofs/gateway"
	"github.com/omerofs/omerofs/wrappers"
)

// listing is one folder's children as the user sees them: unique names (see
// names.go) in the server's order, the object behind each name, and each
// name's position (for reading ahead in listing order).
type listing struct {
	names []string
	objs  []wrappers.Object
	index map[string]int32
}

// newListing names objs. Objects that are neither images nor containers are
// left out, since they cannot be shown.
func newListing(objs []wrappers.Object) *listing {
	kept := make([]wrappers.Object, 0, len(objs))
	entries := make([]Entry, 0, len(objs))
	for _, o := range objs {
		_, isImage := o.(wrappers.ImageObject)
		if _, isDir := o.(wrappers.Container); !isImage && !isDir {
			continue
		}
		kept = append(kept, o)
		entries = append(entries, Entry{ID: o.ID(), Type: o.Type(), Name: o.Name(), File: isImage})
	}
	names := Names(entries)
	l := &listing{names: names, objs: kept, index: make(map[string]int32, len(names))}
	for i, n := range names {
		l.index[n] = int32(i)
	}
	return l
}

// object returns the object named name.
func (l *listing) object(name string) (wrappers.Object, bool) {
	i, ok := l.index[name]
	if !ok {
		return nil, false
	}
	return l.objs[i], true
}

// newListingCache keeps each folder's listing for --metadata-ttl, keyed by
// the folder's inode number, with one fetch however many callers ask at once,
// the --max-listings most recently used only, and no more than
// --max-listed-objects objects in all.
func newListingCache(r *Root) *cache.TTL[uint64, *listing] {
	weight := func(l *listing) int { return len(l.objs) }
	return cache.NewTTL[uint64, *listing](cache.TTLOptions{
		TTL:        r.opts.MetadataTTL,
		MaxEntries: r.opts.MaxListings,
		// A folder of a million images takes minutes to list: once listed,
		// it is shown at once while a newer listing is fetched.
		Revalidate: true,
		Logger:     r.log,
		// A folder the server says is gone must not live on from the cache;
		// any other failure (server down, timeout) shows the last listing.
		ServeStale: func(err error) bool { return !errors.Is(err, gateway.ErrNotFound) },
	}).WeighedBy(weight, r.opts.MaxListedObjects)
}

// describe names an object for logs and errors: `dataset 12 "cells"`.
func describe(o wrappers.Object) string {
	return fmt.Sprintf("%s %d %q", strings.ToLower(o.Type()), o.ID(), o.Name())
}
