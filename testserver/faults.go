package testserver

import (
	"bufio"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault injection for tests: a fault matches requests by endpoint kind
// ("render_image", "api_list", …) or by path prefix ("/api/v0/m/images/"),
// and spoils the answer in one of the ways real networks and servers do.

// FaultKind is a way of failing.
type FaultKind int

const (
	Latency        FaultKind = iota // wait Delay, then answer normally
	Status                          // answer Status (e.g. 500, 502, 503) with an error body
	MalformedJSON                   // a 200 whose body is not JSON
	WrongShapeJSON                  // a 200 whose JSON has the wrong shape
	TruncateBody                    // send half of the real body, then close
	DropConnection                  // close the connection without answering
	ResetMidBody                    // send the headers and part of the body, then reset
	StallMidBody                    // send the headers and half the body, then nothing until the client leaves (or Delay passes)
)

// Fault is one injected fault.
type Fault struct {
	Match       string        // endpoint kind, or a path prefix starting with "/"
	Kind        FaultKind     //
	Delay       time.Duration // for Latency
	Status      int           // for Status
	Count       int           // how many requests to spoil; 0 = until cleared
	Probability float64       // chance of spoiling a matching request; 0 = always
}

type faultSet struct {
	mu     sync.Mutex
	faults []*Fault
	rng    *rand.Rand
}

func (fs *faultSet) init() { fs.rng = rand.New(rand.NewSource(1)) }

// SetFault adds a fault.
func (s *Server) SetFault(f Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = append(s.faults.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = nil
}

// pick returns the fault for this request, if any, and uses up one count.
func (fs *faultSet) pick(kind, path string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.faults {
		if f.Match != kind && !(strings.HasPrefix(f.Match, "/") && strings.HasPrefix(path, f.Match)) {
			continue
		}
		if f.Probability > 0 && fs.rng.Float64() >= f.Probability {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				fs.faults = append(fs.faults[:i:i], fs.faults[i+1:]...)
			}
		}
		c := *f
		return &c
	}
	return nil
}

// faultWriter is the ResponseWriter a handler writes to: it passes through,
// or buffers the answer so that a body fault can spoil it.
type faultWriter struct {
	http.ResponseWriter
	fault  *Fault
	r      *http.Request
	buf    []byte
	status int
}

func (fw *faultWriter) WriteHeader(status int) {
	if fw.fault == nil {
		fw.ResponseWriter.WriteHeader(status)
		return
	}
	fw.status = status
}

func (fw *faultWriter) Write(b []byte) (int, error) {
	if fw.fault == nil {
		return fw.ResponseWriter.Write(b)
	}
	if fw.status == 0 {
		fw.status = http.StatusOK
	}
	fw.buf = append(fw.buf, b...)
	return len(b), nil
}

// apply runs the fault's effect before the handler; ok is false when the
// request was answered (or dropped) already.
func (fs *faultSet) apply(kind string, w http.ResponseWriter, r *http.Request) (*faultWriter, bool) {
	f := fs.pick(kind, r.URL.Path)
	fw := &faultWriter{ResponseWriter: w, r: r}
	if f == nil {
		return fw, true
	}
	switch f.Kind {
	case Latency:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return nil, false
		}
		return fw, true
	case Status:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout {
			// what a proxy in front of OMERO.web answers
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			w.Write([]byte("<html><body><h1>" + http.StatusText(status) + "</h1></body></html>"))
		} else {
			writeJSON(w, status, obj{"message": "Internal server error (injected)", "stacktrace": "Traceback (most recent call last): injected"})
		}
		return nil, false
	case DropConnection:
		hijackClose(unwritten{w}, false)
		return nil, false
	}
	fw.fault = f // body faults: buffer the answer, spoil it in finish
	return fw, true
}

// finish sends a buffered answer, spoilt as the fault says.
func (fw *faultWriter) finish() {
	if fw == nil || fw.fault == nil {
		return
	}
	h := fw.ResponseWriter.Header()
	body := fw.buf
	switch fw.fault.Kind {
	case MalformedJSON:
		h.Set("Content-Type", "application/json")
		fw.ResponseWriter.WriteHeader(http.StatusOK)
		fw.ResponseWriter.Write([]byte(`{"data": [{"@id": 1, "Name": "trunc`))
	case WrongShapeJSON:
		h.Set("Content-Type", "application/json")
		fw.ResponseWriter.WriteHeader(http.StatusOK)
		fw.ResponseWriter.Write([]byte(`{"data": "this is not a list", "meta": {"totalCount": "many"}, "id": "x", "size": [1, 2]}`))
	case TruncateBody:
		// Promise the whole body, send half, close: the client sees an
		// unexpected EOF.
		h.Set("Content-Length", itoa(len(body)))
		fw.ResponseWriter.WriteHeader(fw.status)
		fw.ResponseWriter.Write(body[:len(body)/2])
		hijackClose(fw.ResponseWriter, false)
	case ResetMidBody:
		h.Set("Content-Length", itoa(len(body)))
		fw.ResponseWriter.WriteHeader(fw.status)
		fw.ResponseWriter.Write(body[:len(body)/3])
		hijackClose(fw.ResponseWriter, true)
	case StallMidBody:
		h.Set("Content-Length", itoa(len(body)))
		fw.ResponseWriter.WriteHeader(fw.status)
		fw.ResponseWriter.Write(body[:len(body)/2])
		if f, ok := fw.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		var limit <-chan time.Time
		if fw.fault.Delay > 0 {
			limit = time.After(fw.fault.Delay)
		}
		select {
		case <-fw.r.Context().Done():
		case <-limit:
		}
		hijackClose(fw.ResponseWriter, false)
	}
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

// hijackClose closes the connection under w, first sending what was
// written (if anything: flushing an unwritten answer would send a 200);
// reset sends a TCP RST instead of a FIN.
func hijackClose(w http.ResponseWriter, reset bool) {
	if fw, ok := w.(interface{ Written() bool }); !ok || fw.Written() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if buf != nil {
		flushBuffered(buf)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		tcp.SetLinger(0)
	}
	conn.Close()
}

func flushBuffered(b *bufio.ReadWriter) { b.Flush() }

// unwritten marks a ResponseWriter nothing was written to.
type unwritten struct{ http.ResponseWriter }

func (unwritten) Written() bool { return false }

func (u unwritten) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return u.ResponseWriter.(http.Hijacker).Hijack()
}
