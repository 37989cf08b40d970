package roles

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/qbrole/qbrole/internal/schema"
)

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func newEvent(rt cfn.RequestType, props map[string]any) cfn.Event {
	return cfn.Event{RequestType: rt, RequestID: "req-1", StackID: testStack.ID, LogicalResourceID: "AppRole",
		ResponseURL: "https://example.s3.amazonaws.com/x", ResourceProperties: props}
}

func fastManager(f *fakeIAM) *Manager {
	return &Manager{IAM: f, PropagationTimeout: 2 * time.Second, RetryDelay: time.Millisecond, PollInterval: time.Millisecond}
}

func ownedRole(name string) *types.Role {
	return &types.Role{RoleName: aws.String(name), Path: aws.String(DefaultPath), Arn: aws.String("arn:aws:iam::123456789012:role/service-role/" + name),
		RoleId: aws.String("AROAEXAMPLE"), Tags: iamTags(Owner{StackID: testStack.ID, LogicalResourceID: "AppRole"}.Tags())}
}

// happyCreate fakes the three calls of a Create that goes through.
func happyCreate(f *fakeIAM) {
	f.putRolePolicy = func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
		return &iam.PutRolePolicyOutput{}, nil
	}
	f.getRole = func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		return &iam.GetRoleOutput{Role: ownedRole(*in.RoleName)}, nil
	}
}

func TestCreateRetriesPropagationErrors(t *testing.T) {
	f := &fakeIAM{}
	happyCreate(f)
	errs := []error{
		apiErr("MalformedPolicyDocument", "Invalid principal in policy: \"SERVICE\":\"qbusiness.amazonaws.com\""),
		apiErr("ConcurrentModification", "Rate exceeded for role"),
	}
	f.createRole = func(in *iam.CreateRoleInput) (*iam.CreateRoleOutput, error) {
		if len(errs) > 0 {
			err := errs[0]
			errs = errs[1:]
			return nil, err
		}
		return &iam.CreateRoleOutput{}, nil
	}
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CreateRole", "CreateRole", "CreateRole", "GetRole", "PutRolePolicy"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if res.PhysicalResourceID != "r" || res.Outcome != Created {
		t.Errorf("result = %+v", res)
	}
}

// Right after CreateRole, IAM may not know the role yet for PutRolePolicy.
func TestCreateRetriesPutRolePolicyUntilTheRoleIsKnown(t *testing.T) {
	f := &fakeIAM{}
	happyCreate(f)
	f.createRole = func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) { return &iam.CreateRoleOutput{}, nil }
	unknown := 2
	f.putRolePolicy = func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
		if unknown > 0 {
			unknown--
			return nil, apiErr("NoSuchEntity", "The role with name r cannot be found.")
		}
		return &iam.PutRolePolicyOutput{}, nil
	}
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err != nil || res.Outcome != Created {
		t.Fatalf("result %+v, error %v", res, err)
	}
	if want := []string{"CreateRole", "GetRole", "PutRolePolicy", "PutRolePolicy", "PutRolePolicy"}; !slices.Equal(f.Calls(), want) {
		t.Errorf("calls = %v, want %v", f.Calls(), want)
	}
}

// Right after CreateRole, a write authorized through the new role's tags can
// be denied until they propagate, and GetRole can answer the role's unique id
// as its ARN: both are waited out for the role this request created.
func TestCreateWaitsOutEventualConsistency(t *testing.T) {
	f := &fakeIAM{}
	happyCreate(f)
	f.createRole = func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) { return &iam.CreateRoleOutput{}, nil }
	unknownARN := 1
	f.getRole = func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		r := ownedRole(*in.RoleName)
		if unknownARN > 0 {
			unknownARN--
			r.Arn = aws.String("AROAEXAMPLE")
		}
		return &iam.GetRoleOutput{Role: r}, nil
	}
	denied := 2
	f.putRolePolicy = func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
		if denied > 0 {
			denied--
			return nil, apiErr("AccessDenied", "User is not authorized to perform: iam:PutRolePolicy on resource: role r")
		}
		return &iam.PutRolePolicyOutput{}, nil
	}
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err != nil || res.Outcome != Created {
		t.Fatalf("result %+v, error %v", res, err)
	}
	if arn := res.Attributes()["Arn"].(string); !strings.HasPrefix(arn, "arn:aws:iam::") {
		t.Errorf("Arn %q is not an ARN", arn)
	}
	if want := []string{"CreateRole", "GetRole", "GetRole", "PutRolePolicy", "PutRolePolicy", "PutRolePolicy"}; !slices.Equal(f.Calls(), want) {
		t.Errorf("calls = %v, want %v", f.Calls(), want)
	}
}

