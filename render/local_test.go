package render

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/omerofs/omerofs/render/tiff"
)

// fakeRaw holds uint16 planes computed from (z, c, x, y); it counts reads.
type fakeRaw struct {
	sizeX, sizeY int
	levels       int
	reads        int
}

func rawValue(z, c, x, y int) uint16 { return uint16((x*7 + y*13 + z*1000 + c*300) % 4096) }

func (f *fakeRaw) Type() tiff.PixelType { return tiff.Uint16 }
func (f *fakeRaw) Levels() int          { return f.levels }
func (f *fakeRaw) ReadRegion(ctx context.Context, level, z, c, t, x, y, w, h int, buf []byte) error {
	f.reads++
	if level != 0 || x+w > f.sizeX || y+h > f.sizeY || len(buf) != w*h*2 {
		return errors.New("out of range")
	}
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			binary.BigEndian.PutUint16(buf[(j*w+i)*2:], rawValue(z, c, x+i, y+j))
		}
	}
	return nil
}

func localInfo() ImageInfo {
	return ImageInfo{ID: 1, SizeX: 300, SizeY: 600, SizeZ: 4, SizeT: 1, SizeC: 2, PixelsType: "uint16",
		Settings: Settings{Model: ModelColor, Projection: ProjectionMean, ProjStart: -1, ProjEnd: -1, Z: 1, Channels: []Channel{
			{Active: true, Start: 100, End: 3000, Color: Red, Family: FamilyExp, Coefficient: 0.8},
			{Active: true, Start: 0, End: 4095, Color: Green, Family: FamilyLinear, Coefficient: 1, Inverted: true},
		}}}
}

// An engine with raw pixels renders exactly what Render gives for the raw
// values (the projection made band by band), with no server render; a LUT
// channel, or a level it cannot read, goes to the server.
func TestLocalRender(t *testing.T) {
	src := &fakeSource{info: localInfo()}
	eng, err := OpenEngine(context.Background(), src, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw := &fakeRaw{sizeX: 300, sizeY: 600, levels: 1}
	eng.UseRaw(raw)
	got, err := eng.Render(context.Background(), 300, 600)
	if err != nil {
		t.Fatal(err)
	}
	info := localInfo()
	want := Render(info.Settings, 300, 600, 4, func(c, z, x, y int) float64 { return float64(rawValue(z, c, x, y)) })
	if !bytes.Equal(got.Pix, want.Pix) || len(src.queries) != 0 || raw.reads == 0 {
		t.Fatalf("local render: equal %v, %d server renders, %d raw reads", bytes.Equal(got.Pix, want.Pix), len(src.queries), raw.reads)
	}

	src.info.Settings.Channels[1].LUT = "fire.lut"
	eng, _ = OpenEngine(context.Background(), src, 1)
	eng.UseRaw(raw)
	if _, err := eng.Render(context.Background(), 300, 600); err != nil || len(src.queries) != 1 {
		t.Fatalf("LUT channel: %v, %d server renders", err, len(src.queries))
	}

	src.info = localInfo()
	src.info.Tiled, src.info.Levels, src.info.Resolutions = true, 2, []Size{{300, 600}, {150, 300}}
	eng, _ = OpenEngine(context.Background(), src, 1)
	eng.UseRaw(raw)
	if _, err := eng.Render(context.Background(), 100, 200); err != nil || len(src.queries) <= 1 {
		t.Fatalf("unreadable level: %v, %d server renders", err, len(src.queries))
	}
}
