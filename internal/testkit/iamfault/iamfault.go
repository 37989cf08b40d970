// Package iamfault injects faults into an AWS SDK client's HTTP traffic, the
// way IAM and networks fail: throttling, 5xx, AccessDenied, a connection reset
// after the request reached the server, and an answer slower than the
// caller's deadline. Production code is untouched: tests put a Transport in
// the client's HTTP client.
package iamfault

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// Kind is a kind of fault.
type Kind string

// Fault kinds.
const (
	Throttling      Kind = "throttling"
	ServiceFailure  Kind = "5xx ServiceFailure"
	AccessDenied    Kind = "AccessDenied"
	ConnectionReset Kind = "connection reset"
	Slow            Kind = "slower than the deadline"
)

// Kinds lists every fault kind.
var Kinds = []Kind{Throttling, ServiceFailure, AccessDenied, ConnectionReset, Slow}

// Transport counts requests and fails the one at position FailAt (1-based)
// with Kind, or, with Rate > 0, throttles that fraction of all requests.
type Transport struct {
	Next   http.RoundTripper
	FailAt int
	Kind   Kind
	// Rate throttles a random fraction of requests (0 = none).
	Rate float64

	mu       sync.Mutex
	count    int
	injected int
	lost     []string
	rng      *rand.Rand
}

// LostAnswers lists the IAM actions whose requests reached the server but
// whose answers were lost (connection reset, slower than the deadline).
func (t *Transport) LostAnswers() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lost...)
}

// Count is the number of requests seen.
func (t *Transport) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count
}

// Injected is the number of faults injected.
func (t *Transport) Injected() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.injected
}

// RoundTrip passes the request on, or fails it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.count++
	kind := Kind("")
	switch {
	case t.FailAt > 0 && t.count == t.FailAt:
		kind = t.Kind
	case t.Rate > 0:
		if t.rng == nil {
			t.rng = rand.New(rand.NewPCG(1, 2))
		}
		if t.rng.Float64() < t.Rate {
			kind = Throttling
		}
	}
	if kind != "" {
		t.injected++
	}
	if kind == ConnectionReset || kind == Slow {
		t.lost = append(t.lost, action(req))
	}
	t.mu.Unlock()

	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	switch kind {
	case "":
		return next.RoundTrip(req)
	case Throttling:
		return errorResponse(req, http.StatusBadRequest, "Throttling", "Rate exceeded"), nil
	case ServiceFailure:
		return errorResponse(req, http.StatusInternalServerError, "ServiceFailure", "Request processing has failed due to an unknown error."), nil
	case AccessDenied:
		return errorResponse(req, http.StatusForbidden, "AccessDenied", "User is not authorized to perform this action (injected)"), nil
	case ConnectionReset:
		// The server did the work; its answer is lost.
		if resp, err := next.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	case Slow:
		// The server did the work; the answer comes after the caller gave up.
		if resp, err := next.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return nil, fmt.Errorf("iamfault: unknown kind %q", kind)
}

// action reads the IAM action of a request; its body stays readable.
func action(req *http.Request) string {
	form, err := iamwire.ReadForm(req)
	if err != nil {
		return ""
	}
	return form.Get("Action")
}

// errorResponse is IAM's error answer.
func errorResponse(req *http.Request, status int, code, msg string) *http.Response {
	body := iamwire.ErrorBody(code, msg, "injected-fault")
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": []string{"text/xml"}, "X-Amzn-Requestid": []string{"injected-fault"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
