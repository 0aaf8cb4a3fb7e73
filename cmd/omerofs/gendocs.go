package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newGenDocsCmd is the hidden command `make install` runs to write the man
// pages of every command from the same cobra definitions that --help shows,
// so the two never disagree.
func newGenDocsCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write the man pages of omerofs into DIR (for packagers and make install)",
		Hidden: true,
		Args:   argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("man page folder: %w", err)
			}
			header := &doc.GenManHeader{Title: "OMEROFS", Section: "1", Source: versionString(), Manual: "omerofs manual"}
			// A fixed date when the build asks for reproducible output.
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
					t := time.Unix(sec, 0).UTC()
					header.Date = &t
				}
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("man pages in %s: %w", dir, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "man pages written to", filepath.Clean(dir))
			return nil
		},
	}
}
