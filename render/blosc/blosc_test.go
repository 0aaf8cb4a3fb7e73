package blosc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sample is data that compresses like an image: smooth values with noise.
func sample(n, typeSize int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := 0; i+typeSize <= n; i += typeSize {
		v := uint64(i/typeSize/7) + uint64(r.IntN(4))
		for j := 0; j < typeSize; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n / typeSize * typeSize; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, ts := range []int{1, 2, 4, 8, 3, 17} {
		for _, sh := range []Shuffle{NoShuffle, ByteShuffle, BitShuffle} {
			for _, n := range []int{0, 1, 7, 64, 1000, 4096, 300001, 1 << 20} {
				src := sample(n, ts, uint64(n))
				frame, err := Encode(src, ts, sh)
				if err != nil {
					t.Fatal(err)
				}
				dst := make([]byte, n)
				if err := Decode(dst, frame); err != nil {
					t.Fatalf("type %d shuffle %d size %d: %v", ts, sh, n, err)
				}
				if !bytes.Equal(dst, src) {
					t.Fatalf("type %d shuffle %d size %d: round trip differs", ts, sh, n)
				}
				if n >= 4096 {
					z, _ := Encode(make([]byte, n), ts, sh)
					if len(z) > n/10 {
						t.Errorf("type %d shuffle %d: %d zero bytes took %d", ts, sh, n, len(z))
					}
				}
			}
		}
	}
}

// Vectors worked out by hand from c-blosc's README_HEADER.rst.
func TestHandVectors(t *testing.T) {
	// a copied frame: header + 4 raw bytes
	frame := []byte{2, 1, flagMemcpy | flagShuffle | codecLZ4<<5, 2, 4, 0, 0, 0, 4, 0, 0, 0, 20, 0, 0, 0, 9, 8, 7, 6}
	dst := make([]byte, 4)
	if err := Decode(dst, frame); err != nil || !bytes.Equal(dst, []byte{9, 8, 7, 6}) {
		t.Fatalf("copied frame: %v %v", dst, err)
	}
	// one block, one split stored raw (length = block size), byte shuffle
	// of two uint16 values 0x0102, 0x0304 (little-endian in memory)
	frame = []byte{2, 1, flagShuffle | flagNoSplit | codecLZ4<<5, 2, 4, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0,
		20, 0, 0, 0, // block 0 starts at 20
		4, 0, 0, 0, 0x02, 0x04, 0x01, 0x03}
	if err := Decode(dst, frame); err != nil || !bytes.Equal(dst, []byte{0x02, 0x01, 0x04, 0x03}) {
		t.Fatalf("shuffled frame: % x %v", dst, err)
	}
	// bit shuffle of eight bytes: value 7 = 1, value 0 = 0x82
	in := []byte{0x82, 0, 0, 0, 0, 0, 0, 1}
	out := make([]byte, 8)
	bitShuffle(out, in, 1)
	if want := []byte{0x80, 0x01, 0, 0, 0, 0, 0, 0x01}; !bytes.Equal(out, want) {
		t.Fatalf("bit shuffle % x, want % x", out, want)
	}
	back := make([]byte, 8)
	bitUnshuffle(back, out, 1)
	if !bytes.Equal(back, in) {
		t.Fatalf("bit unshuffle % x", back)
	}
}

func TestBadFrames(t *testing.T) {
	good, _ := Encode(sample(5000, 2, 1), 2, ByteShuffle)
	cases := map[string][]byte{
		"empty":       nil,
		"short":       good[:10],
		"truncated":   good[:len(good)-3],
		"version 9":   append([]byte{9}, good[1:]...),
		"type size 0": append(append([]byte{}, good[:3]...), append([]byte{0}, good[4:]...)...),
	}
	zstd := append([]byte{}, good...)
	zstd[2] = zstd[2]&0x1f | codecZstd<<5
	cases["zstd"] = zstd
	corrupt := append([]byte{}, good...)
	binary.LittleEndian.PutUint32(corrupt[16:], 1<<30)
	cases["bad block offset"] = corrupt
	for name, f := range cases {
		if err := Decode(make([]byte, 5000), f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := Decode(make([]byte, 4999), good); !errors.Is(err, ErrFormat) {
		t.Errorf("wrong size: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, sh := range []Shuffle{NoShuffle, ByteShuffle, BitShuffle} {
		g, _ := Encode(sample(3000, 4, 2), 4, sh)
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, err := ParseHeader(frame)
		if err != nil || h.Size > 1<<20 {
			return
		}
		_ = Decode(make([]byte, h.Size), frame)
	})
}

func debianPython(t *testing.T) string {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numcodecs, numpy").Run(); err != nil {
		t.Skip("python3-numcodecs is not installed (apt-get install python3-numcodecs)")
	}
	return py
}

// Frames made by numcodecs (the C library zarr-python uses) decode, and
// numcodecs decodes ours.
func TestNumcodecs(t *testing.T) {
	py := debianPython(t)
	dir := t.TempDir()
	type vec struct {
		name      string
		typeSize  int
		n         int
		cname     string
		shuffle   int
		blocksize int
	}
	var vecs []vec
	for _, ts := range []int{1, 2, 4, 8} {
		for _, sh := range []int{0, 1, 2} {
			for _, n := range []int{104, 70000, 1 << 20} {
				vecs = append(vecs, vec{fmt.Sprintf("lz4_%d_%d_%d", ts, sh, n), ts, n, "lz4", sh, 0})
			}
		}
		vecs = append(vecs, vec{fmt.Sprintf("zlib_%d", ts), ts, 200000, "zlib", 1, 0},
			vec{fmt.Sprintf("small_blocks_%d", ts), ts, 100000, "lz4", 1, 4096})
	}
	for _, v := range vecs {
		os.WriteFile(filepath.Join(dir, v.name+".raw"), sample(v.n, v.typeSize, uint64(v.n+v.typeSize)), 0o644)
	}
	script := `
import sys, os
from numcodecs import Blosc
d = sys.argv[1]
for line in sys.stdin:
    name, ts, cname, sh, bs = line.split()
    raw = open(os.path.join(d, name + ".raw"), "rb").read()
    c = Blosc(cname=cname, clevel=5, shuffle=int(sh), blocksize=int(bs))
    import numpy
    dt = {1: "u1", 2: "<u2", 4: "<u4", 8: "<u8"}[int(ts)]
    open(os.path.join(d, name + ".blosc"), "wb").write(c.encode(numpy.frombuffer(raw, dtype=dt)))
`
	var in bytes.Buffer
	for _, v := range vecs {
		fmt.Fprintf(&in, "%s %d %s %d %d\n", v.name, v.typeSize, v.cname, v.shuffle, v.blocksize)
	}
	cmd := exec.Command(py, "-c", script, dir)
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("numcodecs: %v\n%s", err, out)
	}
	for _, v := range vecs {
		raw, _ := os.ReadFile(filepath.Join(dir, v.name+".raw"))
		frame, err := os.ReadFile(filepath.Join(dir, v.name+".blosc"))
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, len(raw))
		if err := Decode(dst, frame); err != nil {
			h, _ := ParseHeader(frame)
			t.Fatalf("%s (%+v): %v", v.name, h, err)
		}
		if !bytes.Equal(dst, raw) {
			t.Fatalf("%s: decoded bytes differ", v.name)
		}
		// and ours, the other way
		ours, err := Encode(raw, v.typeSize, Shuffle(v.shuffle))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, v.name+".ours"), ours, 0o644)
	}
	check := `
import sys, os
from numcodecs import Blosc
d = sys.argv[1]
bad = []
for f in os.listdir(d):
    if f.endswith(".ours"):
        raw = open(os.path.join(d, f[:-5] + ".raw"), "rb").read()
        if bytes(Blosc().decode(open(os.path.join(d, f), "rb").read())) != raw:
            bad.append(f)
print(" ".join(bad) or "ok")
`
	out, err := exec.Command(py, "-c", check, dir).CombinedOutput()
	if err != nil || string(bytes.TrimSpace(out)) != "ok" {
		t.Fatalf("numcodecs decoding our frames: %v %s", err, out)
	}
}

func BenchmarkDecode(b *testing.B) {
	src := sample(4<<20, 2, 3) // a 2048×1024 uint16 chunk
	frame, _ := Encode(src, 2, ByteShuffle)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if err := Decode(dst, frame); err != nil {
			b.Fatal(err)
		}
	}
}
