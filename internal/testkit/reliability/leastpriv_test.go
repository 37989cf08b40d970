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

	roleTypeLifecycle(ctx, s, admin, rs, via, tag, note)

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

// The ids of the roles that trust one application, in the reliability
// stack's account and region (SecretArn must be there).
const (
	lpApplication = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	lpIndex       = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	lpSecret      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:qbrole/creds-AbCdEf"
	lpKendra      = "kkkkkkkk-1111-2222-3333-444444444444"
)

// roleTypeLifecycle takes one resource through the role types that trust one
// application (DataSourceRole, PluginRole, RetrieverRole), so that every IAM
// call a role of these types needs goes through the authorizing proxy: a
// generic data-source role created; updated in place to the S3 form with a
// boundary, tags and a Description; drift (a managed policy) repaired while
// it becomes the generic form with a secret, without boundary or tags; its
// RoleType switched to PluginRole, then RetrieverRole, in place; replaced
// under a new RoleName (the old role's cleanup Delete); deleted. note runs
// each step and keeps its failure.
func roleTypeLifecycle(ctx context.Context, s *motoserver.Server, admin *iam.Client, rs *cfntest.ResponseServer, via *iamauthz.Proxy, tag string,
	note func(what string, step func() (bool, error)) bool) {
	name := "lpt-" + tag
	r := newRig(s, rs, "LPT"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, via)
	defer r.close()
	d := r.driver
	ds := map[string]any{"RoleType": "DataSourceRole", "RoleName": name, "ApplicationId": lpApplication, "IndexId": lpIndex}
	steps := []struct {
		what  string
		props map[string]any
		drift bool // a managed policy attached by hand before the step
	}{
		{"update in place to the S3 form", with(ds, map[string]any{"BucketName": "qbrole-docs", "Description": "changed",
			"PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess", "Tags": []any{map[string]any{"Key": "a", "Value": "1"}}}), false},
		{"update to the secret form, repairing drift", with(ds, map[string]any{"SecretArn": lpSecret}), true},
		{"RoleType to PluginRole", map[string]any{"RoleType": "PluginRole", "RoleName": name, "ApplicationId": lpApplication, "SecretArn": lpSecret}, false},
		{"RoleType to RetrieverRole", map[string]any{"RoleType": "RetrieverRole", "RoleName": name, "ApplicationId": lpApplication, "KendraIndexId": lpKendra}, false},
		{"replace (the old role's cleanup Delete)", map[string]any{"RoleType": "RetrieverRole", "RoleName": name + "-v2",
			"ApplicationId": lpApplication, "KendraIndexId": lpKendra}, false},
	}
	if !note("create data-source role", func() (bool, error) { return d.Create(ds) }) {
		return
	}
	for _, st := range steps {
		if st.drift {
			managed, _ := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("drift-t-" + tag),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
			if managed != nil {
				_, _ = admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: managed.Policy.Arn})
			}
		}
		note(st.what, func() (bool, error) { return d.Update(st.props) })
	}
	note("delete retriever role", func() (bool, error) { return true, d.Delete() })
}

// with is props with changes applied.
func with(props, changes map[string]any) map[string]any {
	out := maps.Clone(props)
	maps.Copy(out, changes)
	return out
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
