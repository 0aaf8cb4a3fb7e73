package wrappers

import (
	"strings"
	"testing"

	"github.com/omerofs/omerofs/gateway"
)

// TestChannelLabelsAsGetLabel: the name unless blank, else the emission
// wavelength (integral ones without ".0"), else the 0-based index, as
// omero-py's ChannelWrapper.getLabel and so OMERO.web's viewer.
func TestChannelLabelsAsGetLabel(t *testing.T) {
	name := func(s string) *string { return &s }
	nm := func(v float64) *gateway.Length { return &gateway.Length{Value: v, Unit: "NANOMETER", Symbol: "nm"} }
	got := channelLabels([]gateway.Channel{
		{Name: name("DAPI")},
		{Name: name("   "), EmissionWavelength: nm(520)},
		{Name: name(""), EmissionWavelength: nm(617.5)},
		{Name: name(" \t")},
		{},
		{Name: name(" GFP ")},
	})
	if want := "DAPI|520|617.5|3|4| GFP "; strings.Join(got, "|") != want {
		t.Fatalf("labels %q, want %q", strings.Join(got, "|"), want)
	}
}
