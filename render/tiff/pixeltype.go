// Package tiff writes and reads the uncompressed, one-sample-per-pixel TIFF
// files of the data view: a raw plane in OMERO's pixel type as a single-page
// file (planes/t1_z1_c1.tif) whose byte length is known from its dimensions
// before any pixel is read, and the multi-page OME-TIFF of render_ome_tiff.
// Pixel rows are always big-endian bytes, OMERO's own order: the writer puts
// them in the file as they come, the reader gives them back that way
// whatever the file's byte order.
package tiff

import (
	"encoding/binary"
	"fmt"
	"math"
)

// PixelType is one of OMERO's pixel types.
type PixelType uint8

// OMERO's pixel types. Bit is stored as one byte a pixel (0 or 1), as uint8.
const (
	Int8 PixelType = iota + 1
	Uint8
	Int16
	Uint16
	Int32
	Uint32
	Float
	Double
	Bit
)

var typeNames = map[PixelType]string{Int8: "int8", Uint8: "uint8", Int16: "int16", Uint16: "uint16",
	Int32: "int32", Uint32: "uint32", Float: "float", Double: "double", Bit: "bit"}

// ParsePixelType reads OMERO's name of a pixel type ("uint16", "float", …).
func ParsePixelType(s string) (PixelType, error) {
	for t, n := range typeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown pixel type %q", s)
}

// String is OMERO's name of the type.
func (t PixelType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("PixelType(%d)", uint8(t))
}

// Valid reports whether t is one of the constants.
func (t PixelType) Valid() bool { _, ok := typeNames[t]; return ok }

// Bytes is the size of one pixel (bit: 1).
func (t PixelType) Bytes() int {
	switch t {
	case Int16, Uint16:
		return 2
	case Int32, Uint32, Float:
		return 4
	case Double:
		return 8
	}
	return 1
}

// sampleFormat is TIFF's SampleFormat: 1 unsigned, 2 signed, 3 IEEE float.
func (t PixelType) sampleFormat() uint16 {
	switch t {
	case Int8, Int16, Int32:
		return 2
	case Float, Double:
		return 3
	}
	return 1
}

// NumpyType is the type's NumPy dtype string in big-endian order (">u2"),
// as Zarr's .zarray names it; one-byte types have no order ("|u1").
func (t PixelType) NumpyType() string {
	switch t {
	case Int8:
		return "|i1"
	case Uint8, Bit:
		return "|u1"
	case Int16:
		return ">i2"
	case Uint16:
		return ">u2"
	case Int32:
		return ">i4"
	case Uint32:
		return ">u4"
	case Float:
		return ">f4"
	case Double:
		return ">f8"
	}
	return ""
}

// Value decodes the big-endian pixel at b[0:Bytes()].
func (t PixelType) Value(b []byte) float64 {
	switch t {
	case Int8:
		return float64(int8(b[0]))
	case Int16:
		return float64(int16(binary.BigEndian.Uint16(b)))
	case Uint16:
		return float64(binary.BigEndian.Uint16(b))
	case Int32:
		return float64(int32(binary.BigEndian.Uint32(b)))
	case Uint32:
		return float64(binary.BigEndian.Uint32(b))
	case Float:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case Double:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return float64(b[0])
}

// Put encodes v big-endian into b[0:Bytes()]; integers are rounded and
// clamped to the type's range.
func (t PixelType) Put(b []byte, v float64) {
	clamp := func(lo, hi float64) float64 { return math.Max(lo, math.Min(hi, math.Round(v))) }
	switch t {
	case Int8:
		b[0] = byte(int8(clamp(math.MinInt8, math.MaxInt8)))
	case Uint8:
		b[0] = byte(clamp(0, math.MaxUint8))
	case Bit:
		b[0] = byte(clamp(0, 1))
	case Int16:
		binary.BigEndian.PutUint16(b, uint16(int16(clamp(math.MinInt16, math.MaxInt16))))
	case Uint16:
		binary.BigEndian.PutUint16(b, uint16(clamp(0, math.MaxUint16)))
	case Int32:
		binary.BigEndian.PutUint32(b, uint32(int32(clamp(math.MinInt32, math.MaxInt32))))
	case Uint32:
		binary.BigEndian.PutUint32(b, uint32(clamp(0, math.MaxUint32)))
	case Float:
		binary.BigEndian.PutUint32(b, math.Float32bits(float32(v)))
	case Double:
		binary.BigEndian.PutUint64(b, math.Float64bits(v))
	}
}
