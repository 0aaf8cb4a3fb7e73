package fs

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestKVNames checks that every key gets a valid attribute name and that
// names decode back to their keys by percent-decoding (long keys aside).
func TestKVNames(t *testing.T) {
	for key, want := range map[string]string{
		"Gene":        "Gene",
		"cell line":   "cell line",
		"a=b":         "a=b",
		"ratio 1/2":   "ratio 1/2",
		"Größe 細胞":    "Größe 細胞",
		"":            "%",
		"100%":        "100%25",
		"nul\x00key":  "nul%00key",
		"tab\there\n": "tab%09here%0A",
		"%41":         "%2541",
	} {
		got := kvName(key)
		if got != kvPrefix+want {
			t.Errorf("kvName(%q) = %q, want %q", key, got, kvPrefix+want)
		}
		if key == "" {
			continue
		}
		back, err := url.PathUnescape(strings.TrimPrefix(got, kvPrefix))
		if err != nil || back != key {
			t.Errorf("%q decodes to %q, %v", got, back, err)
		}
	}
	for _, key := range []string{strings.Repeat("é", 200), strings.Repeat("%", 100), strings.Repeat("a", 300)} {
		n := kvName(key)
		if len(n) > xattrMaxLen || !utf8.ValidString(n) || !strings.Contains(n, "%#") {
			t.Errorf("long key: %d bytes %q", len(n), n)
		}
		enc := strings.TrimPrefix(n, kvPrefix)
		if _, err := url.PathUnescape(enc[:strings.Index(enc, "%#")]); err != nil {
			t.Errorf("long key cut inside an escape: %q", n)
		}
		if kvName(key+"x") == n {
			t.Errorf("two long keys share a name")
		}
	}
}
