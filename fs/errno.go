package fs

import (
	"context"
	"errors"
	"syscall"
	"time"

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

// fail is the one error exit of the node operations: it maps err to its
// errno (toErrno), logs it with what the operation was doing, and counts
// it for the metrics (omerofs_errors_total). ENOENT (the object is gone)
// and EINTR (the caller gave up) are not logged: they are answers, not
// faults. An error already logged where it happened (see logged) is not
// logged again.
func (r *Root) fail(err error, format string, args ...any) syscall.Errno {
	errno := toErrno(err)
	var done loggedError
	if errno != syscall.ENOENT && errno != syscall.EINTR && !errors.As(err, &done) {
		r.log.WithError(err).Errorf(format, args...)
	}
	r.stats.countErrno(errno)
	return errno
}

// loggedError is an error logged once where it happened, though it reaches
// several operations: a failed render is shared by every read waiting for
// it and kept a while in the image cache, yet is one fault, one log line.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// logged marks err as logged.
func logged(err error) error {
	if err == nil {
		return nil
	}
	return loggedError{err}
}

// retryPause is how long an EAGAIN answer is held back (pauseBeforeRetry).
const retryPause = time.Second

// pauseBeforeRetry waits retryPause, or until the caller gives up.
func pauseBeforeRetry(ctx context.Context) {
	t := time.NewTimer(retryPause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
