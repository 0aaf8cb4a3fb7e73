package render

import (
	"net/url"
	"reflect"
	"testing"
)

func threeChannels() Settings {
	return Settings{
		Model: ModelColor, Projection: ProjectionNormal, ProjStart: -1, ProjEnd: -1, Z: 2,
		Channels: []Channel{
			{Label: "DAPI", Active: true, Start: 0, End: 1000, Color: Blue, Family: FamilyLinear, Coefficient: 1},
			{Label: "GFP", Active: true, Start: 10, End: 500.5, Color: Green, Family: FamilyLinear, Coefficient: 1},
			{Label: "RFP", Active: false, Start: 0, End: 65535, Color: Red, Family: FamilyLinear, Coefficient: 1},
		},
	}
}

func TestApplyQueryAsTheReferenceSays(t *testing.T) {
	s := threeChannels()
	q, _ := url.ParseQuery("c=1|100:505$FF0000,-2,3|620:3879$00FF00&m=g&p=intmax|1:3&maps=" +
		url.QueryEscape(`[{"inverted":{"enabled":true}},{},{"quantization":{"family":"logarithmic","coefficient":1.5}}]`))
	if err := s.ApplyQuery(q); err != nil {
		t.Fatal(err)
	}
	c := s.Channels
	if !c[0].Active || c[0].Start != 100 || c[0].End != 505 || c[0].Color != Red || !c[0].Inverted {
		t.Errorf("channel 1: %+v", c[0])
	}
	if c[1].Active || c[1].Start != 10 || c[1].Color != Green {
		t.Errorf("channel 2 must only be switched off: %+v", c[1])
	}
	if !c[2].Active || c[2].End != 3879 || c[2].Family != FamilyLog || c[2].Coefficient != 1.5 {
		t.Errorf("channel 3: %+v", c[2])
	}
	if s.Model != ModelGreyscale || s.Projection != ProjectionMax || s.ProjStart != 1 || s.ProjEnd != 3 {
		t.Errorf("model/projection: %+v", s)
	}
}

func TestApplyQueryUnlistedChannelsGoOff(t *testing.T) {
	s := threeChannels()
	if err := s.ApplyQuery(url.Values{"c": {"2"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.ActiveChannels(); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("active = %v, want [1]", got)
	}
	if s.Channels[1].Start != 10 || s.Channels[1].End != 500.5 {
		t.Errorf("a channel listed without window keeps its window: %+v", s.Channels[1])
	}
}

func TestApplyQueryRefusesMalformed(t *testing.T) {
	for _, bad := range []string{
		"c=0", "c=4", "c=-4", "c=x", "c=1|5", "c=1|a:b", "c=1|1:2$GGGGGG", "c=1|1:2$12345", "c=1|NaN:2",
		"m=x", "p=median", "p=intmax|3:1", "p=intmax|a:b", "c=1&maps=[", `c=1&maps=[{"quantization":{"family":"cubic"}}]`,
	} {
		s := threeChannels()
		before := s.Clone()
		q, _ := url.ParseQuery(bad)
		if err := s.ApplyQuery(q); err == nil {
			t.Errorf("%s accepted", bad)
		}
		if !reflect.DeepEqual(s, before) {
			t.Errorf("%s changed the settings despite the error", bad)
		}
	}
}

func TestQueryRoundTrips(t *testing.T) {
	want := threeChannels()
	want.Channels[0].Inverted = true
	want.Channels[1].Family, want.Channels[1].Coefficient = FamilyPoly, 2
	want.Channels[2].LUT = "cool.lut"
	want.Model = ModelGreyscale
	want.Projection, want.ProjStart, want.ProjEnd = ProjectionMean, 0, 4
	got := threeChannels()
	for i := range got.Channels { // start from something different
		got.Channels[i].Active = !got.Channels[i].Active
		got.Channels[i].Start, got.Channels[i].End = 1, 2
	}
	if err := got.ApplyQuery(want.Query()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

// FuzzApplyQuery: any c/m/p/maps never panics, and a successful parse
// survives a Query round trip.
func FuzzApplyQuery(f *testing.F) {
	f.Add("1|100:505$0000FF,-2,3|620:3879$FF0000", "c", "intmax|0:2", `[{"inverted":{"enabled":true}}]`)
	f.Add("-1", "g", "normal", "")
	f.Add("2|0:1$cool.lut", "", "", "[]")
	f.Fuzz(func(t *testing.T, c, m, p, maps string) {
		s := threeChannels()
		q := url.Values{"c": {c}, "m": {m}, "p": {p}, "maps": {maps}}
		if err := s.ApplyQuery(q); err != nil {
			return
		}
		again := threeChannels()
		if err := again.ApplyQuery(s.Query()); err != nil {
			t.Fatalf("Query() of accepted settings does not parse: %v (%v)", err, s.Query())
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip differs:\n%+v\n%+v", again, s)
		}
	})
}
