package cfnapi

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

// namespace is the XML namespace of CloudFormation's answers.
const namespace = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// timeFormat is how CloudFormation writes a timestamp (ISO 8601, UTC).
const timeFormat = "2006-01-02T15:04:05.000Z"

type metadata struct {
	RequestID string `xml:"RequestId"`
}

type resourceDetail struct {
	StackID              string `xml:"StackId"`
	StackName            string `xml:"StackName"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
	ResourceType         string `xml:"ResourceType"`
	LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
}

type describeStackResourceResponse struct {
	XMLName  xml.Name       `xml:"DescribeStackResourceResponse"`
	NS       string         `xml:"xmlns,attr"`
	Detail   resourceDetail `xml:"DescribeStackResourceResult>StackResourceDetail"`
	Metadata metadata       `xml:"ResponseMetadata"`
}

type stackMember struct {
	StackID      string `xml:"StackId"`
	StackName    string `xml:"StackName"`
	StackStatus  string `xml:"StackStatus"`
	CreationTime string `xml:"CreationTime"`
}

type describeStacksResponse struct {
	XMLName  xml.Name      `xml:"DescribeStacksResponse"`
	NS       string        `xml:"xmlns,attr"`
	Stacks   []stackMember `xml:"DescribeStacksResult>Stacks>member"`
	Metadata metadata      `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	NS        string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// find is the stack ref names, if it is of the server's account and Region:
// CloudFormation here holds no other.
func (s *Server) find(ref string) (cfnsim.Stack, bool) {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) < 6 || parts[3] != s.opts.Region || parts[4] != s.opts.AccountID {
			return cfnsim.Stack{}, false
		}
	}
	return s.opts.Stacks.Stack(ref)
}

func (s *Server) describeStackResource(w *reply, ref, logicalID string) (int, string) {
	switch {
	case ref == "":
		return w.fail(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	case logicalID == "":
		return w.fail(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at 'logicalResourceId' failed to satisfy constraint: Member must not be null")
	}
	st, ok := s.find(ref)
	if !ok {
		return w.fail(http.StatusBadRequest, "ValidationError", fmt.Sprintf("Stack with id %s does not exist", ref))
	}
	r, ok := s.opts.Stacks.Resource(st.StackID, logicalID)
	if !ok {
		return w.fail(http.StatusBadRequest, "ValidationError", fmt.Sprintf("Resource %s does not exist for stack %s", logicalID, st.StackName))
	}
	return w.write(http.StatusOK, describeStackResourceResponse{NS: namespace, Detail: resourceDetail{
		StackID: r.StackID, StackName: r.StackName, LogicalResourceID: r.LogicalResourceID, PhysicalResourceID: r.PhysicalResourceID,
		ResourceType: r.ResourceType, LastUpdatedTimestamp: r.LastUpdatedTimestamp.UTC().Format(timeFormat), ResourceStatus: r.ResourceStatus,
	}, Metadata: metadata{w.id}})
}

// describeStacks answers for the stack ref names, or, without one, for every
// stack that is not deleted.
func (s *Server) describeStacks(w *reply, ref string) (int, string) {
	var stacks []cfnsim.Stack
	if ref == "" {
		stacks = s.opts.Stacks.Live()
	} else {
		st, ok := s.find(ref)
		if !ok {
			return w.fail(http.StatusBadRequest, "ValidationError", fmt.Sprintf("Stack with id %s does not exist", ref))
		}
		stacks = append(stacks, st)
	}
	out := describeStacksResponse{NS: namespace, Metadata: metadata{w.id}}
	for _, st := range stacks {
		out.Stacks = append(out.Stacks, stackMember{StackID: st.StackID, StackName: st.StackName, StackStatus: st.StackStatus,
			CreationTime: st.CreationTime.UTC().Format(timeFormat)})
	}
	return w.write(http.StatusOK, out)
}

// reply is the answer to one request, under its request id.
type reply struct {
	http.ResponseWriter
	id string
}

// fail answers CloudFormation's error: Type Receiver for a fault of the
// service (5xx), Sender for any other.
func (w *reply) fail(status int, code, msg string) (int, string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	w.write(status, errorResponse{NS: namespace, Type: typ, Code: code, Message: msg, RequestID: w.id})
	return status, code
}

func (w *reply) write(status int, body any) (int, string) {
	raw, err := xml.Marshal(body)
	if err != nil {
		status, raw = http.StatusInternalServerError, []byte(err.Error())
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", w.id)
	w.WriteHeader(status)
	_, _ = w.Write(raw)
	return status, ""
}
