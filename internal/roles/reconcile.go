package roles

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// reconcile changes role to match spec, one IAM write per property that
// differs and none when everything matches.
func (m *Manager) reconcile(ctx context.Context, spec Spec, role *types.Role) (Result, error) {
	name := aws.ToString(role.RoleName)
	var changes []string
	change := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("updating IAM role (%s) %s: %w", name, what, err)
		}
		changes = append(changes, what)
		return nil
	}

	if !SameDocument(aws.ToString(role.AssumeRolePolicyDocument), spec.TrustPolicy()) {
		err := retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), isPropagationError, func() error {
			_, err := m.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
				RoleName: aws.String(name), PolicyDocument: aws.String(spec.TrustPolicy().JSON()),
			})
			return err
		})
		if err := change("trust policy", err); err != nil {
			return Result{}, err
		}
	}
	if aws.ToString(role.Description) != spec.Description || aws.ToInt32(role.MaxSessionDuration) != spec.MaxSessionDuration {
		_, err := m.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{
			RoleName: aws.String(name), Description: aws.String(spec.Description),
			MaxSessionDuration: aws.Int32(spec.MaxSessionDuration),
		})
		if err := change("description and session duration", err); err != nil {
			return Result{}, err
		}
	}
	actualBoundary := ""
	if role.PermissionsBoundary != nil {
		actualBoundary = aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	switch {
	case actualBoundary == spec.PermissionsBoundary:
	case spec.PermissionsBoundary == "":
		_, err := m.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(name)})
		if err := change("permissions boundary (removed)", err); err != nil {
			return Result{}, err
		}
	default:
		_, err := m.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{
			RoleName: aws.String(name), PermissionsBoundary: aws.String(spec.PermissionsBoundary),
		})
		if err := change("permissions boundary", err); err != nil {
			return Result{}, err
		}
	}

	toSet, toRemove := diffTags(role.Tags, spec.AllTags())
	if len(toSet) > 0 {
		_, err := m.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: iamTags(toSet)})
		if err := change("tags", err); err != nil {
			return Result{}, err
		}
	}
	if len(toRemove) > 0 {
		_, err := m.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: toRemove})
		if err := change("tags (removed)", err); err != nil {
			return Result{}, err
		}
	}

	inline, err := m.inlinePolicyNames(ctx, name)
	if err != nil {
		return Result{}, err
	}
	hasPolicy := false
	for _, p := range inline {
		if p == spec.PolicyName {
			hasPolicy = true
			continue
		}
		_, err := m.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)})
		if isNoSuchEntity(err) {
			err = nil
		}
		if err := change("inline policy "+p+" (removed)", err); err != nil {
			return Result{}, err
		}
	}
	same := false
	if hasPolicy {
		out, err := m.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(spec.PolicyName)})
		if err != nil && !isNoSuchEntity(err) {
			return Result{}, fmt.Errorf("reading policy %s of IAM role (%s): %w", spec.PolicyName, name, err)
		}
		same = err == nil && SameDocument(aws.ToString(out.PolicyDocument), spec.PermissionsPolicy())
	}
	if !same {
		if err := change("permissions policy", m.putPolicy(ctx, name, spec)); err != nil {
			return Result{}, err
		}
	}

	attached, err := m.attachedPolicyARNs(ctx, name)
	if err != nil {
		return Result{}, err
	}
	for _, arn := range attached {
		_, err := m.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		if isNoSuchEntity(err) {
			err = nil
		}
		if err := change("managed policy "+arn+" (detached)", err); err != nil {
			return Result{}, err
		}
	}

	res := Result{PhysicalResourceID: name, Data: roleData(role), Outcome: Unchanged, Changes: changes}
	if len(changes) > 0 {
		res.Outcome = Updated
	}
	return res, nil
}

func (m *Manager) inlinePolicyNames(ctx context.Context, name string) ([]string, error) {
	var names []string
	p := iam.NewListRolePoliciesPaginator(m.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNoSuchEntity(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing inline policies of IAM role (%s): %w", name, err)
		}
		names = append(names, page.PolicyNames...)
	}
	return names, nil
}

func (m *Manager) attachedPolicyARNs(ctx context.Context, name string) ([]string, error) {
	var arns []string
	p := iam.NewListAttachedRolePoliciesPaginator(m.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNoSuchEntity(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing managed policies of IAM role (%s): %w", name, err)
		}
		for _, a := range page.AttachedPolicies {
			arns = append(arns, aws.ToString(a.PolicyArn))
		}
	}
	return arns, nil
}

// diffTags returns the tags to set (new or changed) and the keys to remove.
// IAM compares tag keys case-insensitively ("Tagging IAM resources": Team and
// team are one key), so a key whose case changed is set — TagRole replaces
// the tag — and never also removed, which would delete the tag just set.
func diffTags(actual []types.Tag, want []Tag) ([]Tag, []string) {
	type tag struct{ key, value string }
	have := map[string]tag{}
	for _, t := range actual {
		have[strings.ToLower(aws.ToString(t.Key))] = tag{aws.ToString(t.Key), aws.ToString(t.Value)}
	}
	var set []Tag
	wanted := map[string]bool{}
	for _, t := range want {
		wanted[strings.ToLower(t.Key)] = true
		if h, ok := have[strings.ToLower(t.Key)]; !ok || h != (tag{t.Key, t.Value}) {
			set = append(set, t)
		}
	}
	var remove []string
	for k, h := range have {
		if !wanted[k] {
			remove = append(remove, h.key)
		}
	}
	sort.Strings(remove)
	return set, remove
}
