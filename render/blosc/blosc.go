// Package blosc reads and writes Blosc 1 frames, the compressor zarr-python
// puts on every chunk by default (numcodecs Blosc: LZ4, level 5, byte
// shuffle), so the chunks of omero-web-zarr can be read without C.
//
// A frame (c-blosc README_HEADER.rst, blosc.c blosc_d) is a 16-byte
// header (version, codec version, flags, type size, then little-endian
// uncompressed size, block size and frame size), then, unless the
// "memcpyed" flag says the data follows as is, one int32 offset per block
// and the blocks. A block is compressed in "splits": one per byte of the
// type when the type is at most 16 bytes, the block holds at least 128
// values, it is not the last, short block, and the "don't split" flag is
// clear; else one. Each split is an int32 length and the codec's stream,
// or the raw bytes when that length equals the split's size. After
// decompression a block is un-shuffled: byte shuffle groups the k-th byte
// of every value together, bit shuffle the k-th bit.
package blosc

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// Header flags and constants of the format.
const (
	headerLen    = 16
	flagShuffle  = 0x01
	flagMemcpy   = 0x02
	flagBitShuf  = 0x04
	flagNoSplit  = 0x10
	maxSplits    = 16
	minSplitVals = 128
)

// Codec numbers, in the top three bits of the flags.
const (
	codecBloscLZ = 0
	codecLZ4     = 1
	codecSnappy  = 2
	codecZlib    = 3
	codecZstd    = 4
)

var codecNames = []string{"blosclz", "lz4", "snappy", "zlib", "zstd", "codec 5", "codec 6", "codec 7"}

// ErrFormat marks a frame that is malformed or truncated.
var ErrFormat = errors.New("blosc: malformed frame")

// Header is a frame's header.
type Header struct {
	Version, CodecVersion, Flags, TypeSize byte
	Size, BlockSize, FrameSize             int // uncompressed bytes, bytes a block, bytes of the frame
}

// Codec names the frame's compressor.
func (h Header) Codec() string { return codecNames[h.Flags>>5] }

// ParseHeader reads a frame's header.
func ParseHeader(src []byte) (Header, error) {
	if len(src) < headerLen {
		return Header{}, fmt.Errorf("%w: %d bytes, shorter than a header", ErrFormat, len(src))
	}
	h := Header{Version: src[0], CodecVersion: src[1], Flags: src[2], TypeSize: src[3],
		Size: int(int32(binary.LittleEndian.Uint32(src[4:]))), BlockSize: int(int32(binary.LittleEndian.Uint32(src[8:]))),
		FrameSize: int(int32(binary.LittleEndian.Uint32(src[12:])))}
	switch {
	case h.Version != 1 && h.Version != 2:
		return h, fmt.Errorf("%w: format version %d (only Blosc 1 frames are read)", ErrFormat, h.Version)
	case h.TypeSize == 0:
		return h, fmt.Errorf("%w: type size 0", ErrFormat)
	case h.Size < 0 || h.FrameSize < headerLen || h.FrameSize > len(src):
		return h, fmt.Errorf("%w: size %d, frame %d of %d bytes", ErrFormat, h.Size, h.FrameSize, len(src))
	case h.Size > 0 && h.BlockSize <= 0:
		return h, fmt.Errorf("%w: block size %d", ErrFormat, h.BlockSize)
	}
	return h, nil
}

