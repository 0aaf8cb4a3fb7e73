package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// commit is the VCS commit, set at link time by make build (-ldflags
// "-X main.commit=…") for builds the go command does not stamp: it stamps
// vcs.revision only where .git is a directory, not in a git worktree.
var commit = ""

// versionString names the build: the version set at link time or the
// module's, the VCS commit it was built from (with "+dirty" for uncommitted
// changes), and the Go that built it.
func versionString() string {
	bi, _ := debug.ReadBuildInfo() // nil when the binary has none
	return versionOf(version, commit, bi)
}

// versionOf is versionString over explicit inputs, for the tests.
func versionOf(linked, linkedCommit string, bi *debug.BuildInfo) string {
	v := linked
	if v == "" {
		v = "devel"
		if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	var details []string
	rev := linkedCommit
	if bi != nil {
		var modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value // the go command's stamp wins over the linked one
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" && modified == "true" {
			rev += "+dirty"
		}
	}
	if rev != "" {
		if base, dirty, _ := strings.Cut(rev, "+"); len(base) > 12 {
			rev = base[:12]
			if dirty != "" {
				rev += "+" + dirty
			}
		}
		details = append(details, "commit "+rev)
	}
	details = append(details, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("omerofs %s (%s)", v, strings.Join(details, ", "))
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of omerofs",
		Long:  "Print the version of omerofs, the commit it was built from (+dirty if the tree had uncommitted changes) and the Go release that built it.",
		Args:  argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return nil
		},
	}
}
