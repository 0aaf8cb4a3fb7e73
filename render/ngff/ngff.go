// Package ngff lays out an image as an OME-NGFF 0.4 (Zarr v2) folder,
// image.ome.zarr/ of the data view: .zgroup and .zattrs (multiscales with
// axes t, c, z, y, x and scale transformations; the "omero" rendering
// block), and per resolution level a .zarray and its chunks, 1 along t, c,
// z. Chunks are uncompressed ("compressor": null) and edge chunks padded,
// so every file's size is known from the dimensions alone: a chunk is the
// product of the chunk shape times the item size. Values are big-endian
// (dtype ">u2" …), OMERO's own order, so chunk bytes are raw pixel bytes.
//
// The package only computes: names, sizes, metadata bytes, and a chunk's
// bytes from a source of pixel regions. Serving them is the caller's.
package ngff

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/omerofs/omerofs/render/tiff"
)

// Channel is one channel's rendering settings, for the "omero" block.
type Channel struct {
	Label       string
	Color       string // RRGGBB
	Active      bool
	Inverted    bool
	Family      string // "linear", …
	Coefficient float64
	Min, Max    float64 // the window's range
	Start, End  float64 // the window
}

// Level is the size of one resolution level.
type Level struct{ SizeX, SizeY int }

// Image describes the folder to lay out.
type Image struct {
	ID                                int64
	Name                              string
	SizeX, SizeY, SizeZ, SizeC, SizeT int
	Type                              tiff.PixelType
	// Levels are the pyramid's levels, full size first; empty = the full
	// size only. Each is at most as large as the one before.
	Levels []Level
	// PhysicalSizeX/Y/Z are µm per pixel at full size; 0 = unknown.
	PhysicalSizeX, PhysicalSizeY, PhysicalSizeZ float64
	Channels                                    []Channel
	DefaultZ, DefaultT                          int
	Model                                       string // "color" or "greyscale"
	// ChunkX, ChunkY are the chunks' width and height (0: 1024, or the
	// level's size when smaller).
	ChunkX, ChunkY int
}

// DefaultChunk is the chunk side when Image leaves it unset.
const DefaultChunk = 1024

// maxChunkBytes bounds one chunk, which a reader holds whole.
const maxChunkBytes = 256 << 20

// Check validates the description.
func (im *Image) Check() error {
	if im.SizeX <= 0 || im.SizeY <= 0 || im.SizeZ <= 0 || im.SizeC <= 0 || im.SizeT <= 0 {
		return fmt.Errorf("ngff: image %d has dimensions %d×%d×%d×%d×%d", im.ID, im.SizeX, im.SizeY, im.SizeZ, im.SizeC, im.SizeT)
	}
	if !im.Type.Valid() {
		return fmt.Errorf("ngff: image %d has no valid pixel type", im.ID)
	}
	if im.ChunkX < 0 || im.ChunkY < 0 {
		return fmt.Errorf("ngff: chunk %d×%d", im.ChunkX, im.ChunkY)
	}
	prev := Level{im.SizeX, im.SizeY}
	for i, l := range im.levels() {
		if l.SizeX <= 0 || l.SizeY <= 0 || l.SizeX > prev.SizeX || l.SizeY > prev.SizeY || (i == 0 && l != prev) {
			return fmt.Errorf("ngff: level %d is %d×%d after %d×%d", i, l.SizeX, l.SizeY, prev.SizeX, prev.SizeY)
		}
		prev = l
		if cx, cy := im.chunk(i); int64(cx)*int64(cy)*int64(im.Type.Bytes()) > maxChunkBytes {
			return fmt.Errorf("ngff: chunks of %d×%d are too large", cx, cy)
		}
	}
	for _, v := range []float64{im.PhysicalSizeX, im.PhysicalSizeY, im.PhysicalSizeZ} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("ngff: physical size %v", v)
		}
	}
	return nil
}

