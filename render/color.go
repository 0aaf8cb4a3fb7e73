package render

import (
	"fmt"
	"strconv"
)

// Color is an RGB channel colour, as OMERO.web writes it: "RRGGBB".
type Color struct{ R, G, B uint8 }

// Colours OMERO uses as defaults.
var (
	Red   = Color{255, 0, 0}
	Green = Color{0, 255, 0}
	Blue  = Color{0, 0, 255}
	White = Color{255, 255, 255}
)

// ParseColor reads "RRGGBB" (case-insensitive, optional leading '#').
func ParseColor(hex string) (Color, error) {
	h := hex
	if len(h) > 0 && h[0] == '#' {
		h = h[1:]
	}
	if len(h) != 6 {
		return Color{}, fmt.Errorf("colour %q: want RRGGBB", hex)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return Color{}, fmt.Errorf("colour %q: want RRGGBB", hex)
	}
	return Color{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// Hex writes the colour as "RRGGBB", upper-case like OMERO.web.
func (c Color) Hex() string { return fmt.Sprintf("%02X%02X%02X", c.R, c.G, c.B) }

// RGBA is the colour as OMERO's signed 32-bit RGBA integer (the
// Channel.Color of the JSON API), fully opaque.
func (c Color) RGBA() int32 {
	return int32(uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | 0xFF)
}
