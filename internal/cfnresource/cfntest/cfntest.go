// Package cfntest stands in for CloudFormation's side of a custom resource in
// tests: a loopback HTTP server where responses are PUT, as S3's pre-signed
// ResponseURL would take them.
package cfntest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/aws/aws-lambda-go/cfn"
)

// Put is one request the server received.
type Put struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Response is Body decoded; zero when Body is not a response.
	Response cfn.Response
}

// ResponseServer records every request and answers each with the next status
// of a script (then 200).
type ResponseServer struct {
	*httptest.Server

	mu     sync.Mutex
	puts   []Put
	status []int
}

// NewResponseServer starts a server; status scripts its first answers.
func NewResponseServer(status ...int) *ResponseServer {
	s := &ResponseServer{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *ResponseServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := Put{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	_ = json.Unmarshal(body, &p.Response)
	s.mu.Lock()
	code := http.StatusOK
	if len(s.status) > 0 {
		code, s.status = s.status[0], s.status[1:]
	}
	s.puts = append(s.puts, p)
	s.mu.Unlock()
	w.WriteHeader(code)
}

// ResponseURL returns a ResponseURL on this server for a request, with a fake
// signature in the query as S3's pre-signed URLs have.
func (s *ResponseServer) ResponseURL(requestID string) string {
	return s.Server.URL + "/responses/" + requestID + "?X-Amz-Signature=SECRET-SIGNATURE"
}

// Puts returns what was received so far.
func (s *ResponseServer) Puts() []Put {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Put(nil), s.puts...)
}

// ForRequest returns the responses PUT for one request id.
func (s *ResponseServer) ForRequest(requestID string) []cfn.Response {
	var out []cfn.Response
	for _, p := range s.Puts() {
		if p.Path == "/responses/"+requestID {
			out = append(out, p.Response)
		}
	}
	return out
}