// AccessDenied is retried only for the role this request has just created:
// on an existing role it is an answer.
func TestAccessDeniedOnAnExistingRoleIsNotRetried(t *testing.T) {
	spec, err := ParseSpec(map[string]any{"RoleName": "r"}, testStack, "AppRole")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIAM{}
	f.getRole = func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		r := ownedRole(*in.RoleName) // as the spec wants it, but for its inline policy
		r.AssumeRolePolicyDocument = aws.String(spec.TrustPolicy().JSON())
		r.Description, r.MaxSessionDuration = aws.String(spec.Description), aws.Int32(spec.MaxSessionDuration)
		return &iam.GetRoleOutput{Role: r}, nil
	}
	f.listRolePolicies = func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
		return &iam.ListRolePoliciesOutput{}, nil
	}
	f.putRolePolicy = func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
		return nil, apiErr("AccessDenied", "User is not authorized to perform: iam:PutRolePolicy")
	}
	ev := newEvent(cfn.RequestUpdate, map[string]any{"RoleName": "r"})
	ev.PhysicalResourceID = "r"
	ev.OldResourceProperties = map[string]any{"RoleName": "r"}
	_, err = fastManager(f).Handle(context.Background(), ev)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("error = %v", err)
	}
	if n := strings.Count(strings.Join(f.Calls(), " "), "PutRolePolicy"); n != 1 {
		t.Errorf("%d PutRolePolicy calls, want 1: %v", n, f.Calls())
	}
}

func TestCreateDoesNotRetryOtherErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"access denied", apiErr("AccessDenied", "not authorized to perform iam:CreateRole")},
		{"malformed policy for another reason", apiErr("MalformedPolicyDocument", "Syntax errors in policy")},
		{"limit exceeded", apiErr("LimitExceeded", "Cannot exceed quota for RolesPerAccount")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeIAM{createRole: func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) { return nil, c.err }}
			res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
			if err == nil || !strings.Contains(err.Error(), "creating IAM role (r): ") {
				t.Fatalf("error = %v", err)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("error %v does not wrap %v", err, c.err)
			}
			if !slices.Equal(f.Calls(), []string{"CreateRole"}) {
				t.Errorf("calls = %v, want one CreateRole", f.Calls())
			}
			// Nothing was made, so nothing is named: the runner answers with the
			// failed-create marker.
			if res.PhysicalResourceID != "" {
				t.Errorf("physical id %q, want none (answered with the failed-create marker)", res.PhysicalResourceID)
			}
		})
	}
}

func TestPropagationTimeoutBoundsRetries(t *testing.T) {
	f := &fakeIAM{createRole: func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) {
		return nil, apiErr("MalformedPolicyDocument", "Invalid principal in policy")
	}}
	m := &Manager{IAM: f, PropagationTimeout: 50 * time.Millisecond, RetryDelay: 5 * time.Millisecond}
	start := time.Now()
	_, err := m.Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err == nil || !strings.Contains(err.Error(), "Invalid principal") {
		t.Fatalf("error = %v", err)
	}
	if n := len(f.Calls()); n < 2 {
		t.Errorf("%d calls, want retries", n)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v, want about the 50 ms timeout", d)
	}
}

func TestCreateFailureAfterCreateRoleNamesTheRole(t *testing.T) {
	f := &fakeIAM{
		createRole: func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) { return &iam.CreateRoleOutput{}, nil },
		putRolePolicy: func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
			return nil, apiErr("ServiceFailure", "boom")
		},
	}
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err == nil {
		t.Fatal("want an error")
	}
	// The rollback's Delete must name the role, or it would be orphaned.
	if id := ParsePhysicalID(res.PhysicalResourceID); id.Kind != IDFailedCreateRole || id.RoleName != "r" {
		t.Errorf("physical id = %q, want the failed-Create marker naming the created role", res.PhysicalResourceID)
	}
}

