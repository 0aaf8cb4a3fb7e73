package ijroi

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"strings"
	"time"
)

// SetName is the file name that ImageJ's Import > Image Sequence opens into
// the ROI Manager instead of reading it as a slice.
const SetName = "RoiSet.zip"

// zipTime is every entry's modification time, so that one list of ROIs
// always gives the same bytes.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Set returns the ROIs as ImageJ's RoiSet.zip: one "<name>.roi" entry per
// ROI, in order, named after the ROI (made unique, as the ROI Manager wants
// its labels). The entries are stored, not compressed, and carry their sizes
// and checksums in their headers: Java's ZipInputStream, which the ROI
// Manager reads sets with, refuses stored entries whose sizes come after
// the data.
func Set(rois []ROI) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := EntryNames(rois)
	for i, r := range rois {
		b, err := Encode(r)
		if err != nil {
			return nil, fmt.Errorf("ROI set entry %d: %w", i, err)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               names[i],
			Method:             zip.Store,
			Modified:           zipTime,
			CRC32:              crc32.ChecksumIEEE(b),
			CompressedSize64:   uint64(len(b)),
			UncompressedSize64: uint64(len(b)),
		})
		if err != nil {
			return nil, fmt.Errorf("ROI set entry %q: %w", names[i], err)
		}
		if _, err := w.Write(b); err != nil {
			return nil, fmt.Errorf("ROI set entry %q: %w", names[i], err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("ROI set: %w", err)
	}
	return buf.Bytes(), nil
}

// EntryNames are the names of Set's entries: each ROI's name with the
// characters that a ZIP path or a file system cannot hold replaced by '_',
// "roi" for an empty name, and "-2", "-3", … added to repeats.
func EntryNames(rois []ROI) []string {
	used := make(map[string]bool, len(rois))
	next := map[string]int{} // per base, the suffix to try first: repeats cost O(1), not O(n)
	out := make([]string, len(rois))
	for i, r := range rois {
		base := strings.Map(func(c rune) rune {
			if c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
				return '_'
			}
			return c
		}, r.Name)
		if strings.Trim(base, ".") == "" {
			base = "roi"
		}
		name := base
		if used[strings.ToLower(name)] {
			k := max(next[base], 2)
			for name = fmt.Sprintf("%s-%d", base, k); used[strings.ToLower(name)]; k++ {
				name = fmt.Sprintf("%s-%d", base, k+1)
			}
			next[base] = k + 1
		}
		used[strings.ToLower(name)] = true
		out[i] = name + ".roi"
	}
	return out
}
