package blosc

import (
	"encoding/binary"
	"fmt"

	"github.com/pierrec/lz4/v4"
)

// Shuffle is the filter a frame is written with.
type Shuffle int

// The filters numcodecs offers.
const (
	NoShuffle Shuffle = iota
	ByteShuffle
	BitShuffle
)

// blockTarget is the block size Encode aims at (c-blosc chooses between
// 32 KiB and a few MiB by level and type; readers take any).
const blockTarget = 256 << 10

// Encode writes src as a Blosc 1 frame compressed with LZ4, values of
// typeSize bytes filtered by sh: what zarr-python's default compressor
// writes, within c-blosc's freedom of block size. Incompressible data is
// written as a copied ("memcpyed") frame, as c-blosc does.
func Encode(src []byte, typeSize int, sh Shuffle) ([]byte, error) {
	if typeSize < 1 || typeSize > 255 {
		return nil, fmt.Errorf("blosc: type size %d", typeSize)
	}
	if len(src) > 1<<31-1-headerLen {
		return nil, fmt.Errorf("blosc: %d bytes is more than a frame holds", len(src))
	}
	flags := byte(codecLZ4 << 5)
	switch sh {
	case ByteShuffle:
		flags |= flagShuffle
	case BitShuffle:
		flags |= flagBitShuf
	}
	blockSize := max(typeSize, blockTarget/typeSize*typeSize)
	if len(src) < blockSize {
		// a whole number of values, the rest a short last block (c-blosc
		// compute_blocksize)
		blockSize = max(len(src)/typeSize*typeSize, min(len(src), typeSize), 1)
	}
	header := func(flags byte, frame int) []byte {
		h := []byte{2, 1, flags, byte(typeSize), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(h[4:], uint32(len(src)))
		binary.LittleEndian.PutUint32(h[8:], uint32(blockSize))
		binary.LittleEndian.PutUint32(h[12:], uint32(frame))
		return h
	}
	copied := func() []byte {
		return append(header(flags|flagMemcpy, headerLen+len(src)), src...)
	}
	if len(src) == 0 {
		return copied(), nil
	}
	split := typeSize <= maxSplits && blockSize/typeSize >= minSplitVals
	if !split {
		flags |= flagNoSplit
	}
	nblocks := (len(src) + blockSize - 1) / blockSize
	out := make([]byte, headerLen+4*nblocks, headerLen+4*nblocks+len(src)/2)
	tmp := make([]byte, blockSize)
	comp := make([]byte, lz4.CompressBlockBound(blockSize))
	var c lz4.Compressor
	for b := 0; b < nblocks; b++ {
		binary.LittleEndian.PutUint32(out[headerLen+4*b:], uint32(len(out)))
		block := src[b*blockSize : min(len(src), (b+1)*blockSize)]
		work := tmp[:len(block)]
		switch {
		case sh == ByteShuffle && typeSize > 1:
			shuffle(work, block, typeSize)
		case sh == BitShuffle && len(block) >= typeSize:
			bitShuffle(work, block, typeSize)
		default:
			copy(work, block)
		}
		nsplits := 1
		if split && len(block) == blockSize {
			nsplits = typeSize
		}
		ne := len(work) / nsplits
		for s := 0; s < nsplits; s++ {
			part := work[s*ne : (s+1)*ne]
			n, err := c.CompressBlock(part, comp)
			if err != nil {
				return nil, fmt.Errorf("blosc: lz4: %w", err)
			}
			if n == 0 || n >= len(part) {
				out = binary.LittleEndian.AppendUint32(out, uint32(len(part)))
				out = append(out, part...)
			} else {
				out = binary.LittleEndian.AppendUint32(out, uint32(n))
				out = append(out, comp[:n]...)
			}
		}
		if len(out) >= headerLen+len(src) {
			return copied(), nil
		}
	}
	copy(out, header(flags, len(out)))
	return out, nil
}
