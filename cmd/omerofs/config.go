package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The config file: ~/.config/omerofs/config (or $XDG_CONFIG_HOME/omerofs/
// config, or --config FILE). One "key = value" a line, '#' starts a comment;
// the keys are the names of options.go (cache-size = 2GiB), plus url, the
// server address, which lets `omerofs mount MOUNTPOINT` go without it.
// Precedence: flags, then environment variables, then the file.

// configPath is where the config file is looked for.
func configPath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "omerofs", "config")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "omerofs", "config")
}

// readConfig parses a config file; a missing default file is no error.
func readConfig(path string, required bool) (map[string]string, error) {
	cfg := map[string]string{}
	if path == "" {
		return cfg, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("config %s:%d: want key = value, got %q", path, n, line)
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if k == "password" {
			return nil, fmt.Errorf("config %s:%d: passwords do not go in the config file: use password-file = FILE", path, n)
		}
		cfg[k] = v
	}
	return cfg, sc.Err()
}

// applyConfig sets every flag of cmd the user did not give from the file.
// Unknown keys are errors, so that a typo is not silently ignored; keys
// meant for other commands (url for serve-demo, say) are skipped.
func applyConfig(cmd *cobra.Command, cfg map[string]string) error {
	for k, v := range cfg {
		if k == "url" {
			continue
		}
		f := cmd.Flags().Lookup(k)
		if f == nil {
			if !knownKey(cmd.Root(), k) {
				return fmt.Errorf("config: unknown key %q (keys are the long flag names, see omerofs mount --help)", k)
			}
			continue
		}
		if f.Changed {
			continue
		}
		if o, ok := lookupOption(k); ok && o.env != "" && os.Getenv(o.env) != "" {
			continue
		}
		if err := f.Value.Set(v); err != nil {
			return fmt.Errorf("config: %s = %q: %w", k, v, err)
		}
	}
	return nil
}

// knownKey reports whether any command has a flag named k.
func knownKey(root *cobra.Command, k string) bool {
	found := false
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == k {
				found = true
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return found
}