func (im *Image) levels() []Level {
	if len(im.Levels) == 0 {
		return []Level{{im.SizeX, im.SizeY}}
	}
	return im.Levels
}

// NumLevels is the number of resolution levels.
func (im *Image) NumLevels() int { return len(im.levels()) }

// chunk is the chunk width and height at a level.
func (im *Image) chunk(level int) (int, int) {
	l := im.levels()[level]
	cx, cy := im.ChunkX, im.ChunkY
	if cx == 0 {
		cx = DefaultChunk
	}
	if cy == 0 {
		cy = DefaultChunk
	}
	return min(cx, l.SizeX), min(cy, l.SizeY)
}

// Grid is the number of chunks along t, c, z, y, x at a level.
func (im *Image) Grid(level int) [5]int {
	l := im.levels()[level]
	cx, cy := im.chunk(level)
	return [5]int{im.SizeT, im.SizeC, im.SizeZ, (l.SizeY + cy - 1) / cy, (l.SizeX + cx - 1) / cx}
}

// ChunkSize is the byte length of every chunk file of a level.
func (im *Image) ChunkSize(level int) int64 {
	cx, cy := im.chunk(level)
	return int64(cx) * int64(cy) * int64(im.Type.Bytes())
}

// Chunk names one chunk file: level/t/c/z/y/x.
type Chunk struct{ Level, T, C, Z, Y, X int }

// Path is the chunk's path inside the folder.
func (c Chunk) Path() string {
	return fmt.Sprintf("%d/%d/%d/%d/%d/%d", c.Level, c.T, c.C, c.Z, c.Y, c.X)
}

// Region is the part of the level's plane a chunk holds (its top-left
// corner at (X, Y) of the level; the rest of the chunk is zero padding).
func (im *Image) Region(c Chunk) (x, y, w, h int, err error) {
	if err := im.valid(c); err != nil {
		return 0, 0, 0, 0, err
	}
	l := im.levels()[c.Level]
	cx, cy := im.chunk(c.Level)
	x, y = c.X*cx, c.Y*cy
	return x, y, min(cx, l.SizeX-x), min(cy, l.SizeY-y), nil
}

func (im *Image) valid(c Chunk) error {
	if c.Level < 0 || c.Level >= im.NumLevels() {
		return fmt.Errorf("ngff: no level %d", c.Level)
	}
	g := im.Grid(c.Level)
	for i, v := range []int{c.T, c.C, c.Z, c.Y, c.X} {
		if v < 0 || v >= g[i] {
			return fmt.Errorf("ngff: no chunk %s", c.Path())
		}
	}
	return nil
}

// RegionSource fills buf with the w × h region at (x, y) of plane (z, c,
// t) of a level: w·h values, big-endian, row after row.
type RegionSource func(level, z, c, t, x, y, w, h int, buf []byte) error

// ChunkBytes builds a chunk file from its region of the pixels: exactly
// ChunkSize(level) bytes, zero past the plane's edge.
func (im *Image) ChunkBytes(c Chunk, src RegionSource) ([]byte, error) {
	x, y, w, h, err := im.Region(c)
	if err != nil {
		return nil, err
	}
	bpp := im.Type.Bytes()
	cx, _ := im.chunk(c.Level)
	out := make([]byte, im.ChunkSize(c.Level))
	region := out
	if w != cx {
		region = make([]byte, w*h*bpp)
	}
	if err := src(c.Level, c.Z, c.C, c.T, x, y, w, h, region[:w*h*bpp]); err != nil {
		return nil, fmt.Errorf("ngff: chunk %s of image %d: %w", c.Path(), im.ID, err)
	}
	if w != cx {
		for r := 0; r < h; r++ {
			copy(out[r*cx*bpp:], region[r*w*bpp:(r+1)*w*bpp])
		}
	}
	return out, nil
}

// ZGroup is the .zgroup file.
func (im *Image) ZGroup() []byte { return []byte("{\n    \"zarr_format\": 2\n}\n") }

