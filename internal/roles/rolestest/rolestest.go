// Package rolestest holds what tests that drive the custom resource and then
// look at IAM share: a Manager wired into a cfnresource.Runner as the function
// wires it, comparing a role in IAM with the role a spec describes, someone
// else's role that nothing may touch, and a snapshot that notices any change
// of a role.
package rolestest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// Mismatches lists every way the role name, of a RoleType qbrole owns,
// differs from spec: trust and permissions policies (by meaning, as the
// spec's RoleType builds them), path, description, session duration,
// boundary, tags, and any other inline or managed policy.
func Mismatches(ctx context.Context, c *iam.Client, name string, spec roles.Spec) []string {
	var bad []string
	add := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return []string{fmt.Sprintf("GetRole %s: %v", name, err)}
	}
	r := out.Role
	if !roles.SameDocument(aws.ToString(r.AssumeRolePolicyDocument), spec.TrustPolicy()) {
		add("trust policy = %s", unescape(aws.ToString(r.AssumeRolePolicyDocument)))
	}
	pol, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(spec.PolicyName)})
	switch {
	case err != nil:
		add("GetRolePolicy %s: %v", spec.PolicyName, err)
	case !roles.SameDocument(aws.ToString(pol.PolicyDocument), spec.PermissionsPolicy()):
		add("permissions policy = %s", unescape(aws.ToString(pol.PolicyDocument)))
	}
	if got := aws.ToString(r.Path); got != spec.Path {
		add("path %q, want %q", got, spec.Path)
	}
	if got := aws.ToString(r.Description); got != spec.Description {
		add("description %q, want %q", got, spec.Description)
	}
	if got := aws.ToInt32(r.MaxSessionDuration); got != spec.MaxSessionDuration {
		add("session %d, want %d", got, spec.MaxSessionDuration)
	}
	var boundary string
	if r.PermissionsBoundary != nil {
		boundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if boundary != spec.PermissionsBoundary {
		add("boundary %q, want %q", boundary, spec.PermissionsBoundary)
	}
	got := map[string]string{}
	for _, t := range r.Tags {
		got[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	want := map[string]string{}
	for _, t := range spec.AllTags() {
		want[t.Key] = t.Value
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		add("tags %v, want %v", got, want)
	}
	if inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)}); err != nil {
		add("ListRolePolicies: %v", err)
	} else if !slices.Equal(inline.PolicyNames, []string{spec.PolicyName}) {
		add("inline policies %v, want [%s]", inline.PolicyNames, spec.PolicyName)
	}
	if attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)}); err != nil {
		add("ListAttachedRolePolicies: %v", err)
	} else if len(attached.AttachedPolicies) > 0 {
		add("managed policies attached: %d", len(attached.AttachedPolicies))
	}
	return bad
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// CreateForeign makes someone else's role called name in the path the
// resource uses, trusting Q Business as an application role would, with a
// tag and an inline policy of its own: a role nothing may touch.
func CreateForeign(ctx context.Context, c *iam.Client, name string) error {
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(roles.DefaultPath),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + schema.ServicePrincipal + `"},"Action":"sts:AssumeRole"}]}`),
		Tags:                     []types.Tag{{Key: aws.String("owner"), Value: aws.String("other-team")}}})
	if err != nil {
		return fmt.Errorf("creating foreign role %s: %w", name, err)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("theirs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		return fmt.Errorf("putting the foreign role's policy: %w", err)
	}
	return nil
}

// Snapshot describes a role fully enough to notice any change: trust,
// description, path, session duration, tags, inline policies and how many
// managed ones.
func Snapshot(ctx context.Context, c *iam.Client, name string) string {
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%d|", aws.ToString(r.Role.AssumeRolePolicyDocument), aws.ToString(r.Role.Description),
		aws.ToString(r.Role.Path), aws.ToInt32(r.Role.MaxSessionDuration))
	for _, t := range r.Role.Tags {
		fmt.Fprintf(&b, "%s=%s,", aws.ToString(t.Key), aws.ToString(t.Value))
	}
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return b.String() + "|error: " + err.Error()
	}
	for _, p := range pols.PolicyNames {
		doc, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)})
		if err != nil {
			return b.String() + "|error: " + err.Error()
		}
		fmt.Fprintf(&b, "|%s:%s", p, aws.ToString(doc.PolicyDocument))
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return b.String() + "|error: " + err.Error()
	}
	fmt.Fprintf(&b, "|attached %d", len(att.AttachedPolicies))
	return b.String()
}

// DeleteByHand deletes the role called name as a person would: its inline
// policies, its managed policies, then the role.
func DeleteByHand(ctx context.Context, c *iam.Client, name string) error {
	wrap := func(err error) error { return fmt.Errorf("deleting %s by hand: %w", name, err) }
	inline := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return wrap(err)
		}
		for _, p := range page.PolicyNames {
			if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
				return wrap(err)
			}
		}
	}
	managed := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for managed.HasMorePages() {
		page, err := managed.NextPage(ctx)
		if err != nil {
			return wrap(err)
		}
		for _, p := range page.AttachedPolicies {
			if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn}); err != nil {
				return wrap(err)
			}
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		return wrap(err)
	}
	return nil
}

// DeleteServiceLinkedRoleByHand deletes the service-linked role called name
// and waits, polling every 10 ms for at most a second, until its deletion
// task succeeds.
func DeleteServiceLinkedRoleByHand(ctx context.Context, c *iam.Client, name string) error {
	out, err := c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("deleting %s by hand: %w", name, err)
	}
	for range 100 {
		st, err := c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: out.DeletionTaskId})
		if err != nil {
			return fmt.Errorf("deleting %s by hand: %w", name, err)
		}
		if st.Status == types.DeletionTaskStatusTypeSucceeded {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("deleting %s by hand: the deletion task did not succeed within a second", name)
}