// Decode decompresses a frame whose uncompressed size must be exactly
// len(dst), as a Zarr chunk's is known from its .zarray.
func Decode(dst, src []byte) error {
	h, err := ParseHeader(src)
	if err != nil {
		return err
	}
	if h.Size != len(dst) {
		return fmt.Errorf("%w: %d uncompressed bytes, want %d", ErrFormat, h.Size, len(dst))
	}
	src = src[:h.FrameSize]
	if h.Flags&flagMemcpy != 0 {
		if h.FrameSize != headerLen+h.Size {
			return fmt.Errorf("%w: a copied frame of %d bytes holds %d", ErrFormat, h.FrameSize, h.Size)
		}
		copy(dst, src[headerLen:])
		return nil
	}
	if h.Size == 0 {
		return nil
	}
	codec := int(h.Flags >> 5)
	if codec != codecLZ4 && codec != codecZlib {
		return fmt.Errorf("blosc: codec %s is not supported (lz4 and zlib are)", h.Codec())
	}
	nblocks := (h.Size + h.BlockSize - 1) / h.BlockSize
	if nblocks > (h.FrameSize-headerLen)/4 {
		return fmt.Errorf("%w: %d blocks do not fit in %d bytes", ErrFormat, nblocks, h.FrameSize)
	}
	typeSize := int(h.TypeSize)
	tmp := make([]byte, h.BlockSize)
	for b := 0; b < nblocks; b++ {
		start := int(int32(binary.LittleEndian.Uint32(src[headerLen+4*b:])))
		bsize := min(h.BlockSize, h.Size-b*h.BlockSize)
		last := bsize < h.BlockSize
		nsplits := 1
		if h.Flags&flagNoSplit == 0 && typeSize <= maxSplits && bsize/typeSize >= minSplitVals && !last {
			nsplits = typeSize
		}
		neblock := bsize / nsplits
		out := dst[b*h.BlockSize : b*h.BlockSize+bsize]
		work := out
		shuffled := (h.Flags&flagShuffle != 0 && typeSize > 1) || (h.Flags&flagBitShuf != 0 && bsize >= typeSize)
		if shuffled {
			work = tmp[:bsize]
		}
		off := start
		for s := 0; s < nsplits; s++ {
			if off < 0 || off > h.FrameSize-4 {
				return fmt.Errorf("%w: block %d split %d at %d", ErrFormat, b, s, off)
			}
			n := int(int32(binary.LittleEndian.Uint32(src[off:])))
			off += 4
			if n < 0 || n > h.FrameSize-off {
				return fmt.Errorf("%w: block %d split %d of %d bytes", ErrFormat, b, s, n)
			}
			part := work[s*neblock : (s+1)*neblock]
			if n == neblock {
				copy(part, src[off:off+n])
			} else if err := decompress(codec, part, src[off:off+n]); err != nil {
				return fmt.Errorf("blosc: block %d split %d: %w", b, s, err)
			}
			off += n
		}
		if nsplits*neblock != bsize { // only when a block is not a multiple of the type size and split: never written
			return fmt.Errorf("%w: block %d of %d bytes in %d splits", ErrFormat, b, bsize, nsplits)
		}
		switch {
		case h.Flags&flagShuffle != 0 && typeSize > 1:
			unshuffle(out, work, typeSize)
		case h.Flags&flagBitShuf != 0 && bsize >= typeSize:
			bitUnshuffle(out, work, typeSize)
		}
	}
	return nil
}

// decompress fills dst exactly from one codec stream.
func decompress(codec int, dst, src []byte) error {
	switch codec {
	case codecLZ4:
		n, err := lz4.UncompressBlock(src, dst)
		if err != nil {
			return fmt.Errorf("lz4: %v: %w", err, ErrFormat)
		}
		if n != len(dst) {
			return fmt.Errorf("%w: lz4 gave %d bytes, want %d", ErrFormat, n, len(dst))
		}
	case codecZlib:
		r, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("zlib: %v: %w", err, ErrFormat)
		}
		if _, err := io.ReadFull(r, dst); err != nil {
			return fmt.Errorf("zlib: %v: %w", err, ErrFormat)
		}
		if n, _ := r.Read(make([]byte, 1)); n != 0 {
			return fmt.Errorf("%w: zlib stream longer than %d bytes", ErrFormat, len(dst))
		}
	}
	return nil
}

// unshuffle undoes byte shuffle: src holds byte k of every value, then
// byte k+1…; trailing bytes that make no whole value are left as they are.
func unshuffle(dst, src []byte, size int) {
	n := len(src) / size
	for i := 0; i < n; i++ {
		for j := 0; j < size; j++ {
			dst[i*size+j] = src[j*n+i]
		}
	}
	copy(dst[n*size:], src[n*size:])
}

// shuffle is unshuffle's inverse.
func shuffle(dst, src []byte, size int) {
	n := len(src) / size
	for i := 0; i < n; i++ {
		for j := 0; j < size; j++ {
			dst[j*n+i] = src[i*size+j]
		}
	}
	copy(dst[n*size:], src[n*size:])
}

// bitUnshuffle undoes bit shuffle (bitshuffle's bit-plane transpose): for
// n values, a multiple of 8, src holds 8·size planes of n bits, plane
// 8·j+k being bit k of byte j of each value, value i at bit i%8 of byte
// i/8. Blocks whose value count is not a multiple of 8 are stored as is;
// trailing bytes that make no whole value too.
func bitUnshuffle(dst, src []byte, size int) {
	n := len(src) / size
	if n%8 != 0 {
		copy(dst, src)
		return
	}
	plane := n / 8
	clear(dst[:n*size])
	for j := 0; j < size; j++ {
		for k := 0; k < 8; k++ {
			p := src[(8*j+k)*plane:][:plane]
			for i := 0; i < n; i++ {
				dst[i*size+j] |= (p[i>>3] >> (i & 7) & 1) << k
			}
		}
	}
	copy(dst[n*size:], src[n*size:])
}

// bitShuffle is bitUnshuffle's inverse.
func bitShuffle(dst, src []byte, size int) {
	n := len(src) / size
	if n%8 != 0 {
		copy(dst, src)
		return
	}
	plane := n / 8
	clear(dst[:n*size])
	for j := 0; j < size; j++ {
		for k := 0; k < 8; k++ {
			p := dst[(8*j+k)*plane:][:plane]
			for i := 0; i < n; i++ {
				p[i>>3] |= (src[i*size+j] >> k & 1) << (i & 7)
			}
		}
	}
	copy(dst[n*size:], src[n*size:])
}
