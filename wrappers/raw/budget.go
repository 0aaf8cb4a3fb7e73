package raw

import (
	"container/list"
	"sync"
)

// DefaultKeptBytes is the shared budget of kept bands when Options leaves
// it unset: every image's reader draws on it, so the rows kept in memory
// stay bounded however many images are read at once.
const DefaultKeptBytes = 64 << 20

// bandBudget holds the bands of rows that the readers of one Routes keep
// for their next reads, within one byte budget, dropping the least
// recently used band first. A band larger than the whole budget is kept
// alone (a zarr row of chunks is the smallest a read can fetch): the bytes
// held stay below max(budget, the largest band).
type bandBudget struct {
	mu    sync.Mutex
	max   int64
	held  int64
	peak  int64
	order *list.List // of *keptBand, most recently used first
	bands map[bandKey]*list.Element
}

type bandKey struct {
	p   *Pixels
	key string
}

type keptBand struct {
	k    bandKey
	data []byte
}

func newBandBudget(max int64) *bandBudget {
	if max <= 0 {
		max = DefaultKeptBytes
	}
	return &bandBudget{max: max, order: list.New(), bands: map[bandKey]*list.Element{}}
}

func (b *bandBudget) get(p *Pixels, key string) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.bands[bandKey{p, key}]
	if !ok {
		return nil, false
	}
	b.order.MoveToFront(e)
	return e.Value.(*keptBand).data, true
}

// add keeps a band, dropping the least recently used ones (of any reader)
// until it fits.
func (b *bandBudget) add(p *Pixels, key string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := bandKey{p, key}
	if e, ok := b.bands[k]; ok {
		b.remove(e)
	}
	n := int64(len(data))
	for b.held+n > b.max && b.order.Len() > 0 {
		b.remove(b.order.Back())
	}
	b.bands[k] = b.order.PushFront(&keptBand{k: k, data: data})
	b.held += n
	b.peak = max(b.peak, b.held)
}

func (b *bandBudget) remove(e *list.Element) {
	kb := b.order.Remove(e).(*keptBand)
	delete(b.bands, kb.k)
	b.held -= int64(len(kb.data))
}

// drop forgets every band of one reader (closed).
func (b *bandBudget) drop(p *Pixels) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for e := b.order.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*keptBand).k.p == p {
			b.remove(e)
		}
		e = next
	}
}

// KeptBytes reports the bytes of rows the readers keep now, the most they
// have kept at once, and the budget.
func (r *Routes) KeptBytes() (held, peak, budget int64) {
	b := r.bands
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held, b.peak, b.max
}
