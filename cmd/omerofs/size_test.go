package main

import "testing"

func TestParseByteSize(t *testing.T) {
	good := map[string]int64{
		"512MiB": 512 << 20, "512mib": 512 << 20, "2GiB": 2 << 30, "1G": 1 << 30,
		"1000": 1000, "1.5KiB": 1536, "3MB": 3e6, "0": 0, " 64 MiB ": 64 << 20, "10B": 10,
	}
	for in, want := range good {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "lots", "1XB", "NaN", "1e30GiB"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatBytesRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, 1023, 1 << 10, 512 << 20, 3 << 30, 12345} {
		got, err := parseByteSize(formatBytes(n))
		if err != nil || got != n {
			t.Errorf("round trip of %d via %q = %d, %v", n, formatBytes(n), got, err)
		}
	}
}
