package fs

import (
	"context"
	"errors"
	"syscall"

	"github.com/omerofs/omerofs/gateway"
)

// toErrno maps an error from the layers below to the errno the kernel
// reports. It is the only place where that mapping is decided, so that the
// same failure reads the same way from every operation.
func toErrno(err error) syscall.Errno {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gateway.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, context.Canceled):
		// The caller was interrupted (Ctrl-C): nothing is wrong with the file.
		return syscall.EINTR
	case errors.Is(err, gateway.ErrForbidden):
		return syscall.EACCES
	case errors.Is(err, gateway.ErrPyramidPending):
		// The server is still building the image's pyramid: try again.
		return syscall.EAGAIN
	default:
		// Server errors, timeouts, undecodable answers, expired sessions that
		// could not be renewed: the data exists but cannot be had right now.
		return syscall.EIO
	}
}
