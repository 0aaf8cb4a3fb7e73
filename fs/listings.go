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
// names.go) in the server's order, and the object behind each name.
type listing struct {
	names  []string
	byName map[string]wrappers.Object
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
	l := &listing{names: names, byName: make(map[string]wrappers.Object, len(names))}
	for i, n := range names {
		l.byName[n] = kept[i]
	}
	return l
}

// newListingCache keeps each folder's listing for --metadata-ttl, keyed by
// the folder's inode number, with one fetch however many callers ask at once.
func newListingCache(r *Root) *cache.TTL[uint64, *listing] {
	return cache.NewTTL[uint64, *listing](cache.TTLOptions{
		TTL:    r.opts.MetadataTTL,
		Logger: r.log,
		// A folder the server says is gone must not live on from the cache;
		// any other failure (server down, timeout) shows the last listing.
		ServeStale: func(err error) bool { return !errors.Is(err, gateway.ErrNotFound) },
	})
}

// describe names an object for logs and errors: `dataset 12 "cells"`.
func describe(o wrappers.Object) string {
	return fmt.Sprintf("%s %d %q", strings.ToLower(o.Type()), o.ID(), o.Name())
}
