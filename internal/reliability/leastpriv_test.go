package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/motoserver"
)

// motoPolicy renders the execution role's statements for moto's authorizer,
// without one action (skip, if set). moto checks actions only: it authorizes
// every IAM request against the resource "*" and evaluates conditions without
// the request's context, so resources become "*" and conditions are left
// out here; both are proven on the statements (execrole, cfntemplate tests).
func motoPolicy(skip string) string {
	var sts []map[string]any
	for _, s := range execrole.Statements() {
		actions := slices.DeleteFunc(slices.Clone(s.Actions), func(a string) bool { return a == skip })
		if len(actions) == 0 {
			continue
		}
		sts = append(sts, map[string]any{"Sid": s.Sid, "Effect": "Allow", "Action": actions, "Resource": "*"})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
	return string(b)
}

type principal struct{ key, secret string }

func newPrincipal(ctx context.Context, c *iam.Client, name, policy string) (principal, error) {
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return principal{}, err
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(policy)}); err != nil {
		return principal{}, err
	}
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return principal{}, err
	}
	return principal{aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)}, nil
}

// lifecycles exercising every IAM call the code makes; admin adds the drift
// that makes the rarer calls necessary. It returns the FAILED reasons.
func fullLifecycles(ctx context.Context, s *motoserver.Server, admin *iam.Client, rs *cfntest.ResponseServer, p principal, tag string) []string {
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
	r := newRig(s, rs, "LP"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, p.key, p.secret)
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
		if err := d.Delete(); err != nil {
			failures = append(failures, "delete application role: "+err.Error())
		}
	}

	s1 := newRig(s, rs, "LPSLR"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, p.key, p.secret).driver
	s2 := newRig(s, rs, "LPSLRTWO"+strings.ReplaceAll(tag, "-", ""), nil, 10*time.Second, p.key, p.secret).driver
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

// TestLeastPrivilegeOnMotosAuthorizer: with exactly the execution role's
// actions every lifecycle passes; without any one of them, some lifecycle
// fails with AccessDenied. So every action is needed and none is missing.
func TestLeastPrivilegeOnMotosAuthorizer(t *testing.T) {
	ctx := context.Background()
	actions := execrole.Actions()
	// Unauthenticated set-up calls: three per principal (one per action left
	// out, one with all, one admin); after them moto checks every call.
	setup := 3 * (len(actions) + 2)
	s, err := motoserver.Start(ctx, fmt.Sprintf("INITIAL_NO_AUTH_ACTION_COUNT=%d", setup))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bootstrap := s.IAM("testing", "testing")
	adminP, err := newPrincipal(ctx, bootstrap, "admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	full, err := newPrincipal(ctx, bootstrap, "function", motoPolicy(""))
	if err != nil {
		t.Fatal(err)
	}
	without := map[string]principal{}
	for i, a := range actions {
		if without[a], err = newPrincipal(ctx, bootstrap, fmt.Sprintf("without-%d", i), motoPolicy(a)); err != nil {
			t.Fatal(err)
		}
	}
	admin := s.IAM(adminP.key, adminP.secret, fastRetries)
	if _, err := s.IAM("testing", "testing").ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		t.Fatal("moto's authorizer is not on: an unknown key was accepted")
	}
	rs := cfntest.NewResponseServer()
	defer rs.Close()

	t.Run("with every action of the execution role, every lifecycle passes", func(t *testing.T) {
		if failures := fullLifecycles(ctx, s, admin, rs, full, "full"); len(failures) > 0 {
			t.Errorf("%s", strings.Join(failures, "\n"))
		}
		cleanup(ctx, admin)
	})
	proven := 0
	for i, a := range actions {
		t.Run("without "+a, func(t *testing.T) {
			before := len(rs.Puts())
			fullLifecycles(ctx, s, admin, rs, without[a], fmt.Sprintf("w%d", i))
			cleanup(ctx, admin)
			for _, p := range rs.Puts()[before:] {
				if strings.Contains(p.Response.Reason, "AccessDenied") && strings.Contains(p.Response.Reason, a) {
					proven++
					return
				}
			}
			t.Errorf("no lifecycle failed with AccessDenied for %s: the action is not needed", a)
		})
	}
	fmt.Printf("least privilege: %d of %d execution-role actions proven necessary on moto's authorizer; all lifecycles pass with exactly them\n", proven, len(actions))
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