func TestDeleteClearsAttachmentsOnDeleteConflict(t *testing.T) {
	deletes := 0
	f := &fakeIAM{
		getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
			return &iam.GetRoleOutput{Role: ownedRole(*in.RoleName)}, nil
		},
		listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
			return &iam.ListRolePoliciesOutput{}, nil
		},
		listAttachedRolePolicies: func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
			return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []types.AttachedPolicy{{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}}, nil
		},
		detachRolePolicy: func(*iam.DetachRolePolicyInput) (*iam.DetachRolePolicyOutput, error) {
			return &iam.DetachRolePolicyOutput{}, nil
		},
		listInstanceProfilesForRole: func(*iam.ListInstanceProfilesForRoleInput) (*iam.ListInstanceProfilesForRoleOutput, error) {
			return &iam.ListInstanceProfilesForRoleOutput{InstanceProfiles: []types.InstanceProfile{{InstanceProfileName: aws.String("ip")}}}, nil
		},
		removeRoleFromInstanceProfile: func(*iam.RemoveRoleFromInstanceProfileInput) (*iam.RemoveRoleFromInstanceProfileOutput, error) {
			return &iam.RemoveRoleFromInstanceProfileOutput{}, nil
		},
		deleteRole: func(*iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error) {
			deletes++
			if deletes == 1 {
				return nil, apiErr("DeleteConflict", "Cannot delete entity, must detach all policies first.")
			}
			return &iam.DeleteRoleOutput{}, nil
		},
	}
	ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r"})
	ev.PhysicalResourceID = "r"
	res, err := fastManager(f).Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GetRole", "ListRolePolicies", "DeleteRole", "ListRolePolicies", "ListAttachedRolePolicies", "DetachRolePolicy",
		"ListInstanceProfilesForRole", "RemoveRoleFromInstanceProfile", "DeleteRole"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %v\nwant    %v", got, want)
	}
	if res.Outcome != Deleted {
		t.Errorf("outcome = %s", res.Outcome)
	}
	wantChanges := []string{"managed policy arn:aws:iam::aws:policy/ReadOnlyAccess (detached)", "instance profile ip (role removed)", "role (deleted)"}
	if !slices.Equal(res.Changes, wantChanges) {
		t.Errorf("changes = %q\nwant      %q", res.Changes, wantChanges)
	}
}

// A Delete that fails names, in Changes (the log line's), the writes it made
// before it failed: a role left without its policies is not reported as
// unchanged.
func TestFailedDeleteReportsItsWrites(t *testing.T) {
	for _, c := range []struct {
		name    string
		failing string // the call that fails for good
		changes []string
	}{
		{"the role's deletion", "DeleteRole", []string{"inline policy P (deleted)", "managed policy arn:aws:iam::aws:policy/ReadOnlyAccess (detached)"}},
		{"the detach", "DetachRolePolicy", []string{"inline policy P (deleted)"}},
		{"the first policy's deletion", "DeleteRolePolicy", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fail := func(call string) error {
				if call == c.failing {
					return apiErr("ServiceFailure", "failing for good")
				}
				return nil
			}
			f := &fakeIAM{
				getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
					return &iam.GetRoleOutput{Role: ownedRole(*in.RoleName)}, nil
				},
				listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
					return &iam.ListRolePoliciesOutput{PolicyNames: []string{"P"}}, nil
				},
				deleteRolePolicy: func(*iam.DeleteRolePolicyInput) (*iam.DeleteRolePolicyOutput, error) {
					return &iam.DeleteRolePolicyOutput{}, fail("DeleteRolePolicy")
				},
				listAttachedRolePolicies: func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
					return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []types.AttachedPolicy{{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}}, nil
				},
				detachRolePolicy: func(*iam.DetachRolePolicyInput) (*iam.DetachRolePolicyOutput, error) {
					return &iam.DetachRolePolicyOutput{}, fail("DetachRolePolicy")
				},
				listInstanceProfilesForRole: func(*iam.ListInstanceProfilesForRoleInput) (*iam.ListInstanceProfilesForRoleOutput, error) {
					return &iam.ListInstanceProfilesForRoleOutput{}, nil
				},
				// Until everything is detached, and for good when it fails.
				deleteRole: func(*iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error) {
					return nil, apiErr("DeleteConflict", "Cannot delete entity, must detach all policies first.")
				},
			}
			ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r"})
			ev.PhysicalResourceID = "r"
			res, err := fastManager(f).Handle(context.Background(), ev)
			if err == nil {
				t.Fatal("the Delete succeeded")
			}
			// Each DeleteConflict retry makes the same writes again: named once.
			if !slices.Equal(res.Changes, c.changes) {
				t.Errorf("changes = %q, want %q", res.Changes, c.changes)
			}
		})
	}
}

