package cfnapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

const (
	stackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/0f0e0d0c-0b0a-4909-8807-060504030201"
	key     = "ASIATESTKEY"
)

// request is one call to the double, signed with SigV4 for service in region
// by the SDK's signer (unsigned when service is "").
type request struct {
	service, region string
	form            url.Values
}

func read(action, stack, logical string) request {
	form := url.Values{"Action": {action}, "Version": {cfnapi.Version}}
	if stack != "" {
		form.Set("StackName", stack)
	}
	if logical != "" {
		form.Set("LogicalResourceId", logical)
	}
	return request{service: "cloudformation", region: "us-east-1", form: form}
}

func (r request) do(ctx context.Context, t *testing.T, s *cfnapi.Server) (int, string, error) {
	t.Helper()
	body := r.form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if r.service != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: "secret", SessionToken: "token"}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), r.service, r.region, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), err
}

// call is do without a deadline, failing the test on a transport error.
func (r request) call(t *testing.T, s *cfnapi.Server) (int, string) {
	t.Helper()
	status, body, err := r.do(context.Background(), t, s)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// errorOf reads CloudFormation's error answer.
func errorOf(t *testing.T, body string) (typ, code, msg string) {
	t.Helper()
	var e struct {
		XMLName   xml.Name `xml:"http://cloudformation.amazonaws.com/doc/2010-05-15/ ErrorResponse"`
		Type      string   `xml:"Error>Type"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil || e.RequestID == "" {
		t.Fatalf("not CloudFormation's error answer (%v): %s", err, body)
	}
	return e.Type, e.Code, e.Message
}

type detail struct {
	StackID              string `xml:"StackId"`
	StackName            string `xml:"StackName"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId"`
	ResourceType         string `xml:"ResourceType"`
	LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
}

func resourceOf(t *testing.T, body string) detail {
	t.Helper()
	var r struct {
		XMLName   xml.Name `xml:"http://cloudformation.amazonaws.com/doc/2010-05-15/ DescribeStackResourceResponse"`
		Detail    detail   `xml:"DescribeStackResourceResult>StackResourceDetail"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil || r.RequestID == "" {
		t.Fatalf("not a DescribeStackResource answer (%v): %s", err, body)
	}
	return r.Detail
}

type member struct {
	StackID                              string `xml:"StackId"`
	StackName, StackStatus, CreationTime string
}

func stacksOf(t *testing.T, body string) []member {
	t.Helper()
	var r struct {
		XMLName   xml.Name `xml:"http://cloudformation.amazonaws.com/doc/2010-05-15/ DescribeStacksResponse"`
		Members   []member `xml:"DescribeStacksResult>Stacks>member"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil || r.RequestID == "" {
		t.Fatalf("not a DescribeStacks answer (%v): %s", err, body)
	}
	return r.Members
}

// newServer is a double whose account has the stack app with its custom
// resource Role being created, and a bucket.
func newServer(t *testing.T, o cfnapi.Options) *cfnapi.Server {
	t.Helper()
	if o.Stacks == nil {
		o.Stacks = cfnsim.NewStacks()
	}
	o.Stacks.Sent(stackID, "Role", "Custom::QBusinessRole", cfn.RequestCreate, "")
	o.Stacks.PutResource(cfnsim.Resource{StackID: stackID, LogicalResourceID: "Bucket", ResourceType: "AWS::S3::Bucket",
		ResourceStatus: cfnsim.CreateComplete, PhysicalResourceID: "app-bucket-1a2b"})
	s := cfnapi.Start(o)
	t.Cleanup(s.Close)
	return s
}

func TestDescribeStackResourceAnswersFromTheModel(t *testing.T) {
	s := newServer(t, cfnapi.Options{})
	status, body := read(cfnapi.DescribeStackResource, stackID, "Role").call(t, s)
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	got := resourceOf(t, body)
	if got.StackID != stackID || got.StackName != "app" || got.LogicalResourceID != "Role" || got.ResourceType != "Custom::QBusinessRole" ||
		got.ResourceStatus != cfnsim.CreateInProgress || got.PhysicalResourceID != "" {
		t.Errorf("%+v", got)
	}
	if _, err := time.Parse(time.RFC3339, got.LastUpdatedTimestamp); err != nil {
		t.Errorf("LastUpdatedTimestamp %q: %v", got.LastUpdatedTimestamp, err)
	}
	if strings.Contains(body, "<PhysicalResourceId>") {
		t.Errorf("a resource without a physical id yet answered one: %s", body)
	}
	s.Stacks().Answered(stackID, "Role", cfn.RequestCreate, "", true, "app-role")
	// The stack's name names it too, while it is not deleted.
	_, body = read(cfnapi.DescribeStackResource, "app", "Role").call(t, s)
	if got := resourceOf(t, body); got.PhysicalResourceID != "app-role" || got.ResourceStatus != cfnsim.CreateComplete {
		t.Errorf("after the answer: %+v", got)
	}
}

func TestDescribeStacksAnswersFromTheModel(t *testing.T) {
	s := newServer(t, cfnapi.Options{})
	other := strings.Replace(stackID, "stack/app/0f", "stack/other/1f", 1)
	s.Stacks().Put(other, cfnsim.UpdateCompleteCleanupInProgress)
	_, body := read(cfnapi.DescribeStacks, stackID, "").call(t, s)
	got := stacksOf(t, body)
	if len(got) != 1 || got[0].StackID != stackID || got[0].StackName != "app" || got[0].StackStatus != cfnsim.CreateInProgress {
		t.Errorf("%+v", got)
	}
	if _, err := time.Parse(time.RFC3339, got[0].CreationTime); err != nil {
		t.Errorf("CreationTime: %v", err)
	}
	s.Stacks().Put(stackID, cfnsim.DeleteComplete)
	_, body = read(cfnapi.DescribeStacks, "", "").call(t, s)
	if got := stacksOf(t, body); len(got) != 1 || got[0].StackID != other {
		t.Errorf("every stack not deleted: %+v", got)
	}
}

// A deleted stack is found by its id, not by its name, and its resources
// stay.
func TestDeletedStackIsFoundByItsID(t *testing.T) {
	s := newServer(t, cfnapi.Options{})
	s.Stacks().Put(stackID, cfnsim.DeleteComplete)
	if _, body := read(cfnapi.DescribeStacks, stackID, "").call(t, s); stacksOf(t, body)[0].StackStatus != cfnsim.DeleteComplete {
		t.Errorf("by id: %s", body)
	}
	if _, body := read(cfnapi.DescribeStackResource, stackID, "Bucket").call(t, s); resourceOf(t, body).PhysicalResourceID != "app-bucket-1a2b" {
		t.Errorf("a deleted stack's resource: %s", body)
	}
	status, body := read(cfnapi.DescribeStacks, "app", "").call(t, s)
	if _, code, msg := errorOf(t, body); status != 400 || code != "ValidationError" || msg != "Stack with id app does not exist" {
		t.Errorf("by name: %d %s %s", status, code, msg)
	}
}

// CloudFormation's errors, and the refusals of requests that are not signed
// for CloudFormation in the Region.
func TestErrors(t *testing.T) {
	s := newServer(t, cfnapi.Options{})
	otherRegion := strings.Replace(stackID, "us-east-1", "us-west-2", 1)
	otherAccount := strings.Replace(stackID, "123456789012", "210987654321", 1)
	// The model holds them; the double, as CloudFormation in its account and
	// Region, does not.
	s.Stacks().Put(otherRegion, cfnsim.CreateInProgress)
	s.Stacks().Put(otherAccount, cfnsim.CreateInProgress)
	unsigned := read(cfnapi.DescribeStackResource, stackID, "Role")
	unsigned.service = ""
	iam, west := read(cfnapi.DescribeStackResource, stackID, "Role"), read(cfnapi.DescribeStackResource, stackID, "Role")
	iam.service, west.region = "iam", "us-west-2"
	other := read("DeleteStack", stackID, "")
	version := read(cfnapi.DescribeStacks, stackID, "")
	version.form.Set("Version", "2010-05-16")
	noAction := read("", stackID, "")
	noAction.form.Del("Action")
	cases := []struct {
		name             string
		req              request
		status           int
		code, typ, inMsg string
	}{
		{"unknown stack", read(cfnapi.DescribeStackResource, strings.Replace(stackID, "0f0e", "9f9e", 1), "Role"), 400, "ValidationError", "Sender",
			"Stack with id " + strings.Replace(stackID, "0f0e", "9f9e", 1) + " does not exist"},
		{"unknown stack name", read(cfnapi.DescribeStackResource, "nope", "Role"), 400, "ValidationError", "Sender", "Stack with id nope does not exist"},
		{"stack of another Region", read(cfnapi.DescribeStackResource, otherRegion, "Role"), 400, "ValidationError", "Sender", "Stack with id " + otherRegion + " does not exist"},
		{"stack of another account", read(cfnapi.DescribeStacks, otherAccount, ""), 400, "ValidationError", "Sender", "Stack with id " + otherAccount + " does not exist"},
		{"unknown logical id", read(cfnapi.DescribeStackResource, stackID, "Nope"), 400, "ValidationError", "Sender", "Resource Nope does not exist for stack app"},
		{"no logical id", read(cfnapi.DescribeStackResource, stackID, ""), 400, "ValidationError", "Sender", "'logicalResourceId' failed to satisfy constraint"},
		{"no stack", read(cfnapi.DescribeStackResource, "", "Role"), 400, "ValidationError", "Sender", "'stackName' failed to satisfy constraint"},
		{"another action", other, 400, "InvalidAction", "Sender", "Could not find operation DeleteStack"},
		{"another API version", version, 400, "InvalidAction", "Sender", "for version 2010-05-16"},
		{"no action", noAction, 400, "MissingAction", "Sender", "Missing Action"},
		{"not signed", unsigned, 403, "MissingAuthenticationToken", "Sender", "missing Authentication Token"},
		{"signed for another service", iam, 403, "SignatureDoesNotMatch", "Sender", "scoped to correct service: 'cloudformation'"},
		{"signed for another Region", west, 403, "SignatureDoesNotMatch", "Sender", "scoped to a valid region, not 'us-west-2'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := c.req.call(t, s)
			typ, code, msg := errorOf(t, body)
			if status != c.status || code != c.code || typ != c.typ || !strings.Contains(msg, c.inMsg) {
				t.Errorf("%d %s %s %q, want %d %s %s %q", status, typ, code, msg, c.status, c.typ, c.code, c.inMsg)
			}
		})
	}
	// A signature header that is not SigV4's.
	req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(read(cfnapi.DescribeStacks, stackID, "").form.Encode()))
	req.Header.Set("Authorization", "AWS "+key+":c2lnbmF0dXJl")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, code, _ := errorOf(t, string(raw)); resp.StatusCode != 400 || code != "IncompleteSignature" {
		t.Errorf("a signature that is not SigV4's: %d %s", resp.StatusCode, code)
	}
}

// Each fault is injected for the next n requests of its action, then the
// double answers again.
func TestFaults(t *testing.T) {
	cases := []struct {
		fault  cfnapi.Fault
		status int
		code   string
		typ    string
	}{
		{cfnapi.Throttling, 400, "Throttling", "Sender"},
		{cfnapi.AccessDenied, 403, "AccessDenied", "Sender"},
		{cfnapi.InternalFailure, 500, "InternalFailure", "Receiver"},
	}
	for _, c := range cases {
		t.Run(string(c.fault), func(t *testing.T) {
			s := newServer(t, cfnapi.Options{})
			s.Inject(cfnapi.DescribeStackResource, c.fault, 2)
			if status, _ := read(cfnapi.DescribeStacks, stackID, "").call(t, s); status != 200 {
				t.Errorf("another action: %d", status)
			}
			for i := range 2 {
				status, body := read(cfnapi.DescribeStackResource, stackID, "Role").call(t, s)
				typ, code, msg := errorOf(t, body)
				if status != c.status || code != c.code || typ != c.typ {
					t.Errorf("call %d: %d %s %s %s", i+1, status, typ, code, msg)
				}
				if c.fault == cfnapi.Throttling && msg != "Rate exceeded" {
					t.Errorf("Throttling's message %q", msg)
				}
				if c.fault == cfnapi.AccessDenied && !strings.Contains(msg, "is not authorized to perform: cloudformation:DescribeStackResource on resource: "+stackID) {
					t.Errorf("AccessDenied's message %q", msg)
				}
			}
			if status, body := read(cfnapi.DescribeStackResource, stackID, "Role").call(t, s); status != 200 || s.Pending(cfnapi.DescribeStackResource) != 0 {
				t.Errorf("after the faults: %d %s", status, body)
			}
			if got := s.Reads(); got != 4 {
				t.Errorf("%d reads recorded, want 4", got)
			}
		})
	}
}

// A hang answers nothing until the caller gives up; Close releases a hang.
func TestHang(t *testing.T) {
	s := newServer(t, cfnapi.Options{})
	s.Inject(cfnapi.DescribeStackResource, cfnapi.Hang, 2)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := read(cfnapi.DescribeStackResource, stackID, "Role").do(ctx, t, s)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 200*time.Millisecond {
		t.Errorf("a hang answered %v after %v", err, time.Since(start))
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := read(cfnapi.DescribeStackResource, stackID, "Role").do(context.Background(), t, s)
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Calls()) < 1 || s.Pending(cfnapi.DescribeStackResource) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second request did not arrive")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release a hang")
	}
	if calls := s.Calls(); len(calls) != 2 || calls[0].Status != 0 || calls[0].Action != cfnapi.DescribeStackResource {
		t.Errorf("calls %+v", calls)
	}
}

