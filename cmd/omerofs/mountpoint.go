package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// checkMountpoint tells, in one line the user can act on, why dir cannot be
// mounted on: missing, not a folder, not empty, already mounted, or a dead
// mount left by a crashed process.
func checkMountpoint(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, syscall.ENOTCONN):
		return deadMount(dir)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("mountpoint %s does not exist: create it with 'mkdir -p %s'", dir, dir)
	case err != nil:
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("mountpoint %s is not a directory", dir)
	}
	if mounted, err := isMountpoint(dir); err == nil && mounted {
		// The kernel may answer stat from its cache even when the process
		// behind a FUSE mount is gone; listing the folder asks it for real.
		if f, err := os.Open(dir); err == nil {
			_, err = f.Readdirnames(1)
			f.Close()
			if errors.Is(err, syscall.ENOTCONN) {
				return deadMount(dir)
			}
		} else if errors.Is(err, syscall.ENOTCONN) {
			return deadMount(dir)
		}
		return fmt.Errorf("mountpoint %s is already a mount point: unmount it first ('fusermount3 -u %s')", dir, dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err != io.EOF {
		if err == nil {
			return fmt.Errorf("mountpoint %s is not empty: mount on an empty directory", dir)
		}
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	return nil
}

// deadMount explains a mount whose process has gone.
func deadMount(dir string) error {
	return fmt.Errorf("mountpoint %s is a dead mount left by a crashed omerofs (transport endpoint is not connected): run 'fusermount3 -u %s' and try again", dir, dir)
}

// isMountpoint reports whether dir is on another device than its parent.
func isMountpoint(dir string) (bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	var st, pst syscall.Stat_t
	if err := syscall.Stat(abs, &st); err != nil {
		return false, err
	}
	if err := syscall.Stat(filepath.Dir(abs), &pst); err != nil {
		return false, err
	}
	return st.Dev != pst.Dev || st.Ino == pst.Ino, nil
}
