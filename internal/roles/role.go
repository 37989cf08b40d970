package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// replaceApplicationRole creates the replacement role. If that fails after the
// new role exists (or may exist), the new role is removed again, even when the
// request's own time has run out: CloudFormation keeps the old physical id
// after a failed Update and would never delete the new one. A failure answers
// with the old id.
func (m *Manager) replaceApplicationRole(ctx context.Context, spec Spec, name string) (Result, error) {
	res, created, err := m.createApplicationRole(ctx, spec, name)
	if err == nil {
		return res, nil
	}
	if created {
		cctx, cancel := m.cleanupContext(ctx)
		defer cancel()
		if derr := m.deleteIfOwned(cctx, name, spec.Owner); derr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up replacement role: %w", derr))
		}
	}
	return Result{Changes: res.Changes}, err
}

// createApplicationRole creates the role and its inline policy and waits until
// IAM shows it. created says whether this call made (or may have made) the
// role; a failure after that answers with the role's name, so that the
// rollback's Delete removes it and nothing is orphaned. If the name is taken
// by a role of this same resource (a retried delivery of the same Create),
// that role is reconciled instead; a role of anyone else is refused.
func (m *Manager) createApplicationRole(ctx context.Context, spec Spec, name string) (res Result, created bool, err error) {
	err = retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), isPropagationError, func() error {
		_, err := m.IAM.CreateRole(ctx, createRoleInput(spec, name))
		return err
	})
	if isAlreadyExists(err) {
		res, err := m.takeOverRetriedCreate(ctx, spec, name)
		return res, false, err
	}
	if unknownOutcome(err) {
		// IAM may have made the role: answer with its name. The rollback's
		// Delete removes it only if it carries this resource's ownership tags.
		return Result{PhysicalResourceID: name}, true, fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	role, err := m.waitForRole(ctx, name)
	if err != nil {
		return Result{PhysicalResourceID: name}, true, err
	}
	// IAM may still answer NoSuchEntity for a role it has just made, and
	// AccessDenied where the caller's permission rests on the new role's tags
	// (the execution role's does): changes, "including tags used for ABAC",
	// take time to become visible (IAM User Guide, troubleshooting, "Changes
	// that I make are not always immediately visible"). Retried here only,
	// for the role this request has just created.
	err = retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), func(err error) bool { return isNoSuchEntity(err) || isAccessDenied(err) },
		func() error { return m.putPolicy(ctx, name, spec) })
	if err != nil {
		return Result{PhysicalResourceID: name}, true, err
	}
	return roleResult(name, role, Created), true, nil
}

func createRoleInput(spec Spec, name string) *iam.CreateRoleInput {
	input := &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		Path:                     aws.String(spec.Path),
		Description:              aws.String(spec.Description),
		AssumeRolePolicyDocument: aws.String(spec.TrustPolicy().JSON()),
		MaxSessionDuration:       aws.Int32(spec.MaxSessionDuration),
		Tags:                     iamTags(spec.AllTags()),
	}
	if spec.PermissionsBoundary != "" {
		input.PermissionsBoundary = aws.String(spec.PermissionsBoundary)
	}
	return input
}

// takeOverRetriedCreate handles a CreateRole that IAM says exists: perhaps
// made by this very call, whose first answer was lost and which the SDK sent
// again (IAM may still not show it for a while). A role of this resource is
// reconciled; anyone else's is left untouched.
//
// IAM does not distinguish role names by case ("CreateRole", RoleName,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), and
// AWS documents nothing on GetRole with another spelling: a role that GetRole
// does not show is looked up in ListRoles under any case first, so a role
// spelled otherwise is decided on at once (by its tags, under IAM's spelling)
// instead of waited for.
func (m *Manager) takeOverRetriedCreate(ctx context.Context, spec Spec, name string) (Result, error) {
	role, err := findRole(ctx, m.IAM, name)
	if errors.Is(err, errNotFound) {
		// ListRoles leaves out a role's tags (IAM API Reference,
		// "ListRoles"): the role is read again under IAM's spelling.
		var spelled string
		if spelled, err = m.roleNameInAnyCase(ctx, name); err == nil {
			role, err = findRole(ctx, m.IAM, spelled)
		}
	}
	if errors.Is(err, errNotFound) || err == nil && !strings.HasPrefix(aws.ToString(role.Arn), "arn:") {
		role, err = m.waitForRole(ctx, name)
	}
	if err != nil {
		return Result{}, fmt.Errorf("creating IAM role (%s): it exists, and reading it failed: %w", name, err)
	}
	if !owns(role, spec.Owner) {
		return Result{}, fmt.Errorf("creating IAM role (%s): it exists and is not managed by this stack; "+
			"left untouched (choose another RoleName, or leave RoleName out to get a generated one)", name)
	}
	return m.reconcile(ctx, spec, role)
}

// roleNameInAnyCase lists the account's roles for one whose name equals name
// but for letter case, and returns IAM's spelling of it.
func (m *Manager) roleNameInAnyCase(ctx context.Context, name string) (string, error) {
	p := iam.NewListRolesPaginator(m.IAM, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing roles: %w", err)
		}
		for _, r := range page.Roles {
			if strings.EqualFold(aws.ToString(r.RoleName), name) {
				return aws.ToString(r.RoleName), nil
			}
		}
	}
	return "", errNotFound
}

func (m *Manager) putPolicy(ctx context.Context, name string, spec Spec) error {
	_, err := m.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName:       aws.String(name),
		PolicyName:     aws.String(spec.PolicyName),
		PolicyDocument: aws.String(spec.PermissionsPolicy().JSON()),
	})
	if err != nil {
		return fmt.Errorf("putting policy %s on IAM role (%s): %w", spec.PolicyName, name, err)
	}
	return nil
}

func owns(role *types.Role, o Owner) bool {
	var stack, logical bool
	for _, t := range role.Tags {
		switch aws.ToString(t.Key) {
		case TagStackID:
			stack = aws.ToString(t.Value) == o.StackID
		case TagLogicalID:
			logical = aws.ToString(t.Value) == o.LogicalResourceID
		}
	}
	return stack && logical
}

func iamTags(tags []Tag) []types.Tag {
	out := make([]types.Tag, len(tags))
	for i, t := range tags {
		out[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
}
