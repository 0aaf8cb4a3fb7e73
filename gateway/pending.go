package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrPyramidPending: the server is still generating the image's pyramid
// (OMERO answers imgData with a ConcurrencyException meanwhile, status 200).
// The image exists; it can be read once the pyramid is built, so callers
// report "try again" and must not remember it as a failure for long.
var ErrPyramidPending = errors.New("the server is still building the image's pyramid (try again later)")

// concurrencyException is imgData's answer while a pyramid is generated
// (webgateway/marshal.py imageMarshal): only this key, backOff in ms.
type concurrencyException struct {
	ConcurrencyException *struct {
		BackOff float64 `json:"backOff"`
	} `json:"ConcurrencyException"`
}

// pendingBackOff returns the server's backOff when body is a
// ConcurrencyException.
func pendingBackOff(body []byte) (time.Duration, bool) {
	var ce concurrencyException
	if json.Unmarshal(body, &ce) != nil || ce.ConcurrencyException == nil {
		return 0, false
	}
	ms := ce.ConcurrencyException.BackOff
	// Bound what a server says: at least 100 ms, at most 10 s a wait.
	return time.Duration(min(max(ms, 100), 10000)) * time.Millisecond, true
}

// waitPending sleeps backOff before asking again, unless that would go past
// the request timeout (counted from start) or ctx; then it reports false.
func (c *Conn) waitPending(ctx context.Context, start time.Time, backOff time.Duration) bool {
	deadline := start.Add(c.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if time.Now().Add(backOff).After(deadline) {
		return false
	}
	t := time.NewTimer(backOff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
