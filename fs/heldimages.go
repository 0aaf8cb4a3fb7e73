package fs

import "sync"

// heldImages are the image nodes go-fuse holds, by image id. go-fuse answers
// a lookup with the node it already holds for the inode number, whatever node
// the lookup made; so a newer listing that names an image differently (a
// rename on the server, or the same image under another folder) must update
// that node, which only this table finds. Only nodes the kernel looked up are
// here (a folder's read makes none, dirhandle.go); a node leaves when the
// kernel forgets it.
//
// Two first lookups of one image under two names at the same moment can
// leave the table naming the node go-fuse dropped; the image then takes
// newer listings only under the name it was first looked up by, until the
// kernel forgets it.
type heldImages struct {
	mu sync.Mutex
	m  map[int64]*imageFile
}

// get is the node held for image id, or nil.
func (h *heldImages) get(id int64) *imageFile {
	h.mu.Lock()
	f := h.m[id]
	h.mu.Unlock()
	//lint:ignore SA1019 OnForget cannot say that go-fuse dropped a node it never registered; Forgotten can
	if f == nil || f.Forgotten() {
		return nil
	}
	return f
}

// put records f, just made for image id, unless a node the kernel still
// holds is recorded: that one is returned, and is the one to use.
func (h *heldImages) put(id int64, f *imageFile) *imageFile {
	for {
		h.mu.Lock()
		old := h.m[id]
		if old == nil {
			if h.m == nil {
				h.m = map[int64]*imageFile{}
			}
			h.m[id] = f
			h.mu.Unlock()
			return f
		}
		h.mu.Unlock()
		// Forgotten takes the node's lock: never under ours, which
		// OnForget takes after go-fuse let go of the node's.
		//lint:ignore SA1019 as in get
		if !old.Forgotten() {
			return old
		}
		h.mu.Lock()
		if h.m[id] == old {
			h.m[id] = f
			h.mu.Unlock()
			return f
		}
		h.mu.Unlock()
	}
}

// forget drops f, which the kernel forgot, unless a newer node replaced it.
func (h *heldImages) forget(id int64, f *imageFile) {
	h.mu.Lock()
	if h.m[id] == f {
		delete(h.m, id)
	}
	h.mu.Unlock()
}

// OnForget leaves the table of held images.
func (f *imageFile) OnForget() {
	f.root.held.forget(f.id(), f)
}

// count is the number of image nodes recorded.
func (h *heldImages) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}
