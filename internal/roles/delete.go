package roles

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// findRoleToDelete reads a role that is to be deleted. IAM may not show a
// role made moments ago (the rollback's Delete right after a failed Create, the
// cleanup of a failed replacement): a role it does not find is looked for
// again within the propagation timeout before it counts as gone, so that none
// is left behind (IAM User Guide, "Changes that I make are not always
// immediately visible").
func (m *Manager) findRoleToDelete(ctx context.Context, name string) (*types.Role, error) {
	role, err := findRole(ctx, m.IAM, name)
	if !errors.Is(err, errNotFound) {
		return role, err
	}
	return m.waitForRole(ctx, name)
}

// deleteIfOwned deletes the role if it exists and carries owner's tags.
func (m *Manager) deleteIfOwned(ctx context.Context, name string, owner Owner) error {
	role, err := m.findRoleToDelete(ctx, name)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !owns(role, owner) {
		return nil
	}
	return m.deleteApplicationRole(ctx, name)
}

func (m *Manager) delete(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	skipped := Result{PhysicalResourceID: physical, Outcome: Skipped}
	// Only a role's name may lead to a deletion. Not a failed Create's marker,
	// not an adopted service-linked role (whatever OnDelete says), not an
	// earlier version's pending marker, not an id CloudFormation made up
	// after a lost response.
	if ParsePhysicalID(physical).Kind != IDRole {
		return skipped, nil
	}
	// The properties were valid when applied; only RoleType and OnDelete matter here.
	spec, _ := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)

	role, err := m.findRoleToDelete(ctx, physical)
	if errors.Is(err, errNotFound) {
		return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("deleting IAM role (%s): reading it: %w", physical, err)
	}
	isSLR := aws.ToString(role.Path) == SLRPath
	if isSLR != (spec.Type == ServiceLinkedRole) || !isSLR && !owns(role, spec.Owner) {
		return skipped, nil
	}
	if spec.OnDelete == RetainRole {
		return Result{PhysicalResourceID: physical, Outcome: Retained}, nil
	}
	if isSLR {
		err = m.deleteServiceLinkedRole(ctx, physical)
	} else {
		err = m.deleteApplicationRole(ctx, physical)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
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
