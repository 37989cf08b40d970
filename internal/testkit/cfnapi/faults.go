package cfnapi

import (
	"fmt"
	"net/http"

	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// Fault is a way CloudFormation's API fails.
type Fault string

// The faults the server injects.
const (
	// Throttling is CloudFormation's answer to a caller over its rate: HTTP
	// 400, code Throttling, "Rate exceeded".
	Throttling Fault = "Throttling"
	// AccessDenied is IAM's refusal: HTTP 403, code AccessDenied.
	AccessDenied Fault = "AccessDenied"
	// InternalFailure is a fault of the service: HTTP 500, code
	// InternalFailure (CloudFormation API Reference, "Common Errors",
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html).
	InternalFailure Fault = "InternalFailure"
	// Hang is no answer at all until the caller gives up (its request's
	// context ends, or its connection closes) or the server closes.
	Hang Fault = "hang"
)

// Faults lists every fault.
var Faults = []Fault{Throttling, AccessDenied, InternalFailure, Hang}

// Inject makes the next n requests of action fail with f (after any faults
// injected before for it).
func (s *Server) Inject(action string, f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[action] = append(s.faults[action], f)
	}
}

// Pending is the number of faults injected for action and not yet spent.
func (s *Server) Pending(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults[action])
}

func (s *Server) nextFault(action string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[action]
	if len(q) == 0 {
		return "", false
	}
	s.faults[action] = q[1:]
	return q[0], true
}

// inject answers r, a request of action on stackARN, with f; a hang answers
// nothing.
func (s *Server) inject(w *reply, r *http.Request, f Fault, action, stackARN string) (int, string) {
	switch f {
	case Throttling:
		return w.fail(http.StatusBadRequest, "Throttling", "Rate exceeded")
	case AccessDenied:
		return w.fail(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: cloudformation:%s on resource: %s "+
			"because no identity-based policy allows the cloudformation:%s action (injected)", "access key "+iamwire.AccessKeyID(r.Header), action, stackARN, action))
	case InternalFailure:
		return w.fail(http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
	}
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
	return 0, ""
}
