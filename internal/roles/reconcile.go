package roles

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/wait"
)

// An aspect is one part of a role that reconcile brings to the spec. Its step
// makes the IAM writes that part needs, in order, and names each write it made
// (also those before a failure); no write when the part already matches.
type aspect struct {
	name string
	step func(m *Manager, ctx context.Context, spec Spec, role *types.Role) (writes []string, err error)
}

// aspects are reconciled in this order: trust first, so that Q Business can
// assume the role as soon as possible; managed policies last, after the
// permissions policy the role needs is in place.
var aspects = []aspect{
	{"trust policy", (*Manager).reconcileTrust},
	{"settings", (*Manager).reconcileSettings},
	{"permissions boundary", (*Manager).reconcileBoundary},
	{"tags", (*Manager).reconcileTags},
	{"inline policies", (*Manager).reconcileInlinePolicies},
	{"managed policies", (*Manager).reconcileManagedPolicies},
}

// reconcile changes role to match spec, one IAM write per property that
// differs and none when everything matches. The Result names the writes made,
// also when a later one fails.
//
// IAM cannot move a role to another path, so a role found at a path other
// than spec's fails before any write, with the reason an Update that keeps
// the RoleName and changes Path gets: never reported unchanged.
func (m *Manager) reconcile(ctx context.Context, spec Spec, role *types.Role) (Result, error) {
	name := aws.ToString(role.RoleName)
	if path := aws.ToString(role.Path); path != spec.Path {
		return Result{}, pathNeedsNewRole(name, path, spec.Path)
	}
	var writes []string
	for _, a := range aspects {
		made, err := a.step(m, ctx, spec, role)
		writes = append(writes, made...)
		if err != nil {
			return Result{PhysicalResourceID: name, Changes: writes}, fmt.Errorf("updating IAM role (%s) %s: %w", name, a.name, err)
		}
	}
	outcome := Unchanged
	if len(writes) > 0 {
		outcome = Updated
	}
	res := roleResult(name, role, outcome)
	res.Changes = writes
	return res, nil
}

// wrote is the writes of a step with one IAM write: [what], or none when
// the write failed.
func wrote(what string, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return []string{what}, nil
}

func (m *Manager) reconcileTrust(ctx context.Context, spec Spec, role *types.Role) ([]string, error) {
	if SameDocument(aws.ToString(role.AssumeRolePolicyDocument), spec.TrustPolicy()) {
		return nil, nil
	}
	return wrote("trust policy", wait.RetryFor(ctx, m.propagationTimeout(), m.backoff(), isPropagationError, func() error {
		_, err := m.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: role.RoleName, PolicyDocument: aws.String(spec.TrustPolicy().JSON()),
		})
		return err
	}))
}

func (m *Manager) reconcileSettings(ctx context.Context, spec Spec, role *types.Role) ([]string, error) {
	if aws.ToString(role.Description) == spec.Description && aws.ToInt32(role.MaxSessionDuration) == spec.MaxSessionDuration {
		return nil, nil
	}
	_, err := m.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{
		RoleName: role.RoleName, Description: aws.String(spec.Description),
		MaxSessionDuration: aws.Int32(spec.MaxSessionDuration),
	})
	return wrote("description and session duration", err)
}

func (m *Manager) reconcileBoundary(ctx context.Context, spec Spec, role *types.Role) ([]string, error) {
	actual := ""
	if role.PermissionsBoundary != nil {
		actual = aws.ToString(role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if actual == spec.PermissionsBoundary {
		return nil, nil
	}
	if spec.PermissionsBoundary == "" {
		_, err := m.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: role.RoleName})
		return wrote("permissions boundary (removed)", err)
	}
	_, err := m.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{
		RoleName: role.RoleName, PermissionsBoundary: aws.String(spec.PermissionsBoundary),
	})
	return wrote("permissions boundary", err)
}

func (m *Manager) reconcileTags(ctx context.Context, spec Spec, role *types.Role) ([]string, error) {
	toSet, toRemove := diffTags(role.Tags, spec.AllTags())
	var writes []string
	if len(toSet) > 0 {
		if _, err := m.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: role.RoleName, Tags: iamTags(toSet)}); err != nil {
			return writes, err
		}
		writes = append(writes, "tags")
	}
	if len(toRemove) > 0 {
		if _, err := m.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: role.RoleName, TagKeys: toRemove}); err != nil {
			return writes, fmt.Errorf("removing %s: %w", strings.Join(toRemove, ", "), err)
		}
		writes = append(writes, "tags (removed)")
	}
	return writes, nil
}

// reconcileInlinePolicies deletes every inline policy but the spec's, and puts
// the spec's where it is missing or differs.
func (m *Manager) reconcileInlinePolicies(ctx context.Context, spec Spec, role *types.Role) ([]string, error) {
	name := aws.ToString(role.RoleName)
	deleted, hasPolicy, err := m.deleteInlinePolicies(ctx, name, spec.PolicyName)
	var writes []string
	for _, p := range deleted {
		writes = append(writes, "inline policy "+p+" (removed)")
	}
	if err != nil {
		return writes, err
	}
	if hasPolicy {
		out, err := m.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role.RoleName, PolicyName: aws.String(spec.PolicyName)})
		if err != nil && !isNoSuchEntity(err) {
			return writes, fmt.Errorf("reading policy %s: %w", spec.PolicyName, err)
		}
		if err == nil && SameDocument(aws.ToString(out.PolicyDocument), spec.PermissionsPolicy()) {
			return writes, nil
		}
	}
	if err := m.putPolicy(ctx, name, spec); err != nil {
		return writes, err
	}
	return append(writes, "permissions policy"), nil
}

// reconcileManagedPolicies detaches every managed policy: the role's
// permissions are the spec's inline policy alone.
func (m *Manager) reconcileManagedPolicies(ctx context.Context, _ Spec, role *types.Role) ([]string, error) {
	detached, err := m.detachManagedPolicies(ctx, aws.ToString(role.RoleName))
	var writes []string
	for _, arn := range detached {
		writes = append(writes, "managed policy "+arn+" (detached)")
	}
	return writes, err
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