func TestServiceLinkedRoleDeletion(t *testing.T) {
	slr := &types.Role{RoleName: aws.String("AWSServiceRoleForQBusiness"), Path: aws.String(schema.ServiceLinkedRolePath)}
	base := func(statuses ...*iam.GetServiceLinkedRoleDeletionStatusOutput) *fakeIAM {
		return &fakeIAM{
			getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) { return &iam.GetRoleOutput{Role: slr}, nil },
			deleteServiceLinkedRole: func(*iam.DeleteServiceLinkedRoleInput) (*iam.DeleteServiceLinkedRoleOutput, error) {
				return &iam.DeleteServiceLinkedRoleOutput{DeletionTaskId: aws.String("task-1")}, nil
			},
			getSLRDeletionStatus: func(*iam.GetServiceLinkedRoleDeletionStatusInput) (*iam.GetServiceLinkedRoleDeletionStatusOutput, error) {
				if len(statuses) == 0 {
					return nil, errors.New("no deletion task to report on")
				}
				s := statuses[0]
				if len(statuses) > 1 {
					statuses = statuses[1:]
				}
				return s, nil
			},
		}
	}
	ev := newEvent(cfn.RequestDelete, map[string]any{"RoleType": "ServiceLinkedRole"})
	ev.PhysicalResourceID = "AWSServiceRoleForQBusiness"

	t.Run("polls until it succeeds", func(t *testing.T) {
		f := base(&iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeInProgress},
			&iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeSucceeded})
		if _, err := fastManager(f).Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(strings.Join(f.Calls(), " "), "GetServiceLinkedRoleDeletionStatus"); n != 2 {
			t.Errorf("%d status polls, want 2", n)
		}
	})
	inUse := &iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeFailed,
		Reason: &types.DeletionTaskFailureReasonType{Reason: aws.String("in use")}}
	t.Run("a failed task is retried with a new deletion until the service lets go of the role", func(t *testing.T) {
		f := base(inUse, inUse, &iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeSucceeded})
		if _, err := fastManager(f).Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(strings.Join(f.Calls(), " "), "DeleteServiceLinkedRole "); n != 3 {
			t.Errorf("%d deletions, want 3: %v", n, f.Calls())
		}
	})
	t.Run("IAM returns no deletion task", func(t *testing.T) {
		f := base()
		f.deleteServiceLinkedRole = func(*iam.DeleteServiceLinkedRoleInput) (*iam.DeleteServiceLinkedRoleOutput, error) {
			return &iam.DeleteServiceLinkedRoleOutput{}, nil
		}
		_, err := fastManager(f).Handle(context.Background(), ev)
		if err == nil || !strings.Contains(err.Error(), "no deletion task") {
			t.Errorf("error = %v", err)
		}
		if slices.Contains(f.Calls(), "GetServiceLinkedRoleDeletionStatus") {
			t.Error("polled an empty deletion task id")
		}
	})
	t.Run("still in use at the deadline: the usage list", func(t *testing.T) {
		f := base(&iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeFailed,
			Reason: &types.DeletionTaskFailureReasonType{Reason: aws.String("in use"), RoleUsageList: []types.RoleUsageType{
				{Region: aws.String("us-east-1"), Resources: []string{"arn:aws:qbusiness:us-east-1:123456789012:application/a1"}},
				{Region: aws.String("eu-west-1"), Resources: []string{"arn:aws:qbusiness:eu-west-1:123456789012:application/b2"}},
			}}})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := fastManager(f).Handle(ctx, ev)
		deletions := strings.Count(strings.Join(f.Calls(), " "), "DeleteServiceLinkedRole ")
		attempts := fmt.Sprintf("(%d attempts until", deletions)
		for _, s := range []string{"in use", "us-east-1: arn:aws:qbusiness:us-east-1:123456789012:application/a1", "eu-west-1:", "application/b2", attempts} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("error %v lacks %q", err, s)
			}
		}
		if deletions < 2 {
			t.Errorf("%d deletions before the deadline, want retries", deletions)
		}
	})
	t.Run("gives up when the deadline nears", func(t *testing.T) {
		f := base(&iam.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusTypeInProgress})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := fastManager(f).Handle(ctx, ev)
		if err == nil || !strings.Contains(err.Error(), "still IN_PROGRESS") {
			t.Errorf("error = %v", err)
		}
	})
}

