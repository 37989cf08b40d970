// Package cfnapi is a test double of CloudFormation's API: an HTTP server on
// loopback that speaks CloudFormation's query protocol for the two reads a
// check of a request against CloudFormation makes, DescribeStackResource and
// DescribeStacks, and answers them from a cfnsim.Stacks — what CloudFormation
// shows of one account's stacks in one Region — in CloudFormation's XML, with
// CloudFormation's errors. It refuses a request that is not SigV4-signed for
// CloudFormation in its Region (the signature's bytes are not checked), can
// judge each read with an authorization hook (the tests give it the IAM
// policy evaluator and the execution role's policy), injects faults per
// action, and records every call.
//
// Test infrastructure: nothing that ships imports it.
package cfnapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
	"github.com/qbrole/qbrole/internal/testkit/iamwire"
)

// The actions the double answers, and the API version of CloudFormation's
// query protocol (CloudFormation API Reference, "DescribeStackResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html;
// "DescribeStacks",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
const (
	DescribeStackResource = "DescribeStackResource"
	DescribeStacks        = "DescribeStacks"
	Version               = "2010-05-15"
)

// Options configure a Server.
type Options struct {
	// Stacks is what the server answers from: the stacks of AccountID in
	// Region (a stack of another account or Region is not found, as
	// CloudFormation in this account and Region does not have it).
	Stacks *cfnsim.Stacks
	// Region and AccountID: by default us-east-1 and 123456789012.
	Region, AccountID string
	// Authorize, when set, judges each read before it is answered, as IAM
	// does: action is the IAM action (cloudformation:DescribeStackResource),
	// stackARN the stack's ARN (arn:…:stack/NAME/* for a name that names no
	// stack, * for DescribeStacks of every stack), accessKeyID the
	// signature's. An error is answered 403 AccessDenied with its text.
	Authorize func(action, stackARN, accessKeyID string) error
}

// Call is one request the server received.
type Call struct {
	Action, StackName, LogicalResourceID, AccessKeyID string
	// Status is the HTTP status answered (0: no answer, a hang).
	Status int
	// Code is the error code answered, "" for an answer.
	Code string
}

// Server is a running double.
type Server struct {
	// URL is the base URL: a client's endpoint.
	URL string

	opts  Options
	srv   *httptest.Server
	done  chan struct{}
	close sync.Once
	ids   atomic.Int64

	mu     sync.Mutex
	calls  []Call
	faults map[string][]Fault
}

// Start starts a server on 127.0.0.1 (a free port).
func Start(o Options) *Server {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if o.Stacks == nil {
		o.Stacks = cfnsim.NewStacks()
	}
	s := &Server{opts: o, done: make(chan struct{}), faults: map[string][]Fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close releases any request that hangs, and stops the server.
func (s *Server) Close() {
	s.close.Do(func() { close(s.done) })
	s.srv.Close()
}

// Stacks is what the server answers from.
func (s *Server) Stacks() *cfnsim.Stacks { return s.opts.Stacks }

// Calls is every request received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Reads is the number of DescribeStackResource and DescribeStacks requests
// received so far, whatever their answer.
func (s *Server) Reads() int {
	n := 0
	for _, c := range s.Calls() {
		if c.Action == DescribeStackResource || c.Action == DescribeStacks {
			n++
		}
	}
	return n
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w := &reply{ResponseWriter: rw, id: s.requestID()}
	form, err := iamwire.ReadForm(r)
	if err != nil {
		w.fail(http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	call := Call{Action: form.Get("Action"), StackName: form.Get("StackName"),
		LogicalResourceID: form.Get("LogicalResourceId"), AccessKeyID: iamwire.AccessKeyID(r.Header)}
	status, code := s.answer(w, r, form)
	call.Status, call.Code = status, code
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

// answer answers one request and returns the HTTP status and error code it
// answered with (0 when it hung).
func (s *Server) answer(w *reply, r *http.Request, form url.Values) (int, string) {
	if status, code, msg := s.authenticate(r.Header.Get("Authorization")); code != "" {
		return w.fail(status, code, msg)
	}
	action := form.Get("Action")
	switch {
	case action == "":
		return w.fail(http.StatusBadRequest, "MissingAction", "Missing Action")
	case action != DescribeStackResource && action != DescribeStacks || form.Get("Version") != Version:
		return w.fail(http.StatusBadRequest, "InvalidAction",
			fmt.Sprintf("Could not find operation %s for version %s", action, form.Get("Version")))
	}
	arn := s.stackARN(form.Get("StackName"))
	if f, ok := s.nextFault(action); ok {
		return s.inject(w, r, f, action, arn)
	}
	if s.opts.Authorize != nil {
		if err := s.opts.Authorize("cloudformation:"+action, arn, iamwire.AccessKeyID(r.Header)); err != nil {
			return w.fail(http.StatusForbidden, "AccessDenied", err.Error())
		}
	}
	if action == DescribeStackResource {
		return s.describeStackResource(w, form.Get("StackName"), form.Get("LogicalResourceId"))
	}
	return s.describeStacks(w, form.Get("StackName"))
}

// authenticate refuses a request that is not SigV4-signed with a credential
// scoped to CloudFormation in the server's Region
// (Credential=KEY/DATE/REGION/cloudformation/aws4_request). The signature
// itself is not checked. The codes are the common errors' (CloudFormation API
// Reference, "Common Errors",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html);
// a credential of another scope is answered as AWS answers it,
// SignatureDoesNotMatch "Credential should be scoped to correct service".
func (s *Server) authenticate(auth string) (int, string, string) {
	if auth == "" {
		return http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"
	}
	const algorithm = "AWS4-HMAC-SHA256 "
	_, cred, found := strings.Cut(auth, "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	scope := strings.Split(strings.TrimSpace(cred), "/")
	if !strings.HasPrefix(auth, algorithm) || !found || len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" ||
		!strings.Contains(auth, "Signature=") || !strings.Contains(auth, "SignedHeaders=") {
		return http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to AWS standards."
	}
	if scope[3] != "cloudformation" {
		return http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'cloudformation'. "
	}
	if scope[2] != s.opts.Region {
		return http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", scope[2])
	}
	return 0, "", ""
}

// stackARN is the ARN IAM authorizes a read of the stack ref names on.
func (s *Server) stackARN(ref string) string {
	switch {
	case ref == "":
		return "*"
	case strings.HasPrefix(ref, "arn:"):
		return ref
	}
	if st, ok := s.opts.Stacks.Stack(ref); ok {
		return st.StackID
	}
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/*", s.opts.Region, s.opts.AccountID, ref)
}

func (s *Server) requestID() string {
	return fmt.Sprintf("cfnapi-%08d-0000-4000-8000-000000000000", s.ids.Add(1))
}
