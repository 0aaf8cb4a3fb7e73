package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckMountpoint(t *testing.T) {
	base := t.TempDir()
	empty := filepath.Join(base, "empty")
	full := filepath.Join(base, "full")
	file := filepath.Join(base, "file")
	for _, d := range []string{empty, full} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkMountpoint(empty); err != nil {
		t.Errorf("empty directory refused: %v", err)
	}
	cases := map[string]string{
		filepath.Join(base, "missing"): "does not exist",
		full:                           "not empty",
		file:                           "not a directory",
		"/proc":                        "already a mount point",
	}
	for dir, want := range cases {
		err := checkMountpoint(dir)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkMountpoint(%s) = %v, want an error saying %q", dir, err, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://omero.example.org", "http://127.0.0.1:4080", "https://h/omero/"} {
		if err := checkURL(ok); err != nil {
			t.Errorf("checkURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "omero.example.org", "ftp://x", "https://", "http//x", "::"} {
		if err := checkURL(bad); err == nil {
			t.Errorf("checkURL(%q) accepted", bad)
		}
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := credentials{user: "alice", password: "hunter2", sessionKey: "abc-123-key"}
	for _, s := range []string{c.String(), (credentials{user: "alice", password: "hunter2"}).String()} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "abc-123-key") {
			t.Errorf("credentials printed a secret: %q", s)
		}
	}
}

func TestLoadCredentialsSources(t *testing.T) {
	t.Setenv("OMERO_USER", "")
	t.Setenv("OMERO_SESSION_KEY", "")
	t.Setenv("OMERO_PASSWORD", "from-env")
	c, err := loadCredentials("alice", "", "")
	if err != nil || c.password != "from-env" {
		t.Fatalf("env password: %+v, %v", c, err)
	}
	pf := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pf, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = loadCredentials("alice", pf, "")
	if err != nil || c.password != "from-file" {
		t.Fatalf("file password (wins over env, newline trimmed): %+v, %v", c, err)
	}
	c, err = loadCredentials("", "", "")
	if err != nil || c.user != "" || c.password != "" {
		t.Fatalf("no user must mean public access without a password: %+v, %v", c, err)
	}
	t.Setenv("OMERO_SESSION_KEY", "key-1")
	c, err = loadCredentials("", "", "")
	if err != nil || c.sessionKey != "key-1" {
		t.Fatalf("session key from env: %+v, %v", c, err)
	}
	t.Setenv("OMERO_SESSION_KEY", "")
	os.Unsetenv("OMERO_PASSWORD")
	if _, err := loadCredentials("alice", "", ""); err == nil || !strings.Contains(err.Error(), "OMERO_PASSWORD") {
		t.Fatalf("a user without password off a terminal must be told how to give one, got %v", err)
	}
}
