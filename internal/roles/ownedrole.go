// The roles qbrole owns (every RoleType but ServiceLinkedRole: kinds.go),
// under RoleName or a generated name, each owned by one stack's resource (its
// ownership tags say which). Created with its inline policy, reconciled in
// place (reconcile.go) or replaced under a new name, and deleted with
// whatever IAM requires to go first (attachments.go).

package roles

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/wait"
)

// createOwnedRole is a Create of a role qbrole owns, named name. A
// failure after the role exists, or may, answers with the failed-create
// marker of name (IDFailedCreateRole), so that the rollback's Delete removes
// the role.
func (m *Manager) createOwnedRole(ctx context.Context, spec Spec, name string) (Result, error) {
	res, created, err := m.createRole(ctx, spec, name)
	if err != nil && created {
		// The role exists or may: the rollback's Delete is to remove it, and
		// to look for it while IAM may not show it yet. The moment is now,
		// not before the CreateRole: its last attempt (the SDK retries) may
		// have made the role moments ago, and a later moment only makes the
		// rollback look longer.
		res.PhysicalResourceID = failedCreateRoleID(time.Now(), name)
	}
	return res, err
}

// updateOwnedRole is an Update from old to spec of a role qbrole owns (any
// type but the service-linked role), where the resource's role was one too:
// id is the resource's PhysicalResourceId, current the role under it (nil:
// none) and generated the name to generate. The role is reconciled in place
// when it keeps its name, RoleType changes included, else replaced.
func (m *Manager) updateOwnedRole(ctx context.Context, spec, old Spec, id PhysicalID, current *types.Role, generated string) (Result, error) {
	if id.Kind != IDRole {
		// Not a role's name (an id CloudFormation made up, an earlier
		// version's marker): nothing to keep, a new role.
		return m.replaceOwnedRole(ctx, spec, orDefault(spec.Name, generated))
	}
	physical := id.RoleName
	name, err := updatedRoleName(spec, old, physical, current, generated)
	// The Update would stay on the role under the id: it keeps the name, or
	// cannot leave it (the error: a new Path under the same name).
	staysUnderID := err != nil || name == physical
	// Someone else's role under the id (the resource's was deleted, and the
	// name taken) is never changed; a replacement leaves it alone, and the
	// cleanup Delete skips it.
	if staysUnderID && isForeign(current, spec.Owner) {
		return Result{}, notOwnedError("updating", physical, current, spec.Owner)
	}
	if err != nil {
		return Result{}, err
	}
	if name != physical {
		return m.replaceOwnedRole(ctx, spec, name)
	}
	if current == nil {
		// Deleted outside CloudFormation: put it back.
		res, _, err := m.createRole(ctx, spec, name)
		return res, err
	}
	return m.reconcile(ctx, spec, current)
}

// updatedRoleName is the name the role has after an Update from
// old to spec: physical when it can stay, else a new one (generated is the
// name to generate), as CloudFormation replaces an AWS::IAM::Role. current is
// the role under physical (nil: none), whose Path is the one that counts.
//
// IAM does not distinguish role names by case (IAM API Reference,
// "CreateRole", RoleName: "Names are not distinguished by case",
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), so
// a RoleName that differs from physical only in case names the same role: it
// keeps IAM's spelling, and a new Path with it cannot work either. A custom
// name removed (old's RoleName is physical) gets a generated one, unless
// physical is itself a name generated for this resource (the rollback of an
// Update that pinned the generated name); a RoleName in old that physical
// does not carry never applied (a rollback).
func updatedRoleName(spec, old Spec, physical string, current *types.Role, generated string) (string, error) {
	keepsName := strings.EqualFold(spec.Name, physical)
	if spec.Name == "" {
		keepsName = old.Name == "" || !strings.EqualFold(old.Name, physical) || sameGeneratedPrefix(physical, generated)
	}
	moved := current != nil && aws.ToString(current.Path) != spec.Path
	switch {
	case !keepsName:
		return orDefault(spec.Name, generated), nil
	case !moved:
		return physical, nil
	case spec.Name == "":
		return generated, nil
	default:
		return "", pathNeedsNewRole(physical, aws.ToString(current.Path), spec.Path)
	}
}

// sameGeneratedPrefix reports whether name has the shape of generated, a name
// GeneratedRoleName made for the same stack and logical id: the same prefix,
// and a suffix of the same length.
func sameGeneratedPrefix(name, generated string) bool {
	prefix := generated[:len(generated)-generatedSuffixLen]
	return len(name) == len(generated) && strings.HasPrefix(name, prefix)
}

// pathNeedsNewRole is the reason an Update that keeps a role's name cannot
// move it from path from to path to: IAM cannot change a role's path.
func pathNeedsNewRole(name, from, to string) error {
	return fmt.Errorf("updating IAM role (%s): changing Path from %q to %q needs a new role, "+
		"but a new role cannot have the same RoleName (IAM does not distinguish letter case); "+
		"change RoleName too, or remove it so that a name is generated",
		name, from, to)
}

