package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/omerofs/omerofs/fs"
	"github.com/omerofs/omerofs/gateway"
)

// TestEveryFlagIsDeclaredOnce: the flags of the commands that mount are
// exactly the declared options, with the declared defaults, and the
// library defaults are the flags' defaults.
func TestEveryFlagIsDeclaredOnce(t *testing.T) {
	root := newRootCmd()
	mount, _, err := root.Find([]string{"mount"})
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, o := range allOptions() {
		if declared[o.name] {
			t.Errorf("option %s declared twice", o.name)
		}
		declared[o.name] = true
	}
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		seen[f.Name] = true
		if !declared[f.Name] {
			t.Errorf("flag --%s is not declared in options.go", f.Name)
		}
	}
	mount.Flags().VisitAll(visit)
	mount.InheritedFlags().VisitAll(visit)
	for name := range declared {
		if !seen[name] {
			t.Errorf("option %s is no flag of omerofs mount", name)
		}
	}
	for name, want := range map[string]string{
		"metadata-ttl":    fs.DefaultMetadataTTL.String(),
		"max-render-size": "4096",
		"timeout":         gateway.DefaultTimeout.String(),
		"max-requests":    "4",
		"server":          "1",
		"cache-size":      "512MiB",
	} {
		if got := mount.Flags().Lookup(name).DefValue; got != want {
			t.Errorf("--%s defaults to %s, want %s", name, got, want)
		}
	}
}

// TestFstabTakesEveryOption: each declared option is a mount option by
// its name with '_' (a value, or a bare switch), except the secrets.
func TestFstabTakesEveryOption(t *testing.T) {
	for _, o := range allOptions() {
		mo := strings.ReplaceAll(o.name, "-", "_")
		if !o.isBool() {
			mo += "=x"
		}
		flags, err := fstabFlags([]string{mo})
		if o.secret {
			if err == nil {
				t.Errorf("-o %s: a secret accepted as a mount option", mo)
			}
			continue
		}
		want := "--" + o.name
		if !o.isBool() {
			want += " x"
		}
		if err != nil || strings.Join(flags, " ") != want {
			t.Errorf("-o %s: %q, %v; want %q", mo, flags, err, want)
		}
	}
}
