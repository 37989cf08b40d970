// A role's inline and managed policies (put, listed, deleted, detached) and
// its instance profiles: the reconcile and deletion of a role qbrole owns
// use these.

package roles

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// deleteInlinePolicies deletes the role's inline policies except keep ("":
// all of them) and names those it deleted (one already gone counts as
// deleted); kept says whether keep was among them.
func (m *Manager) deleteInlinePolicies(ctx context.Context, name, keep string) (deleted []string, kept bool, err error) {
	names, err := m.inlinePolicyNames(ctx, name)
	if err != nil {
		return nil, false, err
	}
	for _, p := range names {
		if p == keep {
			kept = true
			continue
		}
		_, err := m.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)})
		if err != nil && !isNoSuchEntity(err) {
			return deleted, kept, fmt.Errorf("deleting inline policy %s: %w", p, err)
		}
		deleted = append(deleted, p)
	}
	return deleted, kept, nil
}

// detachManagedPolicies detaches every managed policy of the role and names
// those it detached (one already detached counts as detached).
func (m *Manager) detachManagedPolicies(ctx context.Context, name string) ([]string, error) {
	arns, err := m.attachedPolicyARNs(ctx, name)
	if err != nil {
		return nil, err
	}
	var detached []string
	for _, arn := range arns {
		_, err := m.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		if err != nil && !isNoSuchEntity(err) {
			return detached, fmt.Errorf("detaching managed policy %s: %w", arn, err)
		}
		detached = append(detached, arn)
	}
	return detached, nil
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

// putPolicy puts spec's permissions policy on the role as its inline policy
// spec.PolicyName.
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

// clearAttachments removes what keeps IAM from deleting a role besides its
// inline policies: managed policies and instance profiles. It names each write
// it made (deletionWrites), also when it fails.
func (m *Manager) clearAttachments(ctx context.Context, name string) ([]string, error) {
	deleted, _, err := m.deleteInlinePolicies(ctx, name, "")
	writes := deletionWrites(deleted, nil, nil)
	if err != nil {
		return writes, err
	}
	detached, err := m.detachManagedPolicies(ctx, name)
	writes = append(writes, deletionWrites(nil, detached, nil)...)
	if err != nil {
		return writes, err
	}
	p := iam.NewListInstanceProfilesForRolePaginator(m.IAM, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isNoSuchEntity(err) {
			return writes, nil
		}
		if err != nil {
			return writes, fmt.Errorf("listing instance profiles: %w", err)
		}
		for _, ip := range page.InstanceProfiles {
			_, err := m.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				RoleName: aws.String(name), InstanceProfileName: ip.InstanceProfileName,
			})
			if err != nil && !isNoSuchEntity(err) {
				return writes, fmt.Errorf("removing from instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
			}
			writes = append(writes, deletionWrites(nil, nil, []string{aws.ToString(ip.InstanceProfileName)})...)
		}
	}
	return writes, nil
}

// deletionWrites names, for a Delete's Changes, the inline policies it
// deleted, the managed policies it detached and the instance profiles it took
// the role out of.
func deletionWrites(inline, managed, profiles []string) []string {
	var writes []string
	for _, p := range inline {
		writes = append(writes, "inline policy "+p+" (deleted)")
	}
	for _, arn := range managed {
		writes = append(writes, "managed policy "+arn+" (detached)")
	}
	for _, ip := range profiles {
		writes = append(writes, "instance profile "+ip+" (role removed)")
	}
	return writes
}
