package motoserver

import (
	"net/http"
	"strings"
	"sync"

	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// Recorder is an http.RoundTripper that notes the IAM action of every request
// that passes through it, so tests and benchmarks can count IAM calls as IAM
// sees them (retries included).
type Recorder struct {
	// Next does the request; nil means http.DefaultTransport.
	Next http.RoundTripper

	mu      sync.Mutex
	actions []string
}

// RoundTrip records the request's Action and passes it on.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	form, err := iamwire.ReadForm(req)
	if err != nil {
		return nil, err
	}
	if a := form.Get("Action"); a != "" {
		r.mu.Lock()
		r.actions = append(r.actions, a)
		r.mu.Unlock()
	}
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// Actions returns the actions recorded so far, in order.
func (r *Recorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.actions...)
}

// Writes returns the recorded actions that change IAM (all but Get*/List*).
func (r *Recorder) Writes() []string {
	var w []string
	for _, a := range r.Actions() {
		if !IsRead(a) {
			w = append(w, a)
		}
	}
	return w
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.actions = nil
	r.mu.Unlock()
}

// IsRead reports whether an IAM action only reads.
func IsRead(action string) bool {
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List")
}
