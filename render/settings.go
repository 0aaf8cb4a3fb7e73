package render

// Channel is one channel's rendering settings, as imgData reports them and
// as the c= and maps= parameters change them.
type Channel struct {
	Label       string
	Active      bool
	Start, End  float64 // rendering window: values are clamped into it
	Min, Max    float64 // the channel's pixel range (imgData window.min/max)
	Color       Color
	LUT         string  // lookup table name when set (e.g. "cool.lut"); our renderer falls back to Color
	Inverted    bool    // reverse intensity
	Family      string  // "linear" (default), "polynomial", "exponential", "logarithmic"
	Coefficient float64 // of the family; 1 when unset
}

// Settings are an image's rendering settings (a "rendering definition").
type Settings struct {
	Model              string // ModelGreyscale or ModelColor
	Projection         string // ProjectionNormal, ProjectionMax, ProjectionMean, ProjectionSum
	ProjStart, ProjEnd int    // inclusive Z range of a projection; -1, -1 = the whole stack
	Z, T               int    // default plane, 0-based
	InvertAxis         bool   // imgData rdefs.invertAxis / ia=1; kept, not used by Render
	Channels           []Channel
}

// Rendering models and projections, spelled as OMERO.web spells them.
const (
	ModelGreyscale   = "greyscale"
	ModelColor       = "color"
	ProjectionNormal = "normal"
	ProjectionMax    = "intmax"
	ProjectionMean   = "intmean"
	ProjectionSum    = "intsum"
	FamilyLinear     = "linear"
	FamilyPoly       = "polynomial"
	FamilyExp        = "exponential"
	FamilyLog        = "logarithmic"
)

// Clone returns a deep copy, so that a render's changes never reach the
// settings it started from.
func (s Settings) Clone() Settings {
	c := s
	c.Channels = append([]Channel(nil), s.Channels...)
	return c
}

// ActiveChannels returns the 0-based indexes of the active channels.
func (s Settings) ActiveChannels() []int {
	var idx []int
	for i, ch := range s.Channels {
		if ch.Active {
			idx = append(idx, i)
		}
	}
	return idx
}