// Bad input is refused before any IAM call: the fake fails every call.
func TestBadInputMakesNoIAMCall(t *testing.T) {
	cases := []struct {
		name string
		ev   cfn.Event
	}{
		{"create with a bad name", newEvent(cfn.RequestCreate, map[string]any{"RoleName": "bad name"})},
		{"create with an unknown property", newEvent(cfn.RequestCreate, map[string]any{"Role": "x"})},
		{"update with bad tags", func() cfn.Event {
			e := newEvent(cfn.RequestUpdate, map[string]any{"Tags": "x"})
			e.PhysicalResourceID = "r"
			return e
		}()},
		{"unknown request type", newEvent("Upsert", map[string]any{})},
		{"bad stack id", func() cfn.Event { e := newEvent(cfn.RequestCreate, nil); e.StackID = "stack"; return e }()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeIAM{}
			res, err := fastManager(f).Handle(context.Background(), c.ev)
			if err == nil {
				t.Fatal("want an error")
			}
			if calls := f.Calls(); len(calls) > 0 {
				t.Errorf("IAM calls %v, want none", calls)
			}
			// Refused before anything could exist: no id of its own; the runner
			// answers with the request's id or the failed-create marker.
			if res.PhysicalResourceID != "" {
				t.Errorf("physical id %q, want none", res.PhysicalResourceID)
			}
		})
	}
}

// Deletes of ids that are not roles of this resource touch nothing.
func TestDeleteOfIdsThatAreNotRolesMakesNoIAMCall(t *testing.T) {
	for _, id := range []string{FailedCreateID("req-0"), adoptedID("AWSServiceRoleForQBusiness"), "qbrole:slr-pending:1764200000000",
		"2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"} {
		t.Run(id, func(t *testing.T) {
			f := &fakeIAM{}
			ev := newEvent(cfn.RequestDelete, map[string]any{})
			ev.PhysicalResourceID = id
			res, err := fastManager(f).Handle(context.Background(), ev)
			if err != nil || res.Outcome != Skipped {
				t.Errorf("result %+v, error %v; want skipped", res, err)
			}
			if len(f.Calls()) > 0 {
				t.Errorf("IAM calls %v, want none", f.Calls())
			}
		})
	}
}

// A CreateRole whose answer is lost may have made the role: the answer names
// it, so that the rollback's Delete (which checks the ownership tags) removes it.
func TestCreateWithUnknownOutcomeNamesTheRole(t *testing.T) {
	f := &fakeIAM{createRole: func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) {
		return nil, context.DeadlineExceeded
	}}
	before := time.Now()
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	id := ParsePhysicalID(res.PhysicalResourceID)
	if err == nil || id.Kind != IDFailedCreateRole || id.RoleName != "r" {
		t.Errorf("result %+v, error %v; want the failed-Create marker naming the role", res, err)
	}
	// The moment is the CreateRole's, to the millisecond.
	if id.Moment.Before(before.Truncate(time.Millisecond)) || id.Moment.After(time.Now()) {
		t.Errorf("moment %v, want between %v and now", id.Moment, before)
	}
}

// A service-linked role is this resource's only when its own
// CreateServiceLinkedRole answered with it; every other one is adopted, and an
// adopted role is never deleted.
func TestServiceLinkedRoleIsOursOnlyWhenOurCreateAnsweredWithIt(t *testing.T) {
	slr := types.Role{RoleName: aws.String("AWSServiceRoleForQBusiness"), Path: aws.String(schema.ServiceLinkedRolePath),
		Arn: aws.String("arn:aws:iam::123456789012:role/aws-service-role/qbusiness.amazonaws.com/AWSServiceRoleForQBusiness")}
	recent := slr
	recent.CreateDate = aws.Time(time.Now().Add(-300 * time.Millisecond)) // made by someone else a moment ago
	cases := []struct {
		name     string
		listed   [][]types.Role // what each ListRoles answers
		listErr  error
		create   error
		outcome  Outcome
		physical string
		creates  int
	}{
		{"there before, made by someone else a moment ago: adopted, no create", [][]types.Role{{recent}}, nil, nil, Adopted, adoptedID("AWSServiceRoleForQBusiness"), 0},
		{"absent: created, ours", [][]types.Role{{}}, nil, nil, Created, "AWSServiceRoleForQBusiness", 1},
		{"taken meanwhile (AWS's InvalidInput): adopted", [][]types.Role{{}, {slr}}, nil,
			apiErr("InvalidInput", "Service role name AWSServiceRoleForQBusiness has been taken in this account, please try a different suffix."), Adopted, adoptedID("AWSServiceRoleForQBusiness"), 1},
		{"taken meanwhile (moto's EntityAlreadyExists): adopted", [][]types.Role{{}, {slr}}, nil,
			apiErr("EntityAlreadyExists", "Role with name AWSServiceRoleForqbusiness already exists."), Adopted, adoptedID("AWSServiceRoleForQBusiness"), 1},
		{"answer lost, role there: adopted", [][]types.Role{{}, {slr}}, nil, errors.New("read: connection reset by peer"), Adopted, adoptedID("AWSServiceRoleForQBusiness"), 1},
		// A failure has no outcome and names no id: the runner answers FAILED
		// with the failed-create marker, so the rollback deletes nothing.
		{"answer lost, no role: failed, nothing to delete", [][]types.Role{{}, {}}, nil, errors.New("read: connection reset by peer"), "", "", 1},
		{"listing throttled: failed, no create", nil, apiErr("Throttling", "Rate exceeded"), nil, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			listed := c.listed
			f := &fakeIAM{
				listRoles: func(in *iam.ListRolesInput) (*iam.ListRolesOutput, error) {
					if aws.ToString(in.PathPrefix) != schema.ServiceLinkedRolePath {
						t.Errorf("PathPrefix = %q", aws.ToString(in.PathPrefix))
					}
					if c.listErr != nil {
						return nil, c.listErr
					}
					roles := listed[0]
					listed = listed[1:]
					return &iam.ListRolesOutput{Roles: roles}, nil
				},
				createServiceLinkedRole: func(*iam.CreateServiceLinkedRoleInput) (*iam.CreateServiceLinkedRoleOutput, error) {
					if c.create != nil {
						return nil, c.create
					}
					return &iam.CreateServiceLinkedRoleOutput{Role: &slr}, nil
				},
			}
			res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleType": "ServiceLinkedRole"}))
			if (err != nil) != (c.outcome == "") || res.Outcome != c.outcome || res.PhysicalResourceID != c.physical {
				t.Errorf("result %+v, error %v; want %s %s", res, err, c.outcome, c.physical)
			}
			if n := strings.Count(strings.Join(f.Calls(), " "), "CreateServiceLinkedRole"); n != c.creates {
				t.Errorf("%d creates, want %d: %v", n, c.creates, f.Calls())
			}
		})
	}
}

