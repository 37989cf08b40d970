package cfnverify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/wait"
)

const (
	fnARN   = "arn:aws:lambda:us-east-1:123456789012:function:qbrole-provider"
	stackID = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/0f0e0d0c-0b0a-4909-8807-060504030201"
)

// stacksFunc is a Stacks made of functions; it counts the reads.
type stacksFunc struct {
	resource func() (StackResource, error)
	stack    func() (Stack, error)
	reads    []string
}

func (s *stacksFunc) DescribeStackResource(_ context.Context, id, logical string) (StackResource, error) {
	s.reads = append(s.reads, "DescribeStackResource "+id+" "+logical)
	return s.resource()
}

func (s *stacksFunc) DescribeStack(_ context.Context, id string) (Stack, error) {
	s.reads = append(s.reads, "DescribeStacks "+id)
	if s.stack == nil {
		return Stack{}, errors.New("DescribeStacks was not expected")
	}
	return s.stack()
}

func resourceIs(status, physical string) func() (StackResource, error) {
	return func() (StackResource, error) {
		return StackResource{StackID: stackID, LogicalResourceID: "Role", PhysicalResourceID: physical,
			ResourceType: "Custom::QBusinessRole", ResourceStatus: status}, nil
	}
}

func stackIs(status string) func() (Stack, error) {
	return func() (Stack, error) { return Stack{StackID: stackID, StackStatus: status}, nil }
}

func event(rt cfn.RequestType, physical string) cfn.Event {
	return cfn.Event{RequestType: rt, RequestID: "r1", StackID: stackID, LogicalResourceID: "Role", PhysicalResourceID: physical,
		ResourceType: "Custom::QBusinessRole", ResourceProperties: map[string]any{"ServiceToken": fnARN}}
}

