package resource

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// The answer carries the role's attributes as Data under the names
// Fn::GetAtt reads, and none when the request names no role; the tests and
// the bench answer as the function does, through this package.
func TestAnswer(t *testing.T) {
	role := roles.Result{PhysicalResourceID: "r", Arn: "arn:aws:iam::123456789012:role/r", RoleName: "r", RoleID: "AROAEXAMPLE",
		Outcome: roles.Updated, Changes: []string{"tags"}}
	cases := []struct {
		name string
		res  roles.Result
		want cfnresource.Result
	}{
		{"a role", role, cfnresource.Result{PhysicalResourceID: "r", Outcome: "updated", Changes: []string{"tags"},
			Data: map[string]any{"Arn": "arn:aws:iam::123456789012:role/r", "RoleName": "r", "RoleId": "AROAEXAMPLE"}}},
		{"a Delete", roles.Result{PhysicalResourceID: "r", Outcome: roles.Deleted}, cfnresource.Result{PhysicalResourceID: "r", Outcome: "deleted"}},
		{"a failure that named nothing", roles.Result{Changes: []string{"trust"}}, cfnresource.Result{Changes: []string{"trust"}}},
		{"a note", roles.Result{PhysicalResourceID: "qbrole:adopted:r", Outcome: roles.Adopted, Note: "Description not applied"},
			cfnresource.Result{PhysicalResourceID: "qbrole:adopted:r", Outcome: "adopted", Note: "Description not applied"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Answer(c.res); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Answer = %+v, want %+v", got, c.want)
			}
		})
	}
}

// The Runner answers a Create that failed before anything existed with
// roles' marker, which a Delete reads as naming nothing.
func TestRunnerNamesAFailedCreateAsRolesReadsIt(t *testing.T) {
	r := NewRunner(nil, nil, nil)
	if r.FailedCreateID == nil {
		t.Fatal("no FailedCreateID")
	}
	if id := roles.ParsePhysicalID(r.FailedCreateID("req-1")); id.Kind != roles.IDFailedCreate {
		t.Errorf("%q reads as %+v, want a failed Create", r.FailedCreateID("req-1"), id)
	}
}

// stacks is CloudFormation showing one resource of one stack.
type stacks struct {
	res   cfnverify.StackResource
	stack string
	reads int
}

func (s *stacks) DescribeStackResource(context.Context, string, string) (cfnverify.StackResource, error) {
	s.reads++
	return s.res, nil
}

func (s *stacks) DescribeStack(_ context.Context, id string) (cfnverify.Stack, error) {
	s.reads++
	return cfnverify.Stack{StackID: id, StackStatus: s.stack}, nil
}

// TestChecked: behind the check, a Delete that names no role is not read;
// a cleanup's Delete naming the service-linked role leaves it (the handler
// never sees it); the stack's own Delete of it reaches the handler.
func TestChecked(t *testing.T) {
	const (
		fn    = "arn:aws:lambda:us-east-1:123456789012:function:qbrole"
		stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1"
		slr   = "AWSServiceRoleForQBusiness"
	)
	cases := []struct {
		name             string
		physical, status string
		current          string
		handled          bool
		reads            int
	}{
		{"Delete of a failed Create: not read", roles.FailedCreateID("r"), "UPDATE_COMPLETE", "x", true, 0},
		{"cleanup Delete naming the service-linked role: left", slr, "UPDATE_COMPLETE", "app-role", false, 2},
		{"cleanup Delete naming it in another letter case: left", strings.ToLower(slr), "UPDATE_COMPLETE", "app-role", false, 2},
		{"cleanup Delete of an application role: handled", "old-role", "UPDATE_COMPLETE", "app-role", true, 2},
		{"the stack's Delete of the service-linked role: handled", slr, "DELETE_IN_PROGRESS", slr, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &stacks{res: cfnverify.StackResource{StackID: stack, LogicalResourceID: "Role", PhysicalResourceID: c.current,
				ResourceType: schema.ResourceType, ResourceStatus: c.status}, stack: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}
			handled := false
			h := Checked(&cfnverify.Verifier{Stacks: s, FunctionARN: fn}, cfnresource.HandlerFunc(func(context.Context, cfn.Event) (cfnresource.Result, error) {
				handled = true
				return cfnresource.Result{}, nil
			}))
			ev := cfn.Event{RequestType: cfn.RequestDelete, RequestID: "r", StackID: stack, LogicalResourceID: "Role", ResourceType: schema.ResourceType,
				PhysicalResourceID: c.physical, ResourceProperties: map[string]any{"ServiceToken": fn}}
			res, err := h.Handle(context.Background(), ev)
			if err != nil || handled != c.handled || s.reads != c.reads {
				t.Fatalf("err %v, handled %v, reads %d; want handled %v, %d reads", err, handled, s.reads, c.handled, c.reads)
			}
			if !c.handled && (res.PhysicalResourceID != c.physical || res.Outcome != cfnresource.Outcome(roles.Skipped)) {
				t.Errorf("answer %+v", res)
			}
		})
	}
}