type axis struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Unit string `json:"unit,omitempty"`
}

type transform struct {
	Type  string    `json:"type"`
	Scale []float64 `json:"scale"`
}

type dataset struct {
	Path                      string      `json:"path"`
	CoordinateTransformations []transform `json:"coordinateTransformations"`
}

type multiscale struct {
	Version  string    `json:"version"`
	Name     string    `json:"name"`
	Axes     []axis    `json:"axes"`
	Datasets []dataset `json:"datasets"`
}

type window struct {
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

type omeroChannel struct {
	Active      bool    `json:"active"`
	Coefficient float64 `json:"coefficient"`
	Color       string  `json:"color"`
	Family      string  `json:"family"`
	Inverted    bool    `json:"inverted"`
	Label       string  `json:"label"`
	Window      window  `json:"window"`
}

type omero struct {
	ID       int64          `json:"id"`
	Name     string         `json:"name"`
	Version  string         `json:"version"`
	Channels []omeroChannel `json:"channels"`
	Rdefs    struct {
		DefaultT int    `json:"defaultT"`
		DefaultZ int    `json:"defaultZ"`
		Model    string `json:"model"`
	} `json:"rdefs"`
}

// ZAttrs is the .zattrs file: multiscales (axes t, c, z, y, x; per level
// a scale of µm per pixel, or pixels when the size is unknown) and the
// transitional "omero" block with the rendering settings.
func (im *Image) ZAttrs() ([]byte, error) {
	if err := im.Check(); err != nil {
		return nil, err
	}
	unit := func(known bool) string {
		if known {
			return "micrometer"
		}
		return ""
	}
	or1 := func(v float64) float64 {
		if v > 0 {
			return v
		}
		return 1
	}
	ms := multiscale{Version: "0.4", Name: im.Name, Axes: []axis{
		{Name: "t", Type: "time"}, {Name: "c", Type: "channel"},
		{Name: "z", Type: "space", Unit: unit(im.PhysicalSizeZ > 0)},
		{Name: "y", Type: "space", Unit: unit(im.PhysicalSizeY > 0)},
		{Name: "x", Type: "space", Unit: unit(im.PhysicalSizeX > 0)},
	}}
	for i, l := range im.levels() {
		ms.Datasets = append(ms.Datasets, dataset{Path: strconv.Itoa(i), CoordinateTransformations: []transform{{Type: "scale",
			Scale: []float64{1, 1, or1(im.PhysicalSizeZ),
				or1(im.PhysicalSizeY) * float64(im.SizeY) / float64(l.SizeY),
				or1(im.PhysicalSizeX) * float64(im.SizeX) / float64(l.SizeX)}}}})
	}
	om := omero{ID: im.ID, Name: im.Name, Version: "0.4", Channels: []omeroChannel{}}
	for _, c := range im.Channels {
		om.Channels = append(om.Channels, omeroChannel{Active: c.Active, Coefficient: c.Coefficient, Color: c.Color,
			Family: c.Family, Inverted: c.Inverted, Label: c.Label, Window: window{c.Min, c.Max, c.Start, c.End}})
	}
	om.Rdefs.DefaultT, om.Rdefs.DefaultZ, om.Rdefs.Model = im.DefaultT, im.DefaultZ, im.Model
	if om.Rdefs.Model == "" {
		om.Rdefs.Model = "color"
	}
	b, err := json.MarshalIndent(struct {
		Multiscales []multiscale `json:"multiscales"`
		Omero       omero        `json:"omero"`
	}{[]multiscale{ms}, om}, "", "    ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ZArray is a level's .zarray.
func (im *Image) ZArray(level int) ([]byte, error) {
	if err := im.Check(); err != nil {
		return nil, err
	}
	if level < 0 || level >= im.NumLevels() {
		return nil, fmt.Errorf("ngff: no level %d", level)
	}
	l := im.levels()[level]
	cx, cy := im.chunk(level)
	b, err := json.MarshalIndent(struct {
		Chunks     []int   `json:"chunks"`
		Compressor *string `json:"compressor"`
		Separator  string  `json:"dimension_separator"`
		Dtype      string  `json:"dtype"`
		FillValue  int     `json:"fill_value"`
		Filters    *string `json:"filters"`
		Order      string  `json:"order"`
		Shape      []int   `json:"shape"`
		ZarrFormat int     `json:"zarr_format"`
	}{[]int{1, 1, 1, cy, cx}, nil, "/", im.Type.NumpyType(), 0, nil, "C",
		[]int{im.SizeT, im.SizeC, im.SizeZ, l.SizeY, l.SizeX}, 2}, "", "    ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Entry is a file or folder of the layout.
type Entry struct {
	Name  string
	Dir   bool
	Size  int64  // files only
	Chunk *Chunk // chunk files only
}

// ErrNotExist: no such path in the layout.
var ErrNotExist = errors.New("ngff: no such file or folder")

// List gives the entries of a folder of the layout ("" is the root;
// "0/0/1" the z folders of level 0, t 0, c 1), in order.
func (im *Image) List(dir string) ([]Entry, error) {
	if err := im.Check(); err != nil {
		return nil, err
	}
	parts, err := im.parse(dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	if len(parts) == 0 {
		zattrs, err := im.ZAttrs()
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Name: ".zattrs", Size: int64(len(zattrs))}, Entry{Name: ".zgroup", Size: int64(len(im.ZGroup()))})
		for l := 0; l < im.NumLevels(); l++ {
			out = append(out, Entry{Name: strconv.Itoa(l), Dir: true})
		}
		return out, nil
	}
	level := parts[0]
	if len(parts) == 1 {
		za, _ := im.ZArray(level)
		out = append(out, Entry{Name: ".zarray", Size: int64(len(za))})
	}
	g := im.Grid(level)
	depth := len(parts) - 1 // 0: t folders, … 3: y folders, 4: x files
	for i := 0; i < g[depth]; i++ {
		e := Entry{Name: strconv.Itoa(i), Dir: depth < 4}
		if depth == 4 {
			c := Chunk{level, parts[1], parts[2], parts[3], parts[4], i}
			e.Size, e.Chunk = im.ChunkSize(level), &c
		}
		out = append(out, e)
	}
	return out, nil
}

// Lookup describes one path of the layout.
func (im *Image) Lookup(path string) (Entry, error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return Entry{Dir: true}, im.Check()
	}
	dir, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	entries, err := im.List(dir)
	if err != nil {
		return Entry{}, err
	}
	for _, e := range entries {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%w: %s", ErrNotExist, path)
}

// File gives the bytes of a metadata file (.zgroup, .zattrs, <level>/.zarray).
func (im *Image) File(path string) ([]byte, error) {
	path = strings.Trim(path, "/")
	switch {
	case path == ".zgroup":
		return im.ZGroup(), nil
	case path == ".zattrs":
		return im.ZAttrs()
	case strings.HasSuffix(path, "/.zarray"):
		l, err := strconv.Atoi(strings.TrimSuffix(path, "/.zarray"))
		if err == nil && strconv.Itoa(l) == strings.TrimSuffix(path, "/.zarray") {
			return im.ZArray(l)
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNotExist, path)
}

// parse reads a folder path into numbers, each within the grid.
func (im *Image) parse(dir string) ([]int, error) {
	dir = strings.Trim(dir, "/")
	if dir == "" {
		return nil, nil
	}
	fields := strings.Split(dir, "/")
	if len(fields) > 5 {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, dir)
	}
	parts := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || strconv.Itoa(n) != f {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, dir)
		}
		parts[i] = n
	}
	if parts[0] < 0 || parts[0] >= im.NumLevels() {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, dir)
	}
	g := im.Grid(parts[0])
	for i, n := range parts[1:] {
		if n < 0 || n >= g[i] {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, dir)
		}
	}
	return parts, nil
}
