package fs

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNamesRules(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	cases := []struct {
		name string
		in   []Entry
		want []string
	}{
		{"plain image", []Entry{{ID: 1, Type: "Image", Name: "cells.tif", File: true}}, []string{"cells.tif.png"}},
		{"folder", []Entry{{ID: 1, Type: "Dataset", Name: "Mitosis"}}, []string{"Mitosis"}},
		{"missing name", []Entry{{ID: 42, Type: "Image", File: true}, {ID: 7, Type: "Project"}}, []string{"Image 42.png", "Project 7"}},
		{"dots", []Entry{{ID: 3, Type: "Dataset", Name: "."}, {ID: 4, Type: "Dataset", Name: ".."}, {ID: 5, Type: "Image", Name: "..", File: true}},
			[]string{"Dataset 3", "Dataset 4", "Image 5.png"}},
		{"slash and NUL", []Entry{{ID: 1, Type: "Image", Name: "a/b\x00c", File: true}}, []string{"a∕b␀c.png"}},
		{"spaces kept", []Entry{{ID: 1, Type: "Image", Name: "  x  ", File: true}}, []string{"  x  .png"}},
		{"duplicates: lowest id plain", []Entry{
			{ID: 123, Type: "Image", Name: "cells.tif", File: true},
			{ID: 5, Type: "Image", Name: "cells.tif", File: true},
			{ID: 9, Type: "Image", Name: "cells.tif", File: true},
		}, []string{"cells.tif (id 123).png", "cells.tif.png", "cells.tif (id 9).png"}},
		{"duplicate folders", []Entry{{ID: 8, Type: "Project", Name: "P"}, {ID: 2, Type: "Project", Name: "P"}}, []string{"P (id 8)", "P"}},
		{"equal only after slash replacement", []Entry{{ID: 1, Type: "Dataset", Name: "a/b"}, {ID: 2, Type: "Dataset", Name: "a∕b"}}, []string{"a∕b", "a∕b (id 2)"}},
		{"literal id form beside a nameless object", []Entry{{ID: 9, Type: "Dataset", Name: "Dataset 5"}, {ID: 5, Type: "Dataset"}}, []string{"Dataset 5 (id 9)", "Dataset 5"}},
		{"made name already taken", []Entry{
			{ID: 7, Type: "Image", Name: "x", File: true},
			{ID: 3, Type: "Image", Name: "x", File: true},
			{ID: 9, Type: "Image", Name: "x (id 7)", File: true},
		}, []string{"x (id 7-2).png", "x.png", "x (id 7).png"}},
		{"brackets in a name are the user's", []Entry{{ID: 4, Type: "Image", Name: "x [1]", File: true}, {ID: 6, Type: "Image", Name: "x [1]", File: true}},
			[]string{"x [1].png", "x [1] (id 6).png"}},
		{"case differs: not duplicates", []Entry{{ID: 1, Type: "Image", Name: "A", File: true}, {ID: 2, Type: "Image", Name: "a", File: true}}, []string{"A.png", "a.png"}},
	}
	for _, c := range cases {
		got := Names(c.in)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	got := Names([]Entry{{ID: 1, Type: "Image", Name: long, File: true}, {ID: 2, Type: "Image", Name: long, File: true}})
	for i, n := range got {
		if len(n) > 255 || !utf8.ValidString(n) || !strings.HasSuffix(n, ".png") {
			t.Errorf("long name %d: %d bytes, valid %v: %q", i, len(n), utf8.ValidString(n), n)
		}
	}
	if !strings.HasSuffix(got[1], " (id 2).png") || got[0] == got[1] || len(got[0]) != 254 {
		t.Errorf("long duplicates: %q / %q (%d bytes)", got[0], got[1], len(got[0]))
	}
}

func TestParseImageFileName(t *testing.T) {
	good := map[string]int64{"1.png": 1, "42.png": 42, "9223372036854775807.png": 9223372036854775807}
	for in, want := range good {
		if id, ok := ParseImageFileName(in); !ok || id != want {
			t.Errorf("%q = %d, %v", in, id, ok)
		}
	}
	for _, bad := range []string{"abc.png", "-1.png", "+1.png", "0.png", "01.png", "1", "1.PNG", ".png", "99999999999999999999.png",
		"9223372036854775808.png", "1.png.png", " 1.png", "1 .png", "１.png", strings.Repeat("9", 300) + ".png"} {
		if id, ok := ParseImageFileName(bad); ok {
			t.Errorf("%q accepted as %d", bad, id)
		}
	}
}

// checkNames asserts the invariants every listing must hold.
func checkNames(t *testing.T, entries []Entry) {
	t.Helper()
	names := Names(entries)
	seen := map[string]bool{}
	for i, n := range names {
		switch {
		case n == "" || n == "." || n == "..":
			t.Fatalf("entry %+v named %q", entries[i], n)
		case len(n) > 255:
			t.Fatalf("name of %d bytes", len(n))
		case strings.ContainsAny(n, "/\x00"):
			t.Fatalf("name %q has / or NUL", n)
		case !utf8.ValidString(n):
			t.Fatalf("name %q is not UTF-8", n)
		case entries[i].File && !strings.HasSuffix(n, ".png"):
			t.Fatalf("image name %q lacks .png", n)
		case seen[n]:
			t.Fatalf("name %q given twice in %+v", n, entries)
		}
		seen[n] = true
	}
	// Order independence.
	perm := rand.New(rand.NewSource(int64(len(entries)))).Perm(len(entries))
	shuffled := make([]Entry, len(entries))
	for i, p := range perm {
		shuffled[i] = entries[p]
	}
	again := Names(shuffled)
	for i, p := range perm {
		if again[i] != names[p] {
			t.Fatalf("order changes names: %q vs %q", again[i], names[p])
		}
	}
}

// FuzzNames feeds adversarial names: each input byte string makes entries
// whose names are pieces of it, with colliding ids and types.
func FuzzNames(f *testing.F) {
	f.Add("cells.tif|cells.tif|x (id 7)|x|Image 3||.|..|a/b|a∕b", int64(3))
	f.Add(strings.Repeat("é", 130)+"|"+strings.Repeat("é", 131), int64(1))
	f.Add("\x00|/|//|Dataset 1", int64(1))
	f.Fuzz(func(t *testing.T, spec string, seed int64) {
		parts := strings.Split(spec, "|")
		if len(parts) > 64 {
			parts = parts[:64]
		}
		rng := rand.New(rand.NewSource(seed))
		var entries []Entry
		used := map[int64]bool{}
		for _, p := range parts {
			id := rng.Int63n(12) + 1
			for used[id] {
				id++
			}
			used[id] = true
			typ := []string{"Image", "Dataset"}[rng.Intn(2)]
			entries = append(entries, Entry{ID: id, Type: typ, Name: strings.ToValidUTF8(p, "?"), File: typ == "Image"})
		}
		checkNames(t, entries)
	})
}

func FuzzParseImageFileName(f *testing.F) {
	for _, s := range []string{"1.png", "-1.png", "abc.png", "0.png", "99999999999999999999.png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id, ok := ParseImageFileName(name)
		if ok && (id <= 0 || name != strconv.FormatInt(id, 10)+".png") {
			t.Fatalf("%q parsed as %d", name, id)
		}
	})
}