func TestVerify(t *testing.T) {
	settleDelay = wait.Backoff{Delay: time.Millisecond, Max: time.Millisecond}
	validation := &APIError{StatusCode: 400, Code: "ValidationError", Message: "Stack with id x does not exist"}
	cases := []struct {
		name     string
		ev       cfn.Event
		resource func() (StackResource, error)
		stack    func() (Stack, error)
		refused  bool   // the error wraps ErrRefused
		failed   bool   // an error that is not a refusal: CloudFormation could not be read
		reads    int    // exact reads; -1: more than one (re-read while settling)
		reason   string // in the error
	}{
		{name: "Create while the resource is created", ev: event(cfn.RequestCreate, ""), resource: resourceIs("CREATE_IN_PROGRESS", ""), reads: 1},
		{name: "Update while it is updated", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("UPDATE_IN_PROGRESS", "r-1"), reads: 1},
		{name: "Create while the resource is updated (custom resources are replaced by an Update)", ev: event(cfn.RequestCreate, ""), resource: resourceIs("UPDATE_IN_PROGRESS", "r-1"), refused: true, reads: -1, reason: "only while it is CREATE_IN_PROGRESS"},
		{name: "Create while the resource is deleted", ev: event(cfn.RequestCreate, ""), resource: resourceIs("DELETE_IN_PROGRESS", "r-1"), refused: true, reads: -1},
		{name: "Update while the resource is deleted", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("DELETE_IN_PROGRESS", "r-1"), refused: true, reads: -1, reason: "only while it is UPDATE_IN_PROGRESS"},
		{name: "Update while the resource is created", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("CREATE_IN_PROGRESS", ""), refused: true, reads: -1},
		{name: "Delete while it is deleted", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("DELETE_IN_PROGRESS", "r-1"), reads: 1},
		{name: "cleanup Delete of a replaced resource", ev: event(cfn.RequestDelete, "r-old"), resource: resourceIs("UPDATE_COMPLETE", "r-new"), stack: stackIs("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), reads: 2},
		{name: "cleanup Delete after a rolled back update", ev: event(cfn.RequestDelete, "r-new"), resource: resourceIs("UPDATE_COMPLETE", "r-old"), stack: stackIs("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"), reads: 2},
		{name: "rollback Delete after a failed Create", ev: event(cfn.RequestDelete, "qbrole:create-failed:r1"), resource: resourceIs("CREATE_FAILED", "qbrole:create-failed:r1"), stack: stackIs("ROLLBACK_IN_PROGRESS"), reads: 2},
		{name: "Delete in an update's rollback", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("UPDATE_FAILED", "r-1"), stack: stackIs("UPDATE_ROLLBACK_IN_PROGRESS"), reads: 2},
		{name: "Delete of a failed deletion, retried, not marked yet", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("DELETE_FAILED", "r-1"), stack: stackIs("DELETE_IN_PROGRESS"), reads: 2},
		{name: "Delete of the current id while the stack is deleted and the resource at rest", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("UPDATE_COMPLETE", "r-1"), stack: stackIs("DELETE_IN_PROGRESS"), refused: true, reads: -1, reason: "only while it is DELETE_IN_PROGRESS"},
		{name: "Delete of the current id during another resource's cleanup", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("UPDATE_COMPLETE", "r-1"), stack: stackIs("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), refused: true, reads: -1, reason: "(under r-1) is UPDATE_COMPLETE"},
		{name: "Delete of the current id in another letter case during a cleanup", ev: event(cfn.RequestDelete, "APP-ROLE"), resource: resourceIs("UPDATE_COMPLETE", "app-role"), stack: stackIs("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), refused: true, reads: -1, reason: "(under app-role) is UPDATE_COMPLETE"},
		{name: "Delete of a retained resource in the stack's deletion", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("DELETE_SKIPPED", "r-1"), stack: stackIs("DELETE_IN_PROGRESS"), refused: true, reads: -1},

		{name: "Create of a resource at rest", ev: event(cfn.RequestCreate, ""), resource: resourceIs("CREATE_COMPLETE", "r-1"), refused: true, reads: -1, reason: "is CREATE_COMPLETE"},
		{name: "Update of a resource at rest", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("UPDATE_COMPLETE", "r-1"), refused: true, reads: -1, reason: "Update of r-1: resource Role of stack " + stackID + " (under r-1) is UPDATE_COMPLETE"},
		{name: "Update of a failed resource, the stack at rest", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("UPDATE_FAILED", "r-1"), stack: stackIs("UPDATE_FAILED"), refused: true, reads: -1, reason: "only while the stack is"},
		{name: "Update of a failed resource in the next update of a stack that kept its resources", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("UPDATE_FAILED", "r-1"), stack: stackIs("UPDATE_IN_PROGRESS"), reads: 2},
		{name: "Create of a failed resource in the next update", ev: event(cfn.RequestCreate, ""), resource: resourceIs("CREATE_FAILED", ""), stack: stackIs("UPDATE_IN_PROGRESS"), reads: 2},
		{name: "Delete of a failed resource in the next update of a stack that kept its resources", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("CREATE_FAILED", "r-1"), stack: stackIs("UPDATE_IN_PROGRESS"), reads: 2},
		{name: "Update while the resource shows UPDATE_ROLLBACK_IN_PROGRESS", ev: event(cfn.RequestUpdate, "r-1"), resource: resourceIs("UPDATE_ROLLBACK_IN_PROGRESS", "r-1"), reads: 1},
		{name: "Delete of the current id while the resource shows ROLLBACK_IN_PROGRESS", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("ROLLBACK_IN_PROGRESS", "r-1"), stack: stackIs("ROLLBACK_IN_PROGRESS"), reads: 2},
		{name: "Delete of an old id while the stack is updated", ev: event(cfn.RequestDelete, "r-old"), resource: resourceIs("UPDATE_IN_PROGRESS", "r-new"), stack: stackIs("UPDATE_IN_PROGRESS"), refused: true, reads: -1},
		{name: "Delete of a stack at rest", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("UPDATE_COMPLETE", "r-1"), stack: stackIs("UPDATE_COMPLETE"), refused: true, reads: -1, reason: "(under r-1) is UPDATE_COMPLETE"},
		{name: "Delete while the stack is updated", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("UPDATE_COMPLETE", "r-1"), stack: stackIs("UPDATE_IN_PROGRESS"), refused: true, reads: -1},
		{name: "Delete in a deleted stack", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("DELETE_COMPLETE", "r-1"), stack: stackIs("DELETE_COMPLETE"), refused: true, reads: -1},
		{name: "Delete of a stack being created", ev: event(cfn.RequestDelete, "r-1"), resource: resourceIs("CREATE_COMPLETE", "r-1"), stack: stackIs("CREATE_IN_PROGRESS"), refused: true, reads: -1},
		{name: "no such stack: final", ev: event(cfn.RequestDelete, "r-1"), resource: func() (StackResource, error) { return StackResource{}, validation }, refused: true, reads: 1, reason: "has no resource Role"},
		{name: "no such resource: re-read", ev: event(cfn.RequestDelete, "r-1"), resource: func() (StackResource, error) {
			return StackResource{}, &APIError{StatusCode: 400, Code: "ValidationError", Message: "Resource Role does not exist for stack app"}
		}, refused: true, reads: -1, reason: "Resource Role does not exist"},
		{name: "another provider's custom resource", ev: event(cfn.RequestCreate, ""), resource: func() (StackResource, error) {
			return StackResource{StackID: stackID, ResourceType: "Custom::S3AutoDeleteObjects", ResourceStatus: "CREATE_IN_PROGRESS"}, nil
		}, refused: true, reads: 1, reason: "is a Custom::S3AutoDeleteObjects, the request names a Custom::QBusinessRole"},
		{name: "not a custom resource", ev: event(cfn.RequestDelete, "r-1"), resource: func() (StackResource, error) {
			return StackResource{StackID: stackID, ResourceType: "AWS::IAM::Role", ResourceStatus: "DELETE_IN_PROGRESS"}, nil
		}, refused: true, reads: 1, reason: "is a AWS::IAM::Role, not a custom resource"},
		{name: "CloudFormation describes another stack", ev: event(cfn.RequestCreate, ""), resource: func() (StackResource, error) {
			return StackResource{StackID: stackID + "x", ResourceType: "Custom::X", ResourceStatus: "CREATE_IN_PROGRESS"}, nil
		}, refused: true, reads: 1},
		{name: "AWS::CloudFormation::CustomResource is a custom resource", ev: func() cfn.Event {
			ev := event(cfn.RequestCreate, "")
			ev.ResourceType = "AWS::CloudFormation::CustomResource"
			return ev
		}(), resource: func() (StackResource, error) {
			return StackResource{StackID: stackID, ResourceType: "AWS::CloudFormation::CustomResource", ResourceStatus: "CREATE_IN_PROGRESS"}, nil
		}, reads: 1},

		{name: "throttled read", ev: event(cfn.RequestCreate, ""), resource: func() (StackResource, error) {
			return StackResource{}, &APIError{StatusCode: 400, Code: "Throttling", Message: "Rate exceeded"}
		}, failed: true, reads: 1, reason: "checking the request against CloudFormation (DescribeStackResource " + stackID + ", Role): CloudFormation: Throttling"},
		{name: "read denied: re-read (IAM may not show the policy yet)", ev: event(cfn.RequestDelete, "r-1"), resource: func() (StackResource, error) {
			return StackResource{}, &APIError{StatusCode: 403, Code: "AccessDenied"}
		}, failed: true, reads: -1, reason: "nothing was done"},
		{name: "stack read fails", ev: event(cfn.RequestDelete, "r-old"), resource: resourceIs("UPDATE_COMPLETE", "r-new"), stack: func() (Stack, error) {
			return Stack{}, &APIError{StatusCode: 500, Code: "InternalFailure"}
		}, failed: true, reads: 2, reason: "DescribeStacks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &stacksFunc{resource: c.resource, stack: c.stack}
			v := &Verifier{Stacks: s, FunctionARN: fnARN, Settle: 30 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := v.check(ctx, c.ev)
			switch {
			case c.refused && !errors.Is(err, ErrRefused):
				t.Fatalf("error %v, want a refusal", err)
			case c.failed && (err == nil || errors.Is(err, ErrRefused)):
				t.Fatalf("error %v, want a failed read that is not a refusal", err)
			case !c.refused && !c.failed && err != nil:
				t.Fatalf("refused a request CloudFormation sends: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q, want it to say %q", err, c.reason)
			}
			if c.reads >= 0 && len(s.reads) != c.reads || c.reads < 0 && len(s.reads) < 2 {
				t.Errorf("reads %q, want %d", s.reads, c.reads)
			}
		})
	}
}

func TestSkipIsNotRead(t *testing.T) {
	s := &stacksFunc{resource: resourceIs("UPDATE_COMPLETE", "r-1")}
	v := &Verifier{Stacks: s, FunctionARN: fnARN, Settle: time.Millisecond, Skip: func(ev cfn.Event) bool { return ev.PhysicalResourceID == "nothing" }}
	if err := v.check(context.Background(), event(cfn.RequestDelete, "nothing")); err != nil || len(s.reads) != 0 {
		t.Fatalf("a request Skip names: %v, reads %q", err, s.reads)
	}
	// Whatever the ServiceToken or stack: the request does nothing, and a
	// rollback's Delete must not fail.
	ev := event(cfn.RequestDelete, "nothing")
	ev.ResourceProperties["ServiceToken"], ev.StackID = fnARN+"-other", "elsewhere"
	if err := v.check(context.Background(), ev); err != nil || len(s.reads) != 0 {
		t.Fatalf("a request Skip names, another ServiceToken and stack: %v, reads %q", err, s.reads)
	}
	if err := v.check(context.Background(), event(cfn.RequestDelete, "r-1")); !errors.Is(err, ErrRefused) {
		t.Fatalf("a request Skip does not name: %v", err)
	}
}

// check is Check without the Verdict.
func (v *Verifier) check(ctx context.Context, ev cfn.Event) error {
	_, err := v.Check(ctx, ev)
	return err
}
