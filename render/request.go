package render

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// The query the engine sends is as short as it can be, because OMERO.web is
// served by gunicorn, whose request line is at most 4094 bytes
// (docs/omero-web.md): a query naming every channel's window, colour and map
// outgrows that at about 24 channels, and multiplexed images have 30 to 60.
// webgateway (_get_prepared_image, set_active_channels) needs only:
//   - c: the active channels. Those not listed become inactive; a listed
//     channel without a window or colour keeps the stored one.
//   - maps: only when a listed channel's inversion or quantization differs
//     from what the server has stored, aligned with c's entries and ending
//     at the last such channel. An entry sets the channel's inversion (off
//     when it lacks "inverted") and keeps the stored quantization when it
//     lacks "quantization"; channels past the list keep both.
//   - p: the projection, only for render_image: render_image_region renders
//     plane Z whatever p says (renderJpegRegion).

// requestQuery returns the parameters that make the server render s, given
// that it has base stored (what imgData said when the engine opened).
// whole is false for regions and tiles, which take no projection.
func requestQuery(s, base Settings, whole bool) url.Values {
	q := url.Values{}
	var c strings.Builder
	var listed []int
	for i, ch := range s.Channels {
		if !ch.Active {
			continue
		}
		listed = append(listed, i)
		if c.Len() > 0 {
			c.WriteByte(',')
		}
		c.WriteString(strconv.Itoa(i + 1))
		var was Channel
		if i < len(base.Channels) {
			was = base.Channels[i]
		}
		if ch.Start != was.Start || ch.End != was.End || i >= len(base.Channels) {
			c.WriteByte('|')
			c.WriteString(strconv.FormatFloat(ch.Start, 'g', -1, 64))
			c.WriteByte(':')
			c.WriteString(strconv.FormatFloat(ch.End, 'g', -1, 64))
		}
		switch {
		case ch.LUT != "" && ch.LUT != was.LUT:
			c.WriteString("$" + ch.LUT)
		case ch.LUT == "" && (ch.Color != was.Color || was.LUT != ""):
			c.WriteString("$" + ch.Color.Hex())
		}
	}
	switch {
	case len(listed) > 0:
		q.Set("c", c.String())
	case len(s.Channels) > 0:
		q.Set("c", "-1") // no channel active: list one, inactive, so all are off
	}
	// maps: an entry per listed channel up to the last one whose map
	// differs from the stored one. An entry without "inverted" turns
	// inversion off and one without "quantization" keeps the stored one, so
	// most entries are just {}.
	last := -1
	for k, i := range listed {
		if i >= len(base.Channels) || !sameMap(s.Channels[i], base.Channels[i]) {
			last = k
		}
	}
	if last >= 0 {
		maps := make([]map[string]any, last+1)
		for k, i := range listed[:last+1] {
			ch := s.Channels[i]
			entry := map[string]any{}
			if ch.Inverted {
				entry["inverted"] = map[string]bool{"enabled": true}
			}
			if i >= len(base.Channels) || family(ch) != family(base.Channels[i]) || coefficient(ch) != coefficient(base.Channels[i]) {
				entry["quantization"] = map[string]any{"family": family(ch), "coefficient": coefficient(ch)}
			}
			maps[k] = entry
		}
		b, _ := json.Marshal(maps) // plain maps of strings, bools and floats: cannot fail
		q.Set("maps", string(b))
	}
	s.setModelAndProjection(q, whole)
	return q
}

func family(ch Channel) string {
	if ch.Family == "" {
		return FamilyLinear
	}
	return ch.Family
}

func coefficient(ch Channel) float64 {
	if ch.Coefficient == 0 || isBad(ch.Coefficient) {
		return 1
	}
	return ch.Coefficient
}

// sameMap reports whether two channels invert and quantize alike.
func sameMap(a, b Channel) bool {
	return a.Inverted == b.Inverted && family(a) == family(b) && coefficient(a) == coefficient(b)
}
