package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigPrecedence(t *testing.T) {
	p := writeConfig(t, "# my server\nurl = https://omero.example.org\ncache-size = 2GiB\nmetadata-ttl = 5m\nuser = carol\nmax-requests = 3\n")
	cfg, err := readConfig(p, true)
	if err != nil {
		t.Fatal(err)
	}
	cmd := newMountCmd(&app{})
	if err := cmd.ParseFlags([]string{"--max-requests", "12"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OMERO_USER", "dave")
	if err := applyConfig(cmd, cfg); err != nil {
		t.Fatal(err)
	}
	get := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	if get("cache-size") != "2GiB" || get("metadata-ttl") != "5m0s" {
		t.Errorf("config values not applied: %s %s", get("cache-size"), get("metadata-ttl"))
	}
	if get("max-requests") != "12" {
		t.Errorf("a flag must beat the config: %s", get("max-requests"))
	}
	if get("user") != "" {
		t.Errorf("OMERO_USER must beat the config's user: flag set to %q", get("user"))
	}
	if cfg["url"] != "https://omero.example.org" {
		t.Errorf("url %q", cfg["url"])
	}
}

func TestConfigRefusesMistakes(t *testing.T) {
	for text, want := range map[string]string{
		"cache-sise = 1GiB\n":      "unknown key",
		"password = hunter2\n":     "passwords do not go",
		"just words\n":             "want key = value",
		"cache-size = lots\n":      "not a size",
		"metadata-ttl = forever\n": "metadata-ttl",
	} {
		cfg, err := readConfig(writeConfig(t, text), true)
		if err == nil {
			root := newRootCmd()
			mount, _, _ := root.Find([]string{"mount"})
			err = applyConfig(mount, cfg)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", text, err, want)
		}
	}
	if cfg, err := readConfig(filepath.Join(t.TempDir(), "none"), false); err != nil || len(cfg) != 0 {
		t.Errorf("a missing default config must be fine: %v", err)
	}
	if _, err := readConfig(filepath.Join(t.TempDir(), "none"), true); err == nil {
		t.Error("a missing --config file must be an error")
	}
}
