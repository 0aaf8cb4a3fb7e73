package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"sort"
	"strings"
)

// The PNG writer. Its output length depends only on the width and height,
// because the pixel data is stored, not compressed: a zlib stream of deflate
// "stored" blocks. That is what lets stat report an image's exact size
// before anything is rendered. Rendered microscopy images compress poorly
// anyway, and storing costs no CPU.

const (
	storedBlockMax = 65535   // largest deflate stored block
	idatChunkMax   = 1 << 20 // IDAT data per chunk; fixed so the length stays a pure function
)

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// rawLen is the length of the filtered image data: a filter byte per row.
func rawLen(w, h int) int64 { return int64(h) * (1 + 3*int64(w)) }

// zlibLen is the length of the zlib stream holding raw bytes in stored blocks.
func zlibLen(raw int64) int64 {
	blocks := (raw + storedBlockMax - 1) / storedBlockMax
	if blocks == 0 {
		blocks = 1
	}
	return 2 + raw + 5*blocks + 4
}

// PNGSize is the exact length of AppendPNG's output for a w × h image, or 0
// when w or h is not positive.
func PNGSize(w, h int) int64 {
	if w <= 0 || h <= 0 {
		return 0
	}
	z := zlibLen(rawLen(w, h))
	chunks := (z + idatChunkMax - 1) / idatChunkMax
	return int64(len(pngSignature)) + 25 + z + 12*chunks + 12
}

// AppendPNG appends the PNG of img to dst and returns the extended slice;
// it writes exactly PNGSize(img.Width, img.Height) bytes. Give it a dst with
// that much spare capacity and it allocates nothing.
func AppendPNG(dst []byte, img *Image) []byte {
	return appendPNG(dst, img, nil)
}

// PNGWithText is the PNG of img with a tEXt chunk per entry of text
// (keyword → value), in keyword order, right after the header: the
// freedesktop thumbnail standard's Thumb::URI and Thumb::MTime are such
// chunks. A keyword must be 1 to 79 printable Latin-1 characters and a
// value must hold no NUL, as the PNG specification requires.
func PNGWithText(img *Image, text map[string]string) ([]byte, error) {
	if img.Width <= 0 || img.Height <= 0 || len(img.Pix) != img.Width*img.Height*3 {
		return nil, errors.New("encode PNG: empty or inconsistent image")
	}
	keys := make([]string, 0, len(text))
	extra := 0
	for k, v := range text {
		if len(k) < 1 || len(k) > 79 || strings.IndexFunc(k, func(r rune) bool { return r < 0x20 || r > 0xff }) >= 0 {
			return nil, fmt.Errorf("encode PNG: bad tEXt keyword %q", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("encode PNG: tEXt %q: value holds a NUL", k)
		}
		keys = append(keys, k)
		extra += 12 + len(k) + 1 + len(v)
	}
	sort.Strings(keys)
	chunks := make([][]byte, len(keys))
	for i, k := range keys {
		chunks[i] = append(append([]byte(k), 0), text[k]...)
	}
	return appendPNG(make([]byte, 0, PNGSize(img.Width, img.Height)+int64(extra)), img, chunks), nil
}

// appendPNG writes the PNG of img, with a tEXt chunk of each of texts
// (keyword, NUL, value) after the header.
func appendPNG(dst []byte, img *Image, texts [][]byte) []byte {
	size := PNGSize(img.Width, img.Height)
	if size == 0 || len(img.Pix) != img.Width*img.Height*3 {
		return dst
	}
	for _, t := range texts {
		size += 12 + int64(len(t))
	}
	start := len(dst)
	dst = grow(dst, int(size))
	out := dst[start:]
	p := copy(out, pngSignature)

	// IHDR: width, height, bit depth 8, colour type 2 (RGB), deflate,
	// adaptive filtering, no interlace.
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(img.Width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(img.Height))
	ihdr[8], ihdr[9] = 8, 2
	p = putChunk(out, p, "IHDR", ihdr[:])
	for _, t := range texts {
		p = putChunk(out, p, "tEXt", t)
	}

	cw := chunkWriter{out: out, pos: p, left: zlibLen(rawLen(img.Width, img.Height))}
	cw.write([]byte{0x78, 0x01}) // zlib header: deflate, 32K window, no preset dictionary
	adler := adler32.New()
	raw := rawLen(img.Width, img.Height)
	blockLeft := int64(0)
	rowLen := 3 * img.Width
	filter := []byte{0}
	emit := func(b []byte) {
		for len(b) > 0 {
			if blockLeft == 0 {
				n := min(raw, storedBlockMax)
				raw -= n
				final := byte(0)
				if raw == 0 {
					final = 1
				}
				cw.write([]byte{final, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)})
				blockLeft = n
			}
			k := min(int64(len(b)), blockLeft)
			cw.write(b[:k])
			adler.Write(b[:k])
			b, blockLeft = b[k:], blockLeft-k
		}
	}
	for y := 0; y < img.Height; y++ {
		emit(filter)
		emit(img.Pix[y*rowLen : (y+1)*rowLen])
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], adler.Sum32())
	cw.write(sum[:])
	p = cw.pos
	p = putChunk(out, p, "IEND", nil)
	return dst[:start+p]
}

// chunkWriter lays a byte stream out as consecutive IDAT chunks of at most
// idatChunkMax data bytes, directly in the output buffer.
type chunkWriter struct {
	out       []byte
	pos       int   // next byte of out to write
	left      int64 // stream bytes still to come
	dataStart int   // start of the open chunk's data, or -1
	room      int   // data bytes the open chunk can still take
}

func (c *chunkWriter) write(b []byte) {
	for len(b) > 0 {
		if c.room == 0 {
			n := int(min(c.left, idatChunkMax))
			binary.BigEndian.PutUint32(c.out[c.pos:], uint32(n))
			copy(c.out[c.pos+4:], "IDAT")
			c.dataStart, c.room = c.pos+8, n
			c.pos += 8
		}
		k := copy(c.out[c.pos:c.pos+min(len(b), c.room)], b)
		c.pos += k
		c.room -= k
		c.left -= int64(k)
		b = b[k:]
		if c.room == 0 {
			crc := crc32.ChecksumIEEE(c.out[c.dataStart-4 : c.pos])
			binary.BigEndian.PutUint32(c.out[c.pos:], crc)
			c.pos += 4
		}
	}
}

// putChunk writes a whole chunk at out[p:] and returns the position after it.
func putChunk(out []byte, p int, typ string, data []byte) int {
	binary.BigEndian.PutUint32(out[p:], uint32(len(data)))
	copy(out[p+4:], typ)
	copy(out[p+8:], data)
	crc := crc32.ChecksumIEEE(out[p+4 : p+8+len(data)])
	binary.BigEndian.PutUint32(out[p+8+len(data):], crc)
	return p + 12 + len(data)
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n)
	copy(nb, b)
	return nb
}
