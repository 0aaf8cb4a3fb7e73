package raw

import (
	"context"
	"sync"
	"testing"

	"github.com/omerofs/omerofs/render/tiff"
	"github.com/omerofs/omerofs/testserver"
)

// The budget drops the least recently used band of any reader, keeps a
// band larger than the whole budget alone, and forgets a closed reader's.
func TestBandBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	b := newBandBudget(100)
	p, q := &Pixels{}, &Pixels{}
	b.add(p, "a", make([]byte, 40))
	b.add(q, "a", make([]byte, 40))
	b.get(p, "a") // q's band is now the oldest
	b.add(p, "b", make([]byte, 40))
	if _, ok := b.get(q, "a"); ok {
		t.Fatal("the least recently used band stayed")
	}
	if _, ok := b.get(p, "a"); !ok {
		t.Fatal("a recently used band was dropped")
	}
	if b.held != 80 || b.peak != 80 {
		t.Fatalf("held %d, peak %d; want 80, 80", b.held, b.peak)
	}
	b.add(q, "huge", make([]byte, 150))
	if _, ok := b.get(q, "huge"); !ok || b.held != 150 || b.order.Len() != 1 {
		t.Fatalf("a band above the budget: held %d in %d bands", b.held, b.order.Len())
	}
	b.add(p, "c", make([]byte, 10))
	b.drop(q)
	if b.held != 10 || b.order.Len() != 1 {
		t.Fatalf("after drop: held %d in %d bands", b.held, b.order.Len())
	}
}

// Many images' planes read at once, through each route that keeps bands,
// keep no more rows in memory than the one shared budget, and every byte
// read is right.
func TestKeptBandsShareOneBudget(t *testing.T) {
	const budget = 3 << 19 // three 512×512 uint16 planes
	d := testserver.SyntheticDataset(8, 512, 512, 3, "uint16")
	s, conn := connect(t, testserver.Options{Data: d, PixelBuffer: true, Zarr: true})
	ids := d.ImageIDs(func(testserver.Image) bool { return true })
	for _, route := range []Route{PixelBuffer, Zarr} {
		t.Run(route.String(), func(t *testing.T) {
			routes := Probe(context.Background(), conn, Options{ProbeImage: ids[0], SpoolDir: t.TempDir(), KeptBytes: budget})
			var wg sync.WaitGroup
			for _, id := range ids {
				ti, _ := s.Data().Image(id)
				im := Image{ID: id, SizeX: ti.SizeX, SizeY: ti.SizeY, SizeZ: ti.SizeZ, SizeC: ti.SizeC, SizeT: ti.SizeT, Type: tiff.Uint16}
				px, err := routes.OpenWith(im, route)
				if err != nil {
					t.Fatal(err)
				}
				defer px.Close()
				for c := 0; c < im.SizeC; c++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						checkPlane(t, px, ti, 0, c, 0)
					}()
				}
			}
			wg.Wait()
			held, peak, max := routes.KeptBytes()
			if max != budget || held > budget || peak > budget {
				t.Fatalf("kept %d bytes, at most %d, within a budget of %d (want ≤ %d)", held, peak, max, budget)
			}
			if peak < 1<<19 {
				t.Fatalf("peak %d: no band was kept at all", peak)
			}
			t.Logf("%s: 24 planes of 8 images read at once, at most %d KiB kept (budget %d KiB)", route, peak>>10, budget>>10)
		})
	}
}
