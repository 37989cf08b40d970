package roles

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// driftedIAM fakes a role "r" of this resource that differs from the spec in
// every aspect: trust, description, a boundary the spec does not have, a
// missing and a surplus tag, a surplus inline policy, a changed permissions
// policy and an attached managed policy. Every write succeeds unless the
// call is named in fail.
func driftedIAM(fail string, failErr error) *fakeIAM {
	role := ownedRole("r")
	role.AssumeRolePolicyDocument = aws.String(`{"Version":"2012-10-17","Statement":[]}`)
	role.Description = aws.String("old")
	role.MaxSessionDuration = aws.Int32(3600)
	role.PermissionsBoundary = &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String("arn:aws:iam::123456789012:policy/b")}
	role.Tags = append(role.Tags, types.Tag{Key: aws.String("old"), Value: aws.String("x")})
	ok := func(name string) error {
		if name == fail {
			return failErr
		}
		return nil
	}
	return &fakeIAM{
		getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) { return &iam.GetRoleOutput{Role: role}, nil },
		updateAssumeRolePolicy: func(*iam.UpdateAssumeRolePolicyInput) (*iam.UpdateAssumeRolePolicyOutput, error) {
			return &iam.UpdateAssumeRolePolicyOutput{}, ok("UpdateAssumeRolePolicy")
		},
		updateRole: func(*iam.UpdateRoleInput) (*iam.UpdateRoleOutput, error) {
			return &iam.UpdateRoleOutput{}, ok("UpdateRole")
		},
		deleteRolePermissionsBoundary: func(*iam.DeleteRolePermissionsBoundaryInput) (*iam.DeleteRolePermissionsBoundaryOutput, error) {
			return &iam.DeleteRolePermissionsBoundaryOutput{}, ok("DeleteRolePermissionsBoundary")
		},
		tagRole: func(*iam.TagRoleInput) (*iam.TagRoleOutput, error) { return &iam.TagRoleOutput{}, ok("TagRole") },
		untagRole: func(*iam.UntagRoleInput) (*iam.UntagRoleOutput, error) {
			return &iam.UntagRoleOutput{}, ok("UntagRole")
		},
		listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
			return &iam.ListRolePoliciesOutput{PolicyNames: []string{"extra", DefaultPolicyName}}, ok("ListRolePolicies")
		},
		deleteRolePolicy: func(*iam.DeleteRolePolicyInput) (*iam.DeleteRolePolicyOutput, error) {
			return &iam.DeleteRolePolicyOutput{}, ok("DeleteRolePolicy")
		},
		getRolePolicy: func(*iam.GetRolePolicyInput) (*iam.GetRolePolicyOutput, error) {
			return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}, ok("GetRolePolicy")
		},
		putRolePolicy: func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error) {
			return &iam.PutRolePolicyOutput{}, ok("PutRolePolicy")
		},
		listAttachedRolePolicies: func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
			return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []types.AttachedPolicy{{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}},
				ok("ListAttachedRolePolicies")
		},
		detachRolePolicy: func(*iam.DetachRolePolicyInput) (*iam.DetachRolePolicyOutput, error) {
			return &iam.DetachRolePolicyOutput{}, ok("DetachRolePolicy")
		},
	}
}

// Each aspect of the reconcile is its own step. When one fails, the FAILED
// answer keeps the role's name and reports the writes already made, so the
// log says what changed before the failure.
func TestReconcileReportsWritesMadeBeforeAFailure(t *testing.T) {
	all := []string{"trust policy", "description and session duration", "permissions boundary (removed)", "tags", "tags (removed)",
		"inline policy extra (removed)", "permissions policy", "managed policy arn:aws:iam::aws:policy/ReadOnlyAccess (detached)"}
	cases := []struct {
		fail   string // the IAM call that fails
		aspect string // the aspect the error names
		writes int    // how many of all were made before it
		detail string // what the error says besides the call's own error
	}{
		{"", "", len(all), ""},
		{"UpdateAssumeRolePolicy", "trust policy", 0, ""},
		{"UpdateRole", "settings", 1, ""},
		{"DeleteRolePermissionsBoundary", "permissions boundary", 2, ""},
		{"TagRole", "tags", 3, ""},
		{"UntagRole", "tags", 4, "removing old"},
		{"ListRolePolicies", "inline policies", 5, "listing inline policies"},
		{"DeleteRolePolicy", "inline policies", 5, "deleting inline policy extra"},
		{"GetRolePolicy", "inline policies", 6, "reading policy " + DefaultPolicyName},
		{"PutRolePolicy", "inline policies", 6, "putting policy " + DefaultPolicyName},
		{"ListAttachedRolePolicies", "managed policies", 7, "listing managed policies"},
		{"DetachRolePolicy", "managed policies", 7, "detaching managed policy arn:aws:iam::aws:policy/ReadOnlyAccess"},
	}
	for _, c := range cases {
		name := c.fail
		if name == "" {
			name = "no failure"
		}
		t.Run(name, func(t *testing.T) {
			boom := apiErr("ServiceFailure", "boom")
			ev := newEvent(cfn.RequestUpdate, map[string]any{"RoleName": "r", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}})
			ev.PhysicalResourceID = "r"
			ev.OldResourceProperties = map[string]any{"RoleName": "r"}
			res, err := fastManager(driftedIAM(c.fail, boom)).Handle(context.Background(), ev)
			if !slices.Equal(res.Changes, all[:c.writes]) {
				t.Errorf("changes = %q, want %q", res.Changes, all[:c.writes])
			}
			if res.PhysicalResourceID != "r" {
				t.Errorf("physical id %q, want r", res.PhysicalResourceID)
			}
			if c.fail == "" {
				if err != nil || res.Outcome != Updated || res.Attributes()["RoleName"] != "r" {
					t.Errorf("result %+v, error %v; want updated", res, err)
				}
				return
			}
			if !errors.Is(err, boom) || res.Outcome != "" || res.Attributes() != nil {
				t.Fatalf("result %+v, error %v; want failed with the call's error", res, err)
			}
			if want := "updating IAM role (r) " + c.aspect + ": " + c.detail; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

// A role that matches gets no write, and a NoSuchEntity while removing a
// surplus policy counts as removed (someone else removed it meanwhile).
func TestReconcileWritesNothingWhenTheRoleMatches(t *testing.T) {
	spec, err := ParseSpec(map[string]any{"RoleName": "r"}, testStack, "AppRole")
	if err != nil {
		t.Fatal(err)
	}
	role := ownedRole("r")
	role.AssumeRolePolicyDocument = aws.String(spec.TrustPolicy().JSON())
	role.Description = aws.String(spec.Description)
	role.MaxSessionDuration = aws.Int32(spec.MaxSessionDuration)
	f := &fakeIAM{
		listRolePolicies: func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error) {
			return &iam.ListRolePoliciesOutput{PolicyNames: []string{DefaultPolicyName}}, nil
		},
		getRolePolicy: func(*iam.GetRolePolicyInput) (*iam.GetRolePolicyOutput, error) {
			return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(spec.PermissionsPolicy().JSON())}, nil
		},
		listAttachedRolePolicies: func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error) {
			return &iam.ListAttachedRolePoliciesOutput{}, nil
		},
	}
	res, err := fastManager(f).reconcile(context.Background(), spec, role)
	if err != nil || res.Outcome != Unchanged || len(res.Changes) != 0 {
		t.Errorf("result %+v, error %v; want unchanged", res, err)
	}
	if want := []string{"ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies"}; !slices.Equal(f.Calls(), want) {
		t.Errorf("calls = %v, want only reads %v", f.Calls(), want)
	}
}
