//go:build integration

package reliability_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// lifecycles exercising every IAM call the code makes, and both reads of the
// check of each request against CloudFormation (a replacement's cleanup
// Delete needs DescribeStacks); admin adds the drift that makes the rarer
// calls necessary. It returns the FAILED reasons.
func fullLifecycles(ctx context.Context, s *motoserver.Server, admin *iam.Client, rs *cfntest.ResponseServer, via *iamauthz.Proxy, tag string) []string {
	var failures []string
	note := func(what string, step func() (bool, error)) bool {
		ok, err := step()
		if err != nil {
			failures = append(failures, what+": "+err.Error())
		} else if !ok {
			failures = append(failures, what+": FAILED: "+lastReason(rs))
		}
		return err == nil && ok
	}
	name := "lp-" + tag
	r := newRig(s, rs, "LP"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, via)
	defer r.close()
	d := r.driver
	base := map[string]any{"RoleName": name, "Tags": []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}}}
	changed := map[string]any{"RoleName": name, "Region": "eu-west-1", "Description": "changed", "PolicyName": "Renamed",
		"PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess", "Tags": []any{map[string]any{"Key": "a", "Value": "changed"}}}
	unbounded := map[string]any{"RoleName": name, "Region": "eu-west-1", "Description": "changed", "PolicyName": "Renamed",
		"Tags": []any{map[string]any{"Key": "a", "Value": "changed"}}}
	if note("create application role", func() (bool, error) { return d.Create(base) }) {
		note("update in place", func() (bool, error) { return d.Update(changed) })
		managed, _ := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("drift-" + tag),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
		if managed != nil {
			_, _ = admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: managed.Policy.Arn})
		}
		note("update back, repairing drift", func() (bool, error) { return d.Update(unbounded) })
		if managed != nil {
			_, _ = admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: managed.Policy.Arn})
		}
		_, _ = admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip-" + tag)})
		_, _ = admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip-" + tag), RoleName: aws.String(name)})
		renamed := maps.Clone(unbounded)
		renamed["RoleName"] = name + "-v2"
		note("replace (the old role's cleanup Delete)", func() (bool, error) { return d.Update(renamed) })
		if err := d.Delete(); err != nil {
			failures = append(failures, "delete application role: "+err.Error())
		}
	}

	r1 := newRig(s, rs, "LPSLR"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, via)
	defer r1.close()
	r2 := newRig(s, rs, "LPSLRTWO"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, via)
	defer r2.close()
	s1, s2 := r1.driver, r2.driver
	if note("create service-linked role", func() (bool, error) { return s1.Create(slr) }) {
		// It exists already: found by listing the service-linked role's path.
		note("second create", func() (bool, error) { return s2.Create(slr) })
		note("update description", func() (bool, error) {
			return s1.Update(map[string]any{"RoleType": "ServiceLinkedRole", "Description": "changed"})
		})
		if err := s1.Delete(); err != nil {
			failures = append(failures, "delete service-linked role: "+err.Error())
		}
	}
	return failures
}

// cleanup removes every role, so the next principal starts from nothing.
func cleanup(ctx context.Context, admin *iam.Client) {
	out, _ := admin.ListRoles(ctx, &iam.ListRolesInput{})
	for _, r := range out.Roles {
		n := r.RoleName
		pols, _ := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: n})
		for _, p := range pols.PolicyNames {
			_, _ = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: n, PolicyName: aws.String(p)})
		}
		att, _ := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: n})
		for _, a := range att.AttachedPolicies {
			_, _ = admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: n, PolicyArn: a.PolicyArn})
		}
		ips, _ := admin.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: n})
		for _, ip := range ips.InstanceProfiles {
			_, _ = admin.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: n, InstanceProfileName: ip.InstanceProfileName})
		}
		_, _ = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: n})
	}
}

// TestLeastPrivilege: every lifecycle passes through the authorizing proxy
// with template.yaml's execution-role policy, judged by the IAM policy
// evaluator (resources and conditions included); with any one action taken
// out of it, some lifecycle fails with AccessDenied for that action. So every
// action is needed and none is missing.
func TestLeastPrivilege(t *testing.T) {
	ctx := context.Background()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	admin := moto.IAM("testing", "testing", fastRetries)
	rs := cfntest.NewResponseServer()
	defer rs.Close()

	t.Run("with the whole policy, every lifecycle passes", func(t *testing.T) {
		if failures := fullLifecycles(ctx, moto, admin, rs, authz.Proxy(moto), "full"); len(failures) > 0 {
			t.Errorf("%s", strings.Join(failures, "\n"))
		}
		cleanup(ctx, admin)
	})
	actions := append(execrole.Actions(), execrole.VerifyRequests().Actions...)
	proven := 0
	for i, a := range actions {
		t.Run("without "+a, func(t *testing.T) {
			p, err := authz.NewProxy(moto, iamauthz.Without(authz.Function.Policies, a))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			before := len(rs.Puts())
			fullLifecycles(ctx, moto, admin, rs, p, fmt.Sprintf("w%d", i))
			cleanup(ctx, admin)
			for _, put := range rs.Puts()[before:] {
				if strings.Contains(put.Response.Reason, "AccessDenied") && strings.Contains(put.Response.Reason, a+" ") {
					proven++
					return
				}
			}
			t.Errorf("no lifecycle failed with AccessDenied for %s: the action is not needed", a)
		})
	}
	fmt.Printf("least privilege: %d of %d execution-role actions (%d of IAM, the check's %d CloudFormation reads) proven necessary by the "+
		"IAM policy evaluator (template.yaml's policy, resources and conditions included); all lifecycles pass with exactly them\n",
		proven, len(actions), len(execrole.Actions()), len(execrole.VerifyRequests().Actions))
}

// lastReason is the Reason of the last FAILED response received.
func lastReason(rs *cfntest.ResponseServer) string {
	puts := rs.Puts()
	for i := len(puts) - 1; i >= 0; i-- {
		if puts[i].Response.Reason != "" {
			return puts[i].Response.Reason
		}
	}
	return ""
}
