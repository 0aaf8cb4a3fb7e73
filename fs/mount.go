package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// MountOptions are the kernel-facing choices of a mount.
type MountOptions struct {
	AllowOther bool   // let other users see the mount (needs user_allow_other in /etc/fuse.conf)
	FsName     string // shown in /proc/mounts, e.g. "omerofs:omero.example.org"
	Debug      bool   // log every FUSE operation
}

// Mount mounts root at dir and serves it in the background. The returned
// server's Wait returns when the mount is gone; the root's background work
// (thumbnails) ends with it, and root.Close waits for that.
func Mount(dir string, root *Root, mo MountOptions) (*fuse.Server, error) {
	ttl := root.opts.MetadataTTL
	fsname := mo.FsName
	if fsname == "" {
		fsname = "omerofs"
	}
	opts := &gofs.Options{
		EntryTimeout:    &ttl,
		AttrTimeout:     &ttl,
		NegativeTimeout: &ttl,
		UID:             root.opts.UID,
		GID:             root.opts.GID,
		MountOptions: fuse.MountOptions{
			AllowOther: mo.AllowOther,
			FsName:     fsname,
			Name:       "omerofs",
			// ro: the kernel refuses writes itself. default_permissions: the
			// kernel checks the 0444/0555 modes, as for a local disk.
			Options:              []string{"ro", "default_permissions"},
			MaxReadAhead:         1 << 20,
			IgnoreSecurityLabels: true,
			Debug:                mo.Debug,
			// As root, mount(2) directly; fusermount3 stays the fallback.
			DirectMount: os.Geteuid() == 0,
			PanicHandler: func(p any) fuse.Status {
				// A bug must cost one operation an EIO, never the mount.
				root.fail(fmt.Errorf("%v", p), "internal error (please report)")
				return fuse.EIO
			},
		},
	}
	life, end := context.WithCancel(context.Background())
	root.startThumbnails(life)
	server, err := gofs.Mount(dir, root, opts)
	if err != nil {
		end()
		root.Close()
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	go func() {
		server.Wait()
		end()
		root.Close()
	}()
	return server, nil
}

// Unmount takes the mount at dir down. Open files do not keep it up: when
// a plain unmount is refused as busy, it detaches lazily, so that a signal
// always ends the mount.
func Unmount(server *fuse.Server, dir string) error {
	err := server.Unmount()
	if err == nil {
		return nil
	}
	if lerr := lazyUnmount(dir); lerr != nil {
		return fmt.Errorf("unmount %s: %w (lazy unmount: %v)", dir, err, lerr)
	}
	return nil
}

func lazyUnmount(dir string) error {
	if os.Geteuid() == 0 {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err == nil || errors.Is(err, syscall.EINVAL) {
			return nil
		}
	}
	for _, bin := range []string{"fusermount3", "fusermount"} {
		if path, err := exec.LookPath(bin); err == nil {
			out, err := exec.Command(path, "-u", "-z", dir).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s -u -z: %v: %s", bin, err, out)
			}
			return nil
		}
	}
	return errors.New("no fusermount3 on PATH")
}
