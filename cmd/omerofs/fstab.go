package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The fstab form. `mount -t fuse.omerofs URL MOUNTPOINT -o OPTIONS` (and an
// /etc/fstab line of that type) makes mount.fuse3 run
// `omerofs URL MOUNTPOINT -o OPTIONS` and wait for it to return once the
// mount is up. So in that form omerofs starts `omerofs mount` detached,
// with the options turned into flags, waits until the mount appears (or
// the child fails, whose error it prints), and returns.

// fstabArgs recognises `URL MOUNTPOINT [-o OPTIONS]`.
func fstabArgs(args []string) (url, dir string, opts []string, ok bool) {
	if len(args) < 2 || checkURL(args[0]) != nil || strings.HasPrefix(args[1], "-") {
		return "", "", nil, false
	}
	url, dir = args[0], args[1]
	rest := args[2:]
	for len(rest) > 0 {
		switch {
		case rest[0] == "-o" && len(rest) > 1:
			opts = append(opts, strings.Split(rest[1], ",")...)
			rest = rest[2:]
		case strings.HasPrefix(rest[0], "-o"):
			opts = append(opts, strings.Split(rest[0][2:], ",")...)
			rest = rest[1:]
		default:
			rest = rest[1:] // -n, -s and the like from mount: nothing for us
		}
	}
	return url, dir, opts, true
}

// fstabFlags turns mount options into `omerofs mount` flags: every option
// of options.go, by its name with '_' or '-'. Generic mount options (rw,
// ro, nodev, noauto, _netdev, x-systemd.*, …) are the kernel's or mount's
// business and are left out; a secret is refused.
func fstabFlags(opts []string) ([]string, error) {
	var flags []string
	for _, o := range opts {
		k, v, hasValue := strings.Cut(o, "=")
		k = strings.ReplaceAll(k, "_", "-")
		opt, known := lookupOption(k)
		switch {
		case k == "password" || opt.secret:
			return nil, fmt.Errorf("-o %s: secrets do not go in mount options (they show in /proc/mounts); use password_file=FILE", k)
		case known && !opt.isBool() && hasValue:
			flags = append(flags, "--"+k, v)
		case known && opt.isBool() && !hasValue:
			flags = append(flags, "--"+k)
		}
	}
	return flags, nil
}

// runFstab mounts in the background and returns when the mount is up.
func runFstab(url, dir string, opts []string) int {
	flags, err := fstabFlags(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		return 2
	}
	if err := checkMountpoint(dir); err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		return 1
	}
	logPath := filepath.Join(os.TempDir(), fmt.Sprintf("omerofs-%d-%s.log", os.Getuid(), strings.ReplaceAll(strings.Trim(absPath(dir), "/"), "/", "_")))
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		return 1
	}
	defer logFile.Close()
	child := exec.Command(self, append(append([]string{"mount"}, flags...), url, dir)...)
	child.Stdout, child.Stderr = logFile, logFile
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives mount(8)
	if err := child.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "omerofs:", err)
		return 1
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case <-exited:
			fmt.Fprintln(os.Stderr, lastError(logPath))
			return 1
		case <-deadline:
			child.Process.Kill()
			fmt.Fprintf(os.Stderr, "omerofs: no mount at %s within 2 minutes; see %s\n", dir, logPath)
			return 1
		case <-time.After(50 * time.Millisecond):
			if mounted, _ := isMountpoint(dir); mounted {
				return 0
			}
		}
	}
}

// lastError is the child's closing line ("omerofs: …"), or a pointer to its log.
func lastError(logPath string) string {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return "omerofs: the mount failed; no log"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "omerofs:") {
			return lines[i]
		}
	}
	return "omerofs: the mount failed; see " + logPath
}
