package roles

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// fakeIAM is a function-typed fake per IAM call, as the aws-sdk-go-v2 unit
// testing guide shows. A call whose function is nil fails with an error that
// names it, so a test notices any call it did not expect.
type fakeIAM struct {
	mu    sync.Mutex
	calls []string

	createRole                    func(*iam.CreateRoleInput) (*iam.CreateRoleOutput, error)
	getRole                       func(*iam.GetRoleInput) (*iam.GetRoleOutput, error)
	listRoles                     func(*iam.ListRolesInput) (*iam.ListRolesOutput, error)
	updateRole                    func(*iam.UpdateRoleInput) (*iam.UpdateRoleOutput, error)
	updateAssumeRolePolicy        func(*iam.UpdateAssumeRolePolicyInput) (*iam.UpdateAssumeRolePolicyOutput, error)
	putRolePermissionsBoundary    func(*iam.PutRolePermissionsBoundaryInput) (*iam.PutRolePermissionsBoundaryOutput, error)
	deleteRolePermissionsBoundary func(*iam.DeleteRolePermissionsBoundaryInput) (*iam.DeleteRolePermissionsBoundaryOutput, error)
	tagRole                       func(*iam.TagRoleInput) (*iam.TagRoleOutput, error)
	untagRole                     func(*iam.UntagRoleInput) (*iam.UntagRoleOutput, error)
	putRolePolicy                 func(*iam.PutRolePolicyInput) (*iam.PutRolePolicyOutput, error)
	getRolePolicy                 func(*iam.GetRolePolicyInput) (*iam.GetRolePolicyOutput, error)
	listRolePolicies              func(*iam.ListRolePoliciesInput) (*iam.ListRolePoliciesOutput, error)
	deleteRolePolicy              func(*iam.DeleteRolePolicyInput) (*iam.DeleteRolePolicyOutput, error)
	listAttachedRolePolicies      func(*iam.ListAttachedRolePoliciesInput) (*iam.ListAttachedRolePoliciesOutput, error)
	detachRolePolicy              func(*iam.DetachRolePolicyInput) (*iam.DetachRolePolicyOutput, error)
	listInstanceProfilesForRole   func(*iam.ListInstanceProfilesForRoleInput) (*iam.ListInstanceProfilesForRoleOutput, error)
	removeRoleFromInstanceProfile func(*iam.RemoveRoleFromInstanceProfileInput) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	deleteRole                    func(*iam.DeleteRoleInput) (*iam.DeleteRoleOutput, error)
	createServiceLinkedRole       func(*iam.CreateServiceLinkedRoleInput) (*iam.CreateServiceLinkedRoleOutput, error)
	deleteServiceLinkedRole       func(*iam.DeleteServiceLinkedRoleInput) (*iam.DeleteServiceLinkedRoleOutput, error)
	getSLRDeletionStatus          func(*iam.GetServiceLinkedRoleDeletionStatusInput) (*iam.GetServiceLinkedRoleDeletionStatusOutput, error)
}

func call[I, O any](f *fakeIAM, name string, fn func(*I) (*O, error), in *I) (*O, error) {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.mu.Unlock()
	if fn == nil {
		return nil, fmt.Errorf("fakeIAM: unexpected call %s", name)
	}
	return fn(in)
}

func (f *fakeIAM) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeIAM) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	return call(f, "CreateRole", f.createRole, in)
}
func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return call(f, "GetRole", f.getRole, in)
}
func (f *fakeIAM) ListRoles(_ context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	return call(f, "ListRoles", f.listRoles, in)
}
func (f *fakeIAM) UpdateRole(_ context.Context, in *iam.UpdateRoleInput, _ ...func(*iam.Options)) (*iam.UpdateRoleOutput, error) {
	return call(f, "UpdateRole", f.updateRole, in)
}
func (f *fakeIAM) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	return call(f, "UpdateAssumeRolePolicy", f.updateAssumeRolePolicy, in)
}
func (f *fakeIAM) PutRolePermissionsBoundary(_ context.Context, in *iam.PutRolePermissionsBoundaryInput, _ ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error) {
	return call(f, "PutRolePermissionsBoundary", f.putRolePermissionsBoundary, in)
}
func (f *fakeIAM) DeleteRolePermissionsBoundary(_ context.Context, in *iam.DeleteRolePermissionsBoundaryInput, _ ...func(*iam.Options)) (*iam.DeleteRolePermissionsBoundaryOutput, error) {
	return call(f, "DeleteRolePermissionsBoundary", f.deleteRolePermissionsBoundary, in)
}
func (f *fakeIAM) TagRole(_ context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	return call(f, "TagRole", f.tagRole, in)
}
func (f *fakeIAM) UntagRole(_ context.Context, in *iam.UntagRoleInput, _ ...func(*iam.Options)) (*iam.UntagRoleOutput, error) {
	return call(f, "UntagRole", f.untagRole, in)
}
func (f *fakeIAM) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	return call(f, "PutRolePolicy", f.putRolePolicy, in)
}
func (f *fakeIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	return call(f, "GetRolePolicy", f.getRolePolicy, in)
}
func (f *fakeIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return call(f, "ListRolePolicies", f.listRolePolicies, in)
}
func (f *fakeIAM) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	return call(f, "DeleteRolePolicy", f.deleteRolePolicy, in)
}
func (f *fakeIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return call(f, "ListAttachedRolePolicies", f.listAttachedRolePolicies, in)
}
func (f *fakeIAM) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	return call(f, "DetachRolePolicy", f.detachRolePolicy, in)
}
func (f *fakeIAM) ListInstanceProfilesForRole(_ context.Context, in *iam.ListInstanceProfilesForRoleInput, _ ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error) {
	return call(f, "ListInstanceProfilesForRole", f.listInstanceProfilesForRole, in)
}
func (f *fakeIAM) RemoveRoleFromInstanceProfile(_ context.Context, in *iam.RemoveRoleFromInstanceProfileInput, _ ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error) {
	return call(f, "RemoveRoleFromInstanceProfile", f.removeRoleFromInstanceProfile, in)
}
func (f *fakeIAM) DeleteRole(_ context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	return call(f, "DeleteRole", f.deleteRole, in)
}
func (f *fakeIAM) CreateServiceLinkedRole(_ context.Context, in *iam.CreateServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	return call(f, "CreateServiceLinkedRole", f.createServiceLinkedRole, in)
}
func (f *fakeIAM) DeleteServiceLinkedRole(_ context.Context, in *iam.DeleteServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.DeleteServiceLinkedRoleOutput, error) {
	return call(f, "DeleteServiceLinkedRole", f.deleteServiceLinkedRole, in)
}
func (f *fakeIAM) GetServiceLinkedRoleDeletionStatus(_ context.Context, in *iam.GetServiceLinkedRoleDeletionStatusInput, _ ...func(*iam.Options)) (*iam.GetServiceLinkedRoleDeletionStatusOutput, error) {
	return call(f, "GetServiceLinkedRoleDeletionStatus", f.getSLRDeletionStatus, in)
}
