package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		linked, commit string
		bi             *debug.BuildInfo
		want           string
	}{
		{"", "", bi, "omerofs v1.2.3 (commit 0123456789ab+dirty, "},
		{"v9", "", bi, "omerofs v9 (commit 0123456789ab+dirty, "},
		{"", "fedcba987654+dirty", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "omerofs devel (commit fedcba987654+dirty, "},
		{"", "fedcba9876543210", nil, "omerofs devel (commit fedcba987654, "},
		{"", "", nil, "omerofs devel (go"},
	} {
		if got := versionOf(c.linked, c.commit, c.bi); !strings.HasPrefix(got, c.want) {
			t.Errorf("versionOf(%q, %q) = %q, want it to start %q", c.linked, c.commit, got, c.want)
		}
	}
}

// TestMakeInstall runs `make install` into a temporary DESTDIR, as a
// packager would, and checks the binary (and its version's commit), the man
// pages and the completions it put there.
func TestMakeInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIPPING: no make")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	cmd := exec.Command("make", "-C", repo, "install", "DESTDIR="+dest, "PREFIX=/usr", "BIN="+filepath.Join(t.TempDir(), "omerofs"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for path, want := range map[string]string{
		"usr/share/man/man1/omerofs.1":                     ".TH",
		"usr/share/man/man1/omerofs-mount.1":               "--cache-size",
		"usr/share/bash-completion/completions/omerofs":    "omerofs",
		"usr/share/zsh/site-functions/_omerofs":            "#compdef omerofs",
		"usr/share/fish/vendor_completions.d/omerofs.fish": "complete -c omerofs",
		"usr/share/man/man1/omerofs-version.1":             "commit",
		"usr/share/man/man1/omerofs-demo.1":                "omerofs demo",
		"usr/share/man/man1/omerofs-serve-demo.1":          "serve-demo",
	} {
		b, err := os.ReadFile(filepath.Join(dest, path))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v; want it to contain %q", path, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "usr/share/man/man1/omerofs-gen-docs.1")); err == nil {
		t.Error("the hidden gen-docs command has a man page")
	}
	bin := filepath.Join(dest, "usr/bin/omerofs")
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("installed omerofs version: %v", err)
	}
	if head, err := exec.Command("git", "-C", repo, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		if want := "commit " + strings.TrimSpace(string(head)); !strings.Contains(string(out), want) {
			t.Errorf("installed omerofs version: %q, want %q", out, want)
		}
	}
}
