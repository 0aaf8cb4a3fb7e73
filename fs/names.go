package fs

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Names: how OMERO objects become directory entries (design.md, "Names").
//
//   - The name is the object's OMERO Name; a missing or empty one, or "." or
//     "..", becomes "<Type> <id>" ("Image 42").
//   - "/" becomes "∕" (U+2215, DIVISION SLASH) and NUL "␀" (U+2400): the only
//     two bytes a Linux file name cannot hold. Everything else, spaces at the
//     ends and control characters included, is kept as it is.
//   - An image's file is "<name>.png", whatever the name ends in.
//   - Names longer than 255 bytes are cut at a UTF-8 boundary, keeping the
//     suffixes below and ".png".
//   - Entries whose names come out equal: the lowest id keeps the plain name,
//     every other gets " (id <id>)" before ".png" (at the end for a folder),
//     so adding a newer duplicate never renames an existing file. Not
//     " [<id>]": ImageMagick and other tools read a trailing "[…]" of a path
//     as frame or geometry syntax and fail to open the file.
//   - Should a name made that way still be taken (an object literally named
//     "x (id 7)" beside a duplicate "x" with id 7), plain names win and the
//     made one becomes " (id <id>-2)", " (id <id>-3)", … until free.
//
// The result depends only on the set of entries, not on their order.

// maxNameBytes is the longest file name Linux allows.
const maxNameBytes = 255

// Entry is what the namer needs of one child object.
type Entry struct {
	ID   int64
	Type string // "Image", "Dataset", …
	Name string // the OMERO Name, "" when missing
	File bool   // an image: gets ".png"
}

// Names returns the entry name of each entry, in the order given.
func Names(entries []Entry) []string {
	out := make([]string, len(entries))
	bases := make([]string, len(entries))
	plains := make([]string, len(entries))
	groups := map[string][]int{}
	for i, e := range entries {
		bases[i] = baseName(e)
		plains[i] = fit(bases[i], "", ext(e))
		groups[plains[i]] = append(groups[plains[i]], i)
	}
	taken := make(map[string]bool, len(entries))
	var rest []int // entries that lost their plain name
	for plain, idx := range groups {
		sort.Slice(idx, func(a, b int) bool { return entries[idx[a]].ID < entries[idx[b]].ID })
		out[idx[0]] = plain
		taken[plain] = true
		rest = append(rest, idx[1:]...)
	}
	sort.Slice(rest, func(a, b int) bool {
		ea, eb := entries[rest[a]], entries[rest[b]]
		if ea.ID != eb.ID {
			return ea.ID < eb.ID
		}
		return plains[rest[a]] < plains[rest[b]]
	})
	for _, i := range rest {
		id := strconv.FormatInt(entries[i].ID, 10)
		for k := 1; ; k++ {
			tag := " (id " + id + ")"
			if k > 1 {
				tag = " (id " + id + "-" + strconv.Itoa(k) + ")"
			}
			name := fit(bases[i], tag, ext(entries[i]))
			if !taken[name] {
				out[i] = name
				taken[name] = true
				break
			}
		}
	}
	return out
}

func ext(e Entry) string {
	if e.File {
		return ".png"
	}
	return ""
}

// baseName is the sanitized OMERO name, or the id form.
func baseName(e Entry) string {
	n := e.Name
	if n == "" || n == "." || n == ".." {
		return idForm(e)
	}
	if !utf8.ValidString(n) {
		n = strings.ToValidUTF8(n, "\uFFFD")
	}
	return strings.NewReplacer("/", "\u2215", "\x00", "\u2400").Replace(n)
}

func idForm(e Entry) string {
	t := e.Type
	if t == "" {
		t = "Object"
	}
	return t + " " + strconv.FormatInt(e.ID, 10)
}

// fit joins base, tag and ext, cutting base at a rune boundary so that the
// whole is at most maxNameBytes.
func fit(base, tag, ext string) string {
	room := maxNameBytes - len(tag) - len(ext)
	if len(base) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return base + tag + ext
}

// ParseImageFileName reads "<id>.png" of the images/ folder: a positive
// decimal id without sign or leading zeros that fits in 64 bits. Anything
// else cannot name an image, and is refused without asking the server.
func ParseImageFileName(name string) (int64, bool) {
	digits, ok := strings.CutSuffix(name, ".png")
	if !ok || digits == "" || len(digits) > 19 || digits[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}
