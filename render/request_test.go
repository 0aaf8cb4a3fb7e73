package render

import (
	"math/rand"
	"net/url"
	"strconv"
	"testing"
)

// randomSettings are settings of n channels with varied windows, colours,
// LUTs, inversions and quantizations.
func randomSettings(rng *rand.Rand, n int) Settings {
	s := Settings{Model: ModelColor, Projection: ProjectionNormal, ProjStart: -1, ProjEnd: -1}
	fams := []string{FamilyLinear, FamilyPoly, FamilyExp, FamilyLog}
	for i := 0; i < n; i++ {
		ch := Channel{Label: strconv.Itoa(i), Active: rng.Intn(2) == 0, Min: 0, Max: 65535,
			Start: float64(rng.Intn(1000)) + rng.Float64(), End: 1000 + float64(rng.Intn(60000)) + rng.Float64(),
			Color:    Color{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256))},
			Inverted: rng.Intn(4) == 0, Family: fams[rng.Intn(4)], Coefficient: []float64{1, 0.5, 2.25}[rng.Intn(3)]}
		if rng.Intn(8) == 0 {
			ch.LUT = "cool.lut"
		}
		s.Channels = append(s.Channels, ch)
	}
	return s
}

// mutate changes some channels as a caller of SetActiveChannels (or of a
// future settings editor) would.
func mutate(rng *rand.Rand, s Settings) Settings {
	out := s.Clone()
	for i := range out.Channels {
		ch := &out.Channels[i]
		switch rng.Intn(6) {
		case 0:
			ch.Active = !ch.Active
		case 1:
			ch.Start, ch.End = ch.Start+1.5, ch.End-2.25
		case 2:
			ch.Color, ch.LUT = Color{uint8(rng.Intn(256)), 0, 255}, ""
		case 3:
			ch.Inverted = !ch.Inverted
		case 4:
			ch.Family, ch.Coefficient = FamilyLog, 1.5
		}
	}
	return out
}

// TestRequestQueryRendersTheSettings: whatever differs between the stored
// settings and the wanted ones, the server that applies the short query to
// its stored settings (as _get_prepared_image does) renders the wanted ones,
// and the request line of a 64-channel image stays within gunicorn's 4094
// bytes even when every channel is active and changed.
func TestRequestQueryRendersTheSettings(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for n := 0; n < 300; n++ {
		base := randomSettings(rng, 1+rng.Intn(64))
		want := mutate(rng, base)
		got := base.Clone()
		if err := got.ApplyQuery(requestQuery(want, base, true)); err != nil {
			t.Fatalf("the query does not parse: %v", err)
		}
		for i, w := range want.Channels {
			g := got.Channels[i]
			if g.Active != w.Active {
				t.Fatalf("case %d channel %d: active %v, want %v", n, i, g.Active, w.Active)
			}
			if !w.Active {
				continue // an inactive channel's settings do not show
			}
			if g.Start != w.Start || g.End != w.End || g.Color != w.Color || g.LUT != w.LUT || g.Inverted != w.Inverted ||
				family(g) != family(w) || coefficient(g) != coefficient(w) {
				t.Fatalf("case %d channel %d: server renders %+v, want %+v", n, i, g, w)
			}
		}
	}
	// A heavy case of 64 channels: all active, every window and colour
	// changed (to values as a user sets them), a few inverted.
	base := randomSettings(rng, 64)
	want := base.Clone()
	for i := range want.Channels {
		ch := &want.Channels[i]
		ch.Active, ch.LUT = true, ""
		ch.Start, ch.End = float64(100+i)+0.25, float64(30000+97*i)+0.5
		ch.Color = Color{uint8(i), 255 - uint8(i), 128}
		ch.Inverted = i%16 == 3
	}
	q := requestQuery(want, base, true)
	q.Set("q", "1")
	line := len("GET /webgateway/render_image/123456789/0/0/?" + q.Encode() + " HTTP/1.1")
	t.Logf("64 channels, every window and colour changed: a request line of %d bytes", line)
	if line > 4094 {
		t.Errorf("a 64-channel request line with every window and colour changed is %d bytes, above gunicorn's 4094", line)
	}
	// And the usual one, nothing changed, is short.
	q = requestQuery(base, base, true)
	t.Logf("64 channels unchanged: a query of %d bytes", len(q.Encode()))
	if n := len(url.Values(q).Encode()); n > 400 {
		t.Errorf("an unchanged 64-channel query is %d bytes", n)
	}
}
