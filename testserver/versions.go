package testserver

import (
	"fmt"
	"strconv"
	"strings"
)

// The OMERO.web releases the stand-in can behave as (Options.WebVersion),
// and what differs between them in what omerofs uses (docs/omero-web.md):
//
//   - imgData of a pyramid has "resolutions" (each level's sizeX/sizeY)
//     only since 5.31; before, only "zoomLevelScaling", the ratio of each
//     level's width to the full width, from which heights can be off by one.
//   - /api/v0/m/experimenters/ and m/experimentergroups/ exist only since
//     5.7 (and the API's discovery lists them only then); 5.6 answers 404.
//   - imgData of an image that does not exist (or is not visible) answers
//     404 "Image:<id> not found" since 5.8; 5.6 and 5.7 answer 500 with the
//     text/javascript body `""`.
var webVersions = []string{"5.6", "5.20", "5.31"}

// WebVersions lists the releases Options.WebVersion accepts, oldest first.
func WebVersions() []string { return append([]string(nil), webVersions...) }

// NewestWebVersion is the release the stand-in behaves as by default.
func NewestWebVersion() string { return webVersions[len(webVersions)-1] }

// ParseWebVersion checks a release name ("5.20") and returns its minor
// number.
func ParseWebVersion(v string) (int, error) {
	for _, known := range webVersions {
		if v == known {
			minor, _ := strconv.Atoi(strings.TrimPrefix(v, "5."))
			return minor, nil
		}
	}
	return 0, fmt.Errorf("OMERO.web version %q: want one of %s", v, strings.Join(webVersions, ", "))
}

// webMinor is the minor release the server behaves as (5.x).
func (s *Server) webMinor() int {
	if s.opts.WebVersion == "" {
		m, _ := ParseWebVersion(NewestWebVersion())
		return m
	}
	m, err := ParseWebVersion(s.opts.WebVersion)
	if err != nil {
		m, _ = ParseWebVersion(NewestWebVersion())
	}
	return m
}

// missingInVersion reports whether the API path came after the release the
// server behaves as.
func (s *Server) missingInVersion(path string) bool {
	if s.webMinor() >= 7 {
		return false
	}
	rest, ok := strings.CutPrefix(path, "/api/v0/m/")
	return ok && (strings.HasPrefix(rest, "experimenters/") || strings.HasPrefix(rest, "experimentergroups/"))
}