// A role IAM does not show yet (made moments ago; the rollback's Delete right
// after a failed Create) is looked for again before it counts as gone: it is
// deleted, not left behind.
func TestDeleteLooksAgainForARoleIAMDoesNotShowYet(t *testing.T) {
	hidden := 2
	deleted := false
	f := &fakeIAM{
		getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
			if hidden > 0 {
				hidden--
				return nil, apiErr("NoSuchEntity", "The role with name r cannot be found.")
			}
			return &iam.GetRoleOutput{Role: ownedRole(*in.RoleName)}, nil
		},
		listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
			return &iam.ListRolePoliciesOutput{}, nil
		},
		deleteRole: func(*iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error) {
			deleted = true
			return &iam.DeleteRoleOutput{}, nil
		},
	}
	ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r", "OnDelete": "Retain"})
	ev.PhysicalResourceID = failedCreateRoleID(time.Now(), "r")
	res, err := fastManager(f).Handle(context.Background(), ev)
	if err != nil || res.Outcome != Deleted || !deleted {
		t.Errorf("result %+v, error %v, DeleteRole called %v: the role was left behind", res, err, deleted)
	}
}

// A role that is gone is deleted after one read, however it went: deleted by
// hand, a second delivery of the same Delete, a failed Create made long ago.
// Only a failed Create's marker, while IAM may still not show its role, is
// reason to look again.
func TestDeleteOfARoleThatIsGoneAnswersAtOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		physical string
	}{
		{"role name", "r"},
		{"service-linked role this resource made", "AWSServiceRoleForQBusiness"},
		{"failed Create's role, the propagation timeout past", failedCreateRoleID(time.Now().Add(-time.Hour), "r")},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeIAM{getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
				return nil, apiErr("NoSuchEntity", "The role with name "+*in.RoleName+" cannot be found.")
			}}
			m := fastManager(f)
			m.PropagationTimeout = time.Minute // were it waited for, the test would take that long
			ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r"})
			ev.PhysicalResourceID = c.physical
			start := time.Now()
			res, err := m.Handle(context.Background(), ev)
			if err != nil || res.Outcome != Deleted || res.PhysicalResourceID != c.physical {
				t.Errorf("result %+v, error %v", res, err)
			}
			if calls := f.Calls(); !slices.Equal(calls, []string{"GetRole"}) {
				t.Errorf("calls %v, want one GetRole", calls)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// The SDK sends a CreateRole again when its first answer was lost; IAM then
// says the role exists, and may not show it yet: it is waited for and taken
// as this resource's (its tags say so), not refused.
func TestCreateAfterALostAnswerWaitsForTheRole(t *testing.T) {
	f := &fakeIAM{}
	happyCreate(f)
	f.createRole = func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error) {
		return nil, apiErr("EntityAlreadyExists", "Role with name r already exists.")
	}
	hidden := 1
	spec, err := ParseSpec(map[string]any{"RoleName": "r"}, testStack, "AppRole")
	if err != nil {
		t.Fatal(err)
	}
	f.getRole = func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		if hidden > 0 {
			hidden--
			return nil, apiErr("NoSuchEntity", "The role with name r cannot be found.")
		}
		r := ownedRole(*in.RoleName)
		r.AssumeRolePolicyDocument = aws.String(spec.TrustPolicy().JSON())
		r.Description, r.MaxSessionDuration = aws.String(spec.Description), aws.Int32(spec.MaxSessionDuration)
		return &iam.GetRoleOutput{Role: r}, nil
	}
	f.listRolePolicies = func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
		return &iam.ListRolePoliciesOutput{}, nil
	}
	f.listAttachedRolePolicies = func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
		return &iam.ListAttachedRolePoliciesOutput{}, nil
	}
	f.listRoles = func(*iam.ListRolesInput) (*iam.ListRolesOutput, error) { return &iam.ListRolesOutput{}, nil } // in no other case either
	res, err := fastManager(f).Handle(context.Background(), newEvent(cfn.RequestCreate, map[string]any{"RoleName": "r"}))
	if err != nil || res.PhysicalResourceID != "r" {
		t.Errorf("result %+v, error %v", res, err)
	}
}

