package roles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// deleteIfOwned deletes the role this request has just created, if it
// carries owner's tags: the cleanup of a failed replacement. IAM may not show
// a role made moments ago, so one it does not find is looked for again until
// ctx ends ("Changes that I make are not always immediately visible", IAM User
// Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
func (m *Manager) deleteIfOwned(ctx context.Context, name string, owner Owner) error {
	role, err := m.waitForRole(ctx, name)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !owns(role, owner) {
		return nil
	}
	return m.deleteFreshRole(ctx, m.propagationTimeout(), func() error { return m.deleteApplicationRole(ctx, name) })
}

// deleteFreshRole runs del, the deletion of a role made moments ago, again
// while IAM answers AccessDenied, for at most window: the execution role may
// change only roles that carry the ownership tags, and a new role's tags take
// time to count ("including tags used for ABAC", IAM User Guide, "Changes
// that I make are not always immediately visible",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html).
func (m *Manager) deleteFreshRole(ctx context.Context, window time.Duration, del func() error) error {
	return retryWhile(ctx, window, m.retryDelay(), isAccessDenied, del)
}

// delete decides what to remove from the PhysicalResourceId and IAM's state,
// never from RoleType in the event: a cleanup Delete after a replacement may
// carry the old resource's properties or the new one's. Only OnDelete is read
// from the properties. Only a role's name, or the marker of a Create that made
// a role, may lead to a deletion: not a failed Create's plain marker, not an
// adopted service-linked role (whatever OnDelete says), not an earlier
// version's pending marker, not an id CloudFormation made up after a lost
// response.
func (m *Manager) delete(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	id := ParsePhysicalID(physical)
	// The properties were valid when applied; only OnDelete and the owner matter here.
	spec, _ := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	var role *types.Role
	var err error
	switch id.Kind {
	case IDRole:
		// A role that is gone is deleted: one read, no waiting. The role
		// was seen when the request that named it succeeded.
		role, err = findRole(ctx, m.IAM, id.RoleName)
	case IDFailedCreateRole:
		// The Create failed after it made, or may have made, the role: it
		// is looked for as long as IAM may not show a role made then.
		role, err = m.waitForRoleWithin(ctx, id.RoleName, m.freshWindow(id.Moment))
		// A failed Create leaves nothing behind, whatever OnDelete says.
		spec.OnDelete = DeleteRole
	default:
		return Result{PhysicalResourceID: physical, Outcome: Skipped}, nil
	}
	if errors.Is(err, errNotFound) {
		return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("deleting IAM role (%s): reading it: %w", id.RoleName, err)
	}
	var outcome Outcome
	remove := func() error {
		outcome, err = m.removeRole(ctx, role, id.Kind == IDRole, spec.Owner, spec.OnDelete)
		return err
	}
	if id.Kind == IDFailedCreateRole {
		err = m.deleteFreshRole(ctx, m.freshWindow(id.Moment), remove)
	} else {
		err = remove()
	}
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalResourceID: physical, Outcome: outcome}, nil
}

// removeRole deletes role, found under a PhysicalResourceId, if it is this
// resource's: an application role that carries owner's tags, or (when the id
// may name one, slrOK) the service-linked role, which a role-name id names
// only when this resource's own CreateServiceLinkedRole answered with it.
func (m *Manager) removeRole(ctx context.Context, role *types.Role, slrOK bool, owner Owner, onDelete OnDelete) (Outcome, error) {
	name := aws.ToString(role.RoleName)
	serviceLinked := aws.ToString(role.Path) == SLRPath
	ours := owns(role, owner)
	if serviceLinked {
		ours = slrOK
	}
	if !ours {
		return Skipped, nil
	}
	if onDelete == RetainRole {
		return Retained, nil
	}
	if serviceLinked {
		return Deleted, m.deleteServiceLinkedRole(ctx, name)
	}
	return Deleted, m.deleteApplicationRole(ctx, name)
}

// deleteApplicationRole deletes the inline policies, then the role. If IAM
// answers DeleteConflict it detaches managed policies, removes the role from
// instance profiles, deletes inline policies added meanwhile, and tries again
// until the propagation timeout. NoSuchEntity anywhere counts as done.
func (m *Manager) deleteApplicationRole(ctx context.Context, name string) error {
	wrap := func(err error) error { return fmt.Errorf("deleting IAM role (%s): %w", name, err) }
	if _, _, err := m.deleteInlinePolicies(ctx, name, ""); err != nil {
		return wrap(err)
	}
	deleteRole := func() error {
		_, err := m.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		if isNoSuchEntity(err) {
			return nil
		}
		return err
	}
	err := retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), isDeleteConflict, func() error {
		err := deleteRole()
		if !isDeleteConflict(err) {
			return err
		}
		if cerr := m.clearAttachments(ctx, name); cerr != nil {
			return cerr
		}
		return deleteRole()
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// clearAttachments removes what keeps IAM from deleting a role besides its
// inline policies: managed policies and instance profiles.
func (m *Manager) clearAttachments(ctx context.Context, name string) error {
	if _, _, err := m.deleteInlinePolicies(ctx, name, ""); err != nil {
		return err
	}
	if _, err := m.detachManagedPolicies(ctx, name); err != nil {
		return err
	}
	p := iam.NewListInstanceProfilesForRolePaginator(m.IAM, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNoSuchEntity(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing instance profiles: %w", err)
		}
		for _, ip := range page.InstanceProfiles {
			_, err := m.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				RoleName: aws.String(name), InstanceProfileName: ip.InstanceProfileName,
			})
			if err != nil && !isNoSuchEntity(err) {
				return fmt.Errorf("removing from instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
			}
		}
	}
	return nil
}

// freshWindow is how much longer IAM may not show, or not yet count the tags
// of, a role made at moment: the propagation timeout from then. A moment in
// the future (a forged id, clocks apart) counts as now.
func (m *Manager) freshWindow(moment time.Time) time.Duration {
	if now := time.Now(); moment.After(now) {
		moment = now
	}
	return time.Until(moment.Add(m.propagationTimeout()))
}
