// Command omerofs mounts an OMERO server as a read-only filesystem of
// folders and PNG images. See docs/design.md for the contract and
// docs/usage.md for examples. Its options are declared once, in
// options.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

// version is set at build time (-ldflags "-X main.version=…"); otherwise
// the module version from the build info is shown.
var version = ""

// app is what the commands share once the command line is read: the
// config file's url, the default server address.
type app struct {
	configURL string
}

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ error }

func main() {
	if url, dir, opts, ok := fstabArgs(os.Args[1:]); ok {
		os.Exit(runFstab(url, dir, opts))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// logOptions are the flags every command shares.
type logOptions struct {
	level, format string
	config        string
}

func newRootCmd() *cobra.Command {
	var lo logOptions
	a := &app{}
	root := &cobra.Command{
		Use:   "omerofs",
		Short: "Mount an OMERO image server as a read-only folder of PNG images",
		Long: `omerofs shows an OMERO server (reached through OMERO.web) as folders and files:
projects/, datasets/, orphaned/, screens/, plates/ and images/<id>.png. Each image is a PNG
rendered with its own OMERO rendering settings, ready for a file manager, a shell, Fiji/ImageJ
or any image viewer.`,
		Example: `  omerofs demo                                   # try it: built-in demo server, mounted at /tmp/omerofs-demo
  OMERO_PASSWORD=… omerofs mount --user alice https://omero.example.org ~/omero
  omerofs mount https://idr.openmicroscopy.org ~/idr   # a public server: no login
  fusermount3 -u ~/omero                         # unmount`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := readConfig(configPath(lo.config), lo.config != "")
			if err != nil {
				return err
			}
			if err := applyConfig(cmd, cfg); err != nil {
				return err
			}
			a.configURL = cfg["url"]
			return setupLogging(lo)
		},
	}
	addOptions(root.PersistentFlags(), globalOptions(&lo))
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see 'omerofs %s --help')", err, cmd.Name())}
	})
	root.AddCommand(newMountCmd(a), newDemoCmd(), newServeDemoCmd(), newVersionCmd(), newGenDocsCmd())
	return root
}

func setupLogging(lo logOptions) error {
	lvl, err := logrus.ParseLevel(lo.level)
	if err != nil {
		return usageError{fmt.Errorf("--log-level %q: use error, warn, info or debug", lo.level)}
	}
	logrus.SetLevel(lvl)
	logrus.SetOutput(os.Stderr)
	switch lo.format {
	case "text":
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	case "json":
		logrus.SetFormatter(&logrus.JSONFormatter{})
	default:
		return usageError{fmt.Errorf("--log-format %q: use text or json", lo.format)}
	}
	return nil
}

// argsBetween checks the number of arguments; a wrong count is a usage error.
func argsBetween(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usageError{fmt.Errorf("%s: wrong number of arguments (usage: %s)", cmd.Name(), cmd.UseLine())}
		}
		return nil
	}
}