// The rollback of a Create that made a role moments ago deletes it although
// IAM first denies the deletion: the execution role's permission rests on
// the new role's tags, which take time to count.
func TestRollbackDeleteWaitsOutAccessDeniedOnAFreshRole(t *testing.T) {
	denied := 2
	deleted := false
	f := &fakeIAM{
		getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
			return &iam.GetRoleOutput{Role: ownedRole(*in.RoleName)}, nil
		},
		listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
			if denied > 0 {
				denied--
				return nil, apiErr("AccessDenied", "not authorized to perform: iam:ListRolePolicies")
			}
			return &iam.ListRolePoliciesOutput{}, nil
		},
		deleteRole: func(*iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error) {
			deleted = true
			return &iam.DeleteRoleOutput{}, nil
		},
	}
	ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r"})
	ev.PhysicalResourceID = failedCreateRoleID(time.Now(), "r")
	res, err := fastManager(f).Handle(context.Background(), ev)
	if err != nil || res.Outcome != Deleted || !deleted {
		t.Errorf("result %+v, error %v, deleted %v", res, err, deleted)
	}
	// A role named by a plain id is not fresh: AccessDenied is final.
	denied = 1
	ev.PhysicalResourceID = "r"
	if _, err := fastManager(f).Handle(context.Background(), ev); !isAccessDenied(err) {
		t.Errorf("plain id: error %v, want AccessDenied", err)
	}
}

// Found by a user trying to break it: the resource's own service-linked role
// is gone when an Update comes, and someone makes it again at that moment, so
// the Update adopts it. A new id would make CloudFormation's cleanup Delete
// remove the role under the old one at once: the id stays.
func TestVanishedOwnServiceLinkedRoleAdoptedAgainKeepsItsID(t *testing.T) {
	slr := types.Role{RoleName: aws.String("AWSServiceRoleForQBusiness"), Path: aws.String(schema.ServiceLinkedRolePath),
		Arn: aws.String("arn:aws:iam::123456789012:role/aws-service-role/qbusiness.amazonaws.com/AWSServiceRoleForQBusiness")}
	listed := [][]types.Role{{}, {slr}}
	f := &fakeIAM{
		getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) {
			return nil, apiErr("NoSuchEntity", "The role with name AWSServiceRoleForQBusiness cannot be found.")
		},
		listRoles: func(*iam.ListRolesInput) (*iam.ListRolesOutput, error) {
			out := &iam.ListRolesOutput{Roles: listed[0]}
			listed = listed[1:]
			return out, nil
		},
		createServiceLinkedRole: func(*iam.CreateServiceLinkedRoleInput) (*iam.CreateServiceLinkedRoleOutput, error) {
			return nil, apiErr("InvalidInput", "Service role name AWSServiceRoleForQBusiness has been taken in this account, please try a different suffix.")
		},
	}
	props := map[string]any{"RoleType": "ServiceLinkedRole"}
	ev := newEvent(cfn.RequestUpdate, props)
	ev.PhysicalResourceID, ev.OldResourceProperties = "AWSServiceRoleForQBusiness", props
	res, err := fastManager(f).Handle(context.Background(), ev)
	if err != nil || res.PhysicalResourceID != "AWSServiceRoleForQBusiness" || res.Outcome != Adopted {
		t.Errorf("result %+v, error %v; want adopted under the same id", res, err)
	}
	// An adopted resource whose role vanished and is adopted again keeps
	// its adopted id too.
	listed = [][]types.Role{{}, {slr}}
	ev.PhysicalResourceID = adoptedID("AWSServiceRoleForQBusiness")
	if res, err := fastManager(f).Handle(context.Background(), ev); err != nil || res.PhysicalResourceID != ev.PhysicalResourceID {
		t.Errorf("adopted: result %+v, error %v", res, err)
	}
}