// replaceOwnedRole creates the replacement role. If that fails after the
// new role exists (or may exist), the new role is removed again, even when the
// request's own time has run out: CloudFormation keeps the old physical id
// after a failed Update and would never delete the new one. A failure answers
// with the old id.
func (m *Manager) replaceOwnedRole(ctx context.Context, spec Spec, name string) (Result, error) {
	res, created, err := m.createRole(ctx, spec, name)
	if err == nil {
		return res, nil
	}
	if created {
		cctx, cancel := m.cleanupContext(ctx)
		defer cancel()
		cleanup, derr := m.deleteIfOwned(cctx, name, spec.Owner)
		res.Changes = append(res.Changes, cleanup...)
		if derr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up replacement role: %w", derr))
		}
	}
	return Result{Changes: res.Changes}, err
}

// createRole creates the role and its inline policy and waits until IAM
// shows it. created says whether this call made (or may have made) the role;
// a failure after that answers with the role's name, so that the rollback's
// Delete removes it and nothing is orphaned. Changes name the writes: "role"
// (CreateRole, with the trust policy, settings, boundary and tags; "role
// (outcome unknown)" when IAM's answer was lost) and "permissions policy". If
// the name is taken by a role of this same resource (a retried delivery of
// the same Create), that role is reconciled instead; a role of anyone else is
// refused.
func (m *Manager) createRole(ctx context.Context, spec Spec, name string) (res Result, created bool, err error) {
	err = wait.RetryFor(ctx, m.propagationTimeout(), m.backoff(), isPropagationError, func() error {
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
		return Result{PhysicalResourceID: name, Changes: []string{"role (outcome unknown)"}}, true,
			fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	made := Result{PhysicalResourceID: name, Changes: []string{"role"}}
	role, err := m.waitForRole(ctx, name)
	if err != nil {
		return made, true, err
	}
	// IAM may still answer NoSuchEntity for a role it has just made, and
	// AccessDenied where the caller's permission rests on the new role's tags
	// (the execution role's does): changes, "including tags used for ABAC",
	// take time to become visible (IAM User Guide, "Troubleshoot IAM",
	// "Changes that I make are not always immediately visible",
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
	// Retried here only, for the role this request has just created.
	err = wait.RetryFor(ctx, m.propagationTimeout(), m.backoff(), func(err error) bool { return isNoSuchEntity(err) || isAccessDenied(err) },
		func() error { return m.putPolicy(ctx, name, spec) })
	if err != nil {
		return made, true, err
	}
	res = roleResult(name, role, Created)
	res.Changes = []string{"role", "permissions policy"}
	return res, true, nil
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

func iamTags(tags []Tag) []types.Tag {
	out := make([]types.Tag, len(tags))
	for i, t := range tags {
		out[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
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
		// "ListRoles", https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html):
		// the role is read again under IAM's spelling.
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
		return Result{}, notOwnedError("creating", name, role, spec.Owner)
	}
	return m.reconcile(ctx, spec, role)
}

// deleteIfOwned deletes the role this request has just created, if it
// carries owner's tags: the cleanup of a failed replacement. It names the
// writes it made (deleteOwnedRole's), also when it fails. IAM may not show
// a role made moments ago, so one it does not find is looked for again until
// ctx ends ("Changes that I make are not always immediately visible", IAM User
// Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
func (m *Manager) deleteIfOwned(ctx context.Context, name string, owner Owner) ([]string, error) {
	role, err := m.waitForRole(ctx, name)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !owns(role, owner) {
		return nil, nil
	}
	var writes []string
	err = m.deleteFreshRole(ctx, m.propagationTimeout(), func() error {
		done, err := m.deleteOwnedRole(ctx, name)
		writes = append(writes, done...)
		return err
	})
	return writes, err
}

// deleteFreshRole runs del, the deletion of a role made moments ago, again
// while IAM answers AccessDenied, for at most window: the execution role may
// change only roles that carry the ownership tags, and a new role's tags take
// time to count ("including tags used for ABAC", IAM User Guide, "Changes
// that I make are not always immediately visible",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
func (m *Manager) deleteFreshRole(ctx context.Context, window time.Duration, del func() error) error {
	return wait.RetryFor(ctx, window, m.backoff(), isAccessDenied, del)
}

// deleteOwnedRole deletes the inline policies, then the role. If IAM
// answers DeleteConflict it detaches managed policies, removes the role from
// instance profiles, deletes inline policies added meanwhile, and tries again
// until the propagation timeout. NoSuchEntity anywhere counts as done. It
// names each write it made, the role's deletion last, also when it fails.
func (m *Manager) deleteOwnedRole(ctx context.Context, name string) ([]string, error) {
	wrap := func(err error) error { return fmt.Errorf("deleting IAM role (%s): %w", name, err) }
	deleted, _, err := m.deleteInlinePolicies(ctx, name, "")
	writes := deletionWrites(deleted, nil, nil)
	if err != nil {
		return writes, wrap(err)
	}
	deleteRole := func() error {
		_, err := m.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		if isNoSuchEntity(err) {
			return nil
		}
		return err
	}
	err = wait.RetryFor(ctx, m.propagationTimeout(), m.backoff(), isDeleteConflict, func() error {
		err := deleteRole()
		if !isDeleteConflict(err) {
			return err
		}
		cleared, cerr := m.clearAttachments(ctx, name)
		for _, w := range cleared {
			if !slices.Contains(writes, w) { // a retry's same write again
				writes = append(writes, w)
			}
		}
		if cerr != nil {
			return cerr
		}
		return deleteRole()
	})
	if err != nil {
		return writes, wrap(err)
	}
	return append(writes, roleDeleted), nil
}
