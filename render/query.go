package render

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// The webgateway query language of render_image and friends (omero-web
// webgateway/views.py: _split_channel_info, _get_prepared_image,
// _get_inverted_enabled). See docs/rendering.md.

// channelSpec is one comma-separated entry of c=.
type channelSpec struct {
	index      int // 1-based; negative = inactive
	hasWindow  bool
	start, end float64
	color      *Color
	lut        string
}

// parseChannelParam reads c=, e.g. "1|100:505$0000FF,-2,3|620:3879$FF0000".
// Unlike the upstream view, which skips what it cannot read, it refuses a
// malformed entry: a client that sends one has a bug worth seeing.
func parseChannelParam(c string, sizeC int) ([]channelSpec, error) {
	var specs []channelSpec
	for _, entry := range strings.Split(c, ",") {
		head, rest, hasRest := strings.Cut(entry, "|")
		var sp channelSpec
		colour := ""
		if i := strings.IndexByte(head, '$'); i >= 0 {
			head, colour = head[:i], head[i+1:]
		}
		idx, err := strconv.Atoi(strings.TrimSpace(head))
		if err != nil || idx == 0 {
			return nil, fmt.Errorf("c=%q: channel %q is not a 1-based index", c, head)
		}
		if abs(idx) > sizeC {
			return nil, fmt.Errorf("c=%q: channel %d of an image with %d channels", c, abs(idx), sizeC)
		}
		sp.index = idx
		if hasRest {
			win := strings.TrimSpace(rest)
			if i := strings.IndexByte(win, '$'); i >= 0 {
				win, colour = win[:i], win[i+1:]
			}
			if win != "" {
				a, b, ok := strings.Cut(win, ":")
				start, err1 := strconv.ParseFloat(a, 64)
				end, err2 := strconv.ParseFloat(b, 64)
				if !ok || err1 != nil || err2 != nil || isBad(start) || isBad(end) {
					return nil, fmt.Errorf("c=%q: window %q is not start:end", c, win)
				}
				sp.hasWindow, sp.start, sp.end = true, start, end
			}
		}
		if colour != "" {
			if strings.HasSuffix(strings.ToLower(colour), ".lut") {
				sp.lut = colour
			} else {
				col, err := ParseColor(colour)
				if err != nil {
					return nil, fmt.Errorf("c=%q: %w", c, err)
				}
				sp.color = &col
			}
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

func isBad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// mapEntry is one element of maps=.
type mapEntry struct {
	Inverted *struct {
		Enabled bool `json:"enabled"`
	} `json:"inverted,omitempty"`
	Reverse *struct {
		Enabled bool `json:"enabled"`
	} `json:"reverse,omitempty"`
	Quantization *struct {
		Family      string   `json:"family"`
		Coefficient *float64 `json:"coefficient,omitempty"`
	} `json:"quantization,omitempty"`
}

// ApplyQuery changes s as render_image would for the query q: c (channels:
// those listed are set as given, all others switched off), m (g|c), p
// (projection[|start:end]), ia (invert axis) and maps (per channel listed in
// c: inverted, quantization). On error s is unchanged.
func (s *Settings) ApplyQuery(q url.Values) error {
	out := s.Clone()
	if c, ok := q["c"]; ok && len(c) > 0 && c[0] != "" {
		specs, err := parseChannelParam(c[0], len(out.Channels))
		if err != nil {
			return err
		}
		for i := range out.Channels {
			out.Channels[i].Active = false
		}
		for _, sp := range specs {
			ch := &out.Channels[abs(sp.index)-1]
			ch.Active = sp.index > 0
			if sp.hasWindow {
				ch.Start, ch.End = sp.start, sp.end
			}
			if sp.color != nil {
				ch.Color, ch.LUT = *sp.color, ""
			}
			if sp.lut != "" {
				ch.LUT = sp.lut
			}
		}
		if m := q.Get("maps"); m != "" {
			var maps []mapEntry
			if err := json.Unmarshal([]byte(m), &maps); err != nil {
				return fmt.Errorf("maps=%q: %w", m, err)
			}
			for i, me := range maps {
				if i >= len(specs) {
					break
				}
				ch := &out.Channels[abs(specs[i].index)-1]
				// An entry without "inverted" (or "reverse") turns inversion
				// off (_get_inverted_enabled); channels past the list keep theirs.
				switch {
				case me.Inverted != nil:
					ch.Inverted = me.Inverted.Enabled
				case me.Reverse != nil:
					ch.Inverted = me.Reverse.Enabled
				default:
					ch.Inverted = false
				}
				if qm := me.Quantization; qm != nil {
					if !validFamily(qm.Family) {
						return fmt.Errorf("maps=%q: unknown family %q", m, qm.Family)
					}
					ch.Family = qm.Family
					if c := qm.Coefficient; c != nil {
						if *c <= 0 || isBad(*c) {
							return fmt.Errorf("maps=%q: coefficient %v is not positive", m, *c)
						}
						ch.Coefficient = *c
					}
				}
			}
		}
	}
	switch m := q.Get("m"); m {
	case "":
	case "g":
		out.Model = ModelGreyscale
	case "c":
		out.Model = ModelColor
	default:
		return fmt.Errorf("m=%q: want g or c", m)
	}
	if p := q.Get("p"); p != "" {
		name, rng, hasRange := strings.Cut(p, "|")
		switch name {
		case ProjectionNormal, ProjectionMax, ProjectionMean, ProjectionSum:
		default:
			return fmt.Errorf("p=%q: unknown projection", p)
		}
		out.Projection, out.ProjStart, out.ProjEnd = name, -1, -1
		if hasRange {
			a, b, ok := strings.Cut(rng, ":")
			start, err1 := strconv.Atoi(a)
			end, err2 := strconv.Atoi(b)
			if !ok || err1 != nil || err2 != nil || start < 0 || end < start {
				return fmt.Errorf("p=%q: range is not start:end", p)
			}
			out.ProjStart, out.ProjEnd = start, end
		}
	}
	if ia, ok := q["ia"]; ok && len(ia) > 0 {
		out.InvertAxis = ia[0] == "1"
	}
	*s = out
	return nil
}

func validFamily(f string) bool {
	switch f {
	case FamilyLinear, FamilyPoly, FamilyExp, FamilyLog:
		return true
	}
	return false
}

// FormatChannelParam writes c= for chs: every channel, active or not, with
// its window and colour (or LUT), so the server needs none of its own.
func FormatChannelParam(chs []Channel) string {
	var b strings.Builder
	for i, ch := range chs {
		if i > 0 {
			b.WriteByte(',')
		}
		idx := i + 1
		if !ch.Active {
			idx = -idx
		}
		b.WriteString(strconv.Itoa(idx))
		b.WriteByte('|')
		b.WriteString(strconv.FormatFloat(ch.Start, 'g', -1, 64))
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(ch.End, 'g', -1, 64))
		b.WriteByte('$')
		if ch.LUT != "" {
			b.WriteString(ch.LUT)
		} else {
			b.WriteString(ch.Color.Hex())
		}
	}
	return b.String()
}

// Query returns the c, m, p and maps parameters that make render_image
// render exactly s (at the Z and T given in the URL).
func (s Settings) Query() url.Values {
	q := url.Values{}
	if len(s.Channels) > 0 {
		q.Set("c", FormatChannelParam(s.Channels))
		maps := make([]map[string]any, len(s.Channels))
		for i, ch := range s.Channels {
			maps[i] = map[string]any{
				"inverted":     map[string]bool{"enabled": ch.Inverted},
				"quantization": map[string]any{"family": family(ch), "coefficient": coefficient(ch)},
			}
		}
		b, _ := json.Marshal(maps) // plain maps of strings, bools and floats: cannot fail
		q.Set("maps", string(b))
	}
	s.setModelAndProjection(q, true)
	return q
}

// setModelAndProjection sets what Query and requestQuery write alike: m,
// ia and, when projection is true, p (with its Z range).
func (s Settings) setModelAndProjection(q url.Values, projection bool) {
	if s.Model == ModelGreyscale {
		q.Set("m", "g")
	} else {
		q.Set("m", "c")
	}
	if projection {
		p := s.Projection
		if p == "" {
			p = ProjectionNormal
		}
		if p != ProjectionNormal && s.ProjStart >= 0 && s.ProjEnd >= s.ProjStart {
			p += "|" + strconv.Itoa(s.ProjStart) + ":" + strconv.Itoa(s.ProjEnd)
		}
		q.Set("p", p)
	}
	if s.InvertAxis {
		q.Set("ia", "1")
	}
}