// A failed-Create marker whose moment lies in the future (forged, or clocks
// apart) is looked for no longer than one made now.
func TestFailedCreateMarkerFromTheFutureIsNotWaitedFor(t *testing.T) {
	f := &fakeIAM{getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		return nil, apiErr("NoSuchEntity", "The role with name r cannot be found.")
	}}
	m := fastManager(f)
	m.PropagationTimeout = 500 * time.Millisecond
	ev := newEvent(cfn.RequestDelete, map[string]any{"RoleName": "r"})
	ev.PhysicalResourceID = failedCreateRoleID(time.Now().Add(24*time.Hour), "r")
	start := time.Now()
	res, err := m.Handle(context.Background(), ev)
	if err != nil || res.Outcome != Deleted {
		t.Errorf("result %+v, error %v", res, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v, want about the propagation timeout", took)
	}
}

// An Update whose id is no role's name (an earlier version's marker, an id
// CloudFormation made up) makes a new role under RoleName or a generated
// name, never under the id.
func TestUpdateOfAnIDThatIsNoRoleMakesANewRole(t *testing.T) {
	for _, physical := range []string{"qbrole:slr-pending:1764200000000", "2026/11/30/[$LATEST]0123456789abcdef"} {
		t.Run(physical, func(t *testing.T) {
			var created string
			f := &fakeIAM{createRole: func(in *iam.CreateRoleInput) (*iam.CreateRoleOutput, error) {
				created = *in.RoleName
				return &iam.CreateRoleOutput{}, nil
			}}
			happyCreate(f)
			ev := newEvent(cfn.RequestUpdate, map[string]any{})
			ev.PhysicalResourceID, ev.OldResourceProperties = physical, map[string]any{}
			res, err := fastManager(f).Handle(context.Background(), ev)
			stack, _ := ParseStackID(ev.StackID)
			if want := GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID); err != nil || created != want || res.PhysicalResourceID != want {
				t.Errorf("result %+v, error %v, CreateRole(%q); want %q", res, err, created, want)
			}
		})
	}
}

// The marker of a failed Create names an application role: when IAM shows the
// service-linked role under its name, the rollback's Delete leaves that role
// alone. A role-name id of the service-linked role is this resource's own
// Create's answer, and its Delete deletes the role.
func TestFailedCreateMarkerNeverDeletesTheServiceLinkedRole(t *testing.T) {
	const name = "AWSServiceRoleForQBusiness"
	for _, c := range []struct {
		id, physical string
		want         Outcome
	}{
		{"failed Create's marker", failedCreateRoleID(time.Now(), name), Skipped},
		{"role name", name, Deleted},
	} {
		t.Run(c.id, func(t *testing.T) {
			f := &fakeIAM{
				getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) {
					return &iam.GetRoleOutput{Role: &types.Role{RoleName: aws.String(name), Path: aws.String(schema.ServiceLinkedRolePath),
						Arn: aws.String("arn:aws:iam::123456789012:role/aws-service-role/qbusiness.amazonaws.com/" + name)}}, nil
				},
				deleteServiceLinkedRole: func(*iam.DeleteServiceLinkedRoleInput) (*iam.DeleteServiceLinkedRoleOutput, error) {
					return nil, apiErr("NoSuchEntity", "The role with name "+name+" cannot be found.")
				},
			}
			ev := newEvent(cfn.RequestDelete, map[string]any{"RoleType": "ServiceLinkedRole"})
			ev.PhysicalResourceID = c.physical
			res, err := fastManager(f).Handle(context.Background(), ev)
			deletes := slices.Contains(f.Calls(), "DeleteServiceLinkedRole")
			if err != nil || res.Outcome != c.want || deletes != (c.want == Deleted) {
				t.Errorf("result %+v, error %v, calls %v; want %s", res, err, f.Calls(), c.want)
			}
		})
	}
}