// Every call is recorded with its action, stack, logical id, access key id
// and answer; the hook judges each read with IAM's action and the stack's
// ARN, and its refusal is AccessDenied.
func TestCallsAndTheAuthorizationHook(t *testing.T) {
	type judged struct{ action, arn, key string }
	var mu sync.Mutex
	var asked []judged
	s := newServer(t, cfnapi.Options{Authorize: func(action, arn, k string) error {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, judged{action, arn, k})
		if action == "cloudformation:DescribeStacks" {
			return errors.New("User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: cloudformation:DescribeStacks")
		}
		return nil
	}})
	if status, body := read(cfnapi.DescribeStackResource, "app", "Role").call(t, s); status != 200 {
		t.Errorf("allowed: %d %s", status, body)
	}
	status, body := read(cfnapi.DescribeStacks, stackID, "").call(t, s)
	if _, code, msg := errorOf(t, body); status != 403 || code != "AccessDenied" || !strings.Contains(msg, "not authorized to perform: cloudformation:DescribeStacks") {
		t.Errorf("refused: %d %s %s", status, code, msg)
	}
	read(cfnapi.DescribeStackResource, "gone", "Role").call(t, s)
	read(cfnapi.DescribeStacks, "", "").call(t, s)
	want := []judged{
		{"cloudformation:DescribeStackResource", stackID, key},
		{"cloudformation:DescribeStacks", stackID, key},
		{"cloudformation:DescribeStackResource", "arn:aws:cloudformation:us-east-1:123456789012:stack/gone/*", key},
		{"cloudformation:DescribeStacks", "*", key},
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(asked, want) {
		t.Errorf("the hook was asked\n %v\nwant\n %v", asked, want)
	}
	calls := s.Calls()
	wantCalls := []cfnapi.Call{
		{Action: cfnapi.DescribeStackResource, StackName: "app", LogicalResourceID: "Role", AccessKeyID: key, Status: 200},
		{Action: cfnapi.DescribeStacks, StackName: stackID, AccessKeyID: key, Status: 403, Code: "AccessDenied"},
		{Action: cfnapi.DescribeStackResource, StackName: "gone", LogicalResourceID: "Role", AccessKeyID: key, Status: 400, Code: "ValidationError"},
		{Action: cfnapi.DescribeStacks, AccessKeyID: key, Status: 403, Code: "AccessDenied"},
	}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("calls\n %+v\nwant\n %+v", calls, wantCalls)
	}
}
