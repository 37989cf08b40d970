package roles

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
)

// Outcomes of a request, as Result.Outcome reports them.
const (
	Created   = "created"   // a new role
	Adopted   = "adopted"   // the service-linked role existed; it is never deleted by this resource
	Updated   = "updated"   // an existing role was changed to match the properties
	Unchanged = "unchanged" // the role already matched; no IAM write
	Deleted   = "deleted"   // the role is gone (or was already)
	Retained  = "retained"  // OnDelete: Retain kept the role
	Skipped   = "skipped"   // the physical id is not a role this resource owns; nothing touched
	Failed    = "failed"
)

// adoptedPrefix marks a service-linked role this resource did not create
// (it holds ':', which no role name may, so it never names a real role).
const adoptedPrefix = "qbrole:adopted:"

// DefaultCleanupTimeout bounds the cleanup a failed replacement does after the
// request's own time ran out (the runner keeps time for it before answering).
const DefaultCleanupTimeout = 3 * time.Second

// AdoptedID is the PhysicalResourceId of a service-linked role this resource
// did not create: a Delete of it never deletes the role.
func AdoptedID(roleName string) string { return adoptedPrefix + roleName }

// Default timings; Manager's zero fields take these.
const (
	// DefaultPropagationTimeout bounds every retry on IAM's eventual
	// consistency errors ("Invalid principal in policy", ConcurrentModification,
	// DeleteConflict) and the wait until a new role is visible. The Lambda's
	// deadline bounds it further.
	DefaultPropagationTimeout = 2 * time.Minute
	// DefaultRetryDelay is the first pause between such retries; it doubles up to 10 s.
	DefaultRetryDelay = time.Second
	// DefaultPollInterval is the pause between GetServiceLinkedRoleDeletionStatus calls.
	DefaultPollInterval = 5 * time.Second
)

// Manager carries out CloudFormation's requests for Custom::QBusinessRole
// against IAM: it reads the actual role, compares it with the desired one and
// acts only on the difference.
type Manager struct {
	IAM                IAM
	PropagationTimeout time.Duration
	RetryDelay         time.Duration
	PollInterval       time.Duration
	CleanupTimeout     time.Duration
}

// Result is what a request produced: the PhysicalResourceId to answer with
// (on failure too), the Data attributes (Arn, RoleName, RoleId), the Outcome
// and the changes made.
type Result = cfnresource.Result

// Handle carries out one CloudFormation request. It returns a Result even with
// an error, so the FAILED response carries the right PhysicalResourceId.
func (m *Manager) Handle(ctx context.Context, ev cfn.Event) (Result, error) {
	stack, err := ParseStackID(ev.StackID)
	if err != nil {
		return Result{PhysicalResourceID: orDefault(ev.PhysicalResourceID, cfnresource.FailedCreateID(ev.RequestID)), Outcome: Failed}, err
	}
	switch ev.RequestType {
	case cfn.RequestCreate:
		return m.create(ctx, ev, stack)
	case cfn.RequestUpdate:
		return m.update(ctx, ev, stack)
	case cfn.RequestDelete:
		return m.delete(ctx, ev, stack)
	default:
		return Result{PhysicalResourceID: orDefault(ev.PhysicalResourceID, cfnresource.FailedCreateID(ev.RequestID)), Outcome: Failed},
			fmt.Errorf("unknown RequestType %q (want Create, Update or Delete)", ev.RequestType)
	}
}

func (m *Manager) create(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	failed := Result{PhysicalResourceID: cfnresource.FailedCreateID(ev.RequestID), Outcome: Failed}
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return failed, err
	}
	if spec.Type == ServiceLinkedRole {
		return m.createServiceLinkedRole(ctx, spec, failed)
	}
	name := orDefault(spec.Name, GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID))
	res, _, err := m.createApplicationRole(ctx, spec, name, failed)
	return res, err
}

func (m *Manager) update(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	failed := Result{PhysicalResourceID: physical, Outcome: Failed}
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return failed, err
	}
	// The old properties passed validation when they were applied; a spec
	// with errors still carries the values that did parse.
	old, _ := ParseSpec(ev.OldResourceProperties, stack, ev.LogicalResourceID)
	if cfnresource.IsFailedCreateID(physical) {
		return failed, fmt.Errorf("updating %s: the resource's Create failed, so there is no role to update", physical)
	}

	if spec.Type != old.Type {
		// A new role of the other type; CloudFormation deletes the old one.
		if spec.Type == ServiceLinkedRole {
			return m.createServiceLinkedRole(ctx, spec, failed)
		}
		name := orDefault(spec.Name, GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID))
		return m.replaceApplicationRole(ctx, spec, name, failed)
	}
	if spec.Type == ServiceLinkedRole {
		return m.updateServiceLinkedRole(ctx, spec, physical)
	}

	name := physical
	switch {
	case spec.Name != "":
		name = spec.Name
	case old.Name != "" || spec.Path != old.Path:
		// The custom name was removed, or a generated-name role needs replacing:
		// a new generated name, as CloudFormation does.
		name = GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	}
	if name != physical || spec.Path != old.Path {
		if name == physical {
			return failed, fmt.Errorf("updating IAM role (%s): changing Path from %q to %q needs a new role, "+
				"but a new role cannot have the same RoleName; change RoleName too, or remove it so that a name is generated",
				physical, old.Path, spec.Path)
		}
		return m.replaceApplicationRole(ctx, spec, name, failed)
	}

	role, err := findRole(ctx, m.IAM, name)
	if errors.Is(err, errNotFound) {
		// Deleted outside CloudFormation: put it back.
		res, _, err := m.createApplicationRole(ctx, spec, name, failed)
		return res, err
	}
	if err != nil {
		return failed, fmt.Errorf("reading IAM role (%s): %w", name, err)
	}
	if !owns(role, spec.Owner) {
		return failed, fmt.Errorf("updating IAM role (%s): it exists and is not managed by this stack; left untouched", name)
	}
	res, err := m.reconcile(ctx, spec, role)
	if err != nil {
		return failed, err
	}
	return res, nil
}

// replaceApplicationRole creates the replacement role. If that fails after the
// new role exists (or may exist), the new role is removed again, even when the
// request's own time has run out: CloudFormation keeps the old physical id
// after a failed Update and would never delete the new one.
func (m *Manager) replaceApplicationRole(ctx context.Context, spec Spec, name string, failed Result) (Result, error) {
	res, created, err := m.createApplicationRole(ctx, spec, name, failed)
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
	return failed, err
}

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

// createApplicationRole creates the role and its inline policy and waits until
// IAM shows it. created says whether this call made (or may have made) the role. If the name is
// taken by a role of this same resource (a retried delivery of the same
// Create), that role is reconciled instead; a role of anyone else is refused.
func (m *Manager) createApplicationRole(ctx context.Context, spec Spec, name string, failed Result) (Result, bool, error) {
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
	err := retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), isPropagationError, func() error {
		_, err := m.IAM.CreateRole(ctx, input)
		return err
	})
	if isAlreadyExists(err) {
		// IAM says the role exists (perhaps made by this very call, whose
		// first answer was lost and which the SDK sent again): it may still
		// not show it for a while.
		role, ferr := m.waitForRole(ctx, name)
		if ferr != nil {
			return failed, false, fmt.Errorf("creating IAM role (%s): it exists, and reading it failed: %w", name, ferr)
		}
		if !owns(role, spec.Owner) {
			return failed, false, fmt.Errorf("creating IAM role (%s): it exists and is not managed by this stack; "+
				"left untouched (choose another RoleName, or leave RoleName out to get a generated one)", name)
		}
		res, err := m.reconcile(ctx, spec, role)
		if err != nil {
			res = Result{PhysicalResourceID: name, Outcome: Failed}
		}
		return res, false, err
	}
	if unknownOutcome(err) {
		// IAM may have made the role: answer with its name. The rollback's
		// Delete removes it only if it carries this resource's ownership tags.
		return Result{PhysicalResourceID: name, Outcome: Failed}, true, fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	if err != nil {
		return failed, false, fmt.Errorf("creating IAM role (%s): %w", name, err)
	}
	// From here on the role exists: a failure still answers with its name, so
	// that the rollback's Delete removes it and nothing is orphaned.
	failed = Result{PhysicalResourceID: name, Outcome: Failed}
	role, err := m.waitForRole(ctx, name)
	if err != nil {
		return failed, true, err
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
		return failed, true, err
	}
	return Result{PhysicalResourceID: name, Data: roleData(role), Outcome: Created}, true, nil
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

// errNoARNYet is a role IAM shows without its ARN yet.
var errNoARNYet = errors.New("IAM does not give the role's ARN yet")

// waitForRole waits until GetRole sees a role that was just created, with its
// ARN: right after CreateRole, GetRole has been seen to answer the role's
// unique id (AROA…) where the ARN belongs (Terraform's AWS provider waits it
// out; AWS's documentation is silent), and the Arn attribute must be an ARN.
func (m *Manager) waitForRole(ctx context.Context, name string) (*types.Role, error) {
	var role *types.Role
	notYet := func(err error) bool { return errors.Is(err, errNotFound) || errors.Is(err, errNoARNYet) }
	err := retryWhile(ctx, m.propagationTimeout(), m.retryDelay(), notYet,
		func() error {
			r, err := findRole(ctx, m.IAM, name)
			if err == nil && !strings.HasPrefix(aws.ToString(r.Arn), "arn:") {
				return errNoARNYet
			}
			role = r
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("waiting for IAM role (%s) to become visible: %w", name, err)
	}
	return role, nil
}

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

func (m *Manager) delete(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	skipped := Result{PhysicalResourceID: physical, Outcome: Skipped}
	switch {
	case cfnresource.IsFailedCreateID(physical):
		return skipped, nil
	case strings.HasPrefix(physical, adoptedPrefix):
		// An adopted service-linked role is never deleted, whatever OnDelete says.
		return skipped, nil
	case !roleNamePattern.MatchString(physical):
		// An id CloudFormation made up after a lost response (no such role), or
		// an earlier version's marker of a service-linked role it could not
		// prove its own (qbrole:slr-pending:…): nothing this resource may delete.
		return skipped, nil
	}
	// The properties were valid when applied; only RoleType and OnDelete matter here.
	spec, _ := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)

	role, err := m.findRoleToDelete(ctx, physical)
	if errors.Is(err, errNotFound) {
		return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
	}
	if err != nil {
		return Result{PhysicalResourceID: physical, Outcome: Failed}, fmt.Errorf("deleting IAM role (%s): reading it: %w", physical, err)
	}
	isSLR := aws.ToString(role.Path) == SLRPath
	switch {
	case isSLR != (spec.Type == ServiceLinkedRole):
		return skipped, nil
	case !isSLR && !owns(role, spec.Owner):
		return skipped, nil
	case spec.OnDelete == RetainRole:
		return Result{PhysicalResourceID: physical, Outcome: Retained}, nil
	}
	if isSLR {
		err = m.deleteServiceLinkedRole(ctx, physical)
	} else {
		err = m.deleteApplicationRole(ctx, physical)
	}
	if err != nil {
		return Result{PhysicalResourceID: physical, Outcome: Failed}, err
	}
	return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
}

// deleteApplicationRole deletes the inline policies, then the role. If IAM
// answers DeleteConflict it detaches managed policies, removes the role from
// instance profiles, deletes inline policies added meanwhile, and tries again
// until the propagation timeout. NoSuchEntity anywhere counts as done.
func (m *Manager) deleteApplicationRole(ctx context.Context, name string) error {
	wrap := func(err error) error { return fmt.Errorf("deleting IAM role (%s): %w", name, err) }
	if err := m.deleteInlinePolicies(ctx, name); err != nil {
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

func (m *Manager) deleteInlinePolicies(ctx context.Context, name string) error {
	names, err := m.inlinePolicyNames(ctx, name)
	if err != nil {
		return err
	}
	for _, p := range names {
		_, err := m.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)})
		if err != nil && !isNoSuchEntity(err) {
			return fmt.Errorf("deleting inline policy %s: %w", p, err)
		}
	}
	return nil
}

// clearAttachments removes what keeps IAM from deleting a role besides its
// inline policies: managed policies and instance profiles.
func (m *Manager) clearAttachments(ctx context.Context, name string) error {
	if err := m.deleteInlinePolicies(ctx, name); err != nil {
		return err
	}
	arns, err := m.attachedPolicyARNs(ctx, name)
	if err != nil {
		return err
	}
	for _, arn := range arns {
		_, err := m.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		if err != nil && !isNoSuchEntity(err) {
			return fmt.Errorf("detaching managed policy %s: %w", arn, err)
		}
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

// createServiceLinkedRole creates AWSServiceRoleForQBusiness where there is
// none, and adopts the one there is. Only a role that this request's own
// CreateServiceLinkedRole answered with is this resource's. One that exists
// already (made by another stack, or by Q Business itself for an application
// created without a RoleArn), one IAM says is taken, and one that is there
// after a call whose answer was lost are adopted: an adopted role is never
// deleted. An orphaned service-linked role costs nothing; deleting someone
// else's breaks their applications. The name always comes from IAM.
func (m *Manager) createServiceLinkedRole(ctx context.Context, spec Spec, failed Result) (Result, error) {
	wrap := func(err error) error {
		return fmt.Errorf("creating the service-linked role for %s: %w", ServicePrincipal, err)
	}
	adopt := func(role *types.Role) (Result, error) {
		return Result{PhysicalResourceID: AdoptedID(aws.ToString(role.RoleName)), Data: roleData(role), Outcome: Adopted}, nil
	}
	role, err := m.findServiceLinkedRole(ctx)
	if err == nil {
		return adopt(role)
	}
	if !errors.Is(err, errNotFound) {
		return failed, wrap(err)
	}
	out, err := m.IAM.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{
		AWSServiceName: aws.String(ServicePrincipal),
		Description:    aws.String(spec.Description),
	})
	if isAlreadyExists(err) || unknownOutcome(err) {
		role, ferr := m.findServiceLinkedRole(ctx)
		if ferr == nil {
			return adopt(role)
		}
		return failed, wrap(errors.Join(err, ferr))
	}
	if err != nil {
		return failed, wrap(err)
	}
	if out.Role == nil {
		return failed, wrap(errors.New("IAM returned no role"))
	}
	return Result{PhysicalResourceID: aws.ToString(out.Role.RoleName), Data: roleData(out.Role), Outcome: Created}, nil
}

// findServiceLinkedRole lists the roles under the Q Business service-linked
// role path; IAM allows exactly one.
func (m *Manager) findServiceLinkedRole(ctx context.Context) (*types.Role, error) {
	out, err := m.IAM.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String(SLRPath)})
	if err != nil {
		return nil, fmt.Errorf("listing roles under %s: %w", SLRPath, err)
	}
	for i := range out.Roles {
		if aws.ToString(out.Roles[i].Path) == SLRPath {
			return &out.Roles[i], nil
		}
	}
	return nil, fmt.Errorf("no role is listed under %s: %w", SLRPath, errNotFound)
}

// updateServiceLinkedRole keeps the description of a service-linked role this
// resource created; an adopted one is left as it is.
func (m *Manager) updateServiceLinkedRole(ctx context.Context, spec Spec, physical string) (Result, error) {
	failed := Result{PhysicalResourceID: physical, Outcome: Failed}
	if name, ok := strings.CutPrefix(physical, adoptedPrefix); ok {
		role, err := findRole(ctx, m.IAM, name)
		if err != nil {
			return failed, fmt.Errorf("reading service-linked role (%s): %w", name, err)
		}
		return Result{PhysicalResourceID: physical, Data: roleData(role), Outcome: Unchanged}, nil
	}
	role, err := findRole(ctx, m.IAM, physical)
	if errors.Is(err, errNotFound) {
		return m.createServiceLinkedRole(ctx, spec, failed)
	}
	if err != nil {
		return failed, fmt.Errorf("reading service-linked role (%s): %w", physical, err)
	}
	if aws.ToString(role.Path) != SLRPath {
		return failed, fmt.Errorf("updating service-linked role (%s): it is not the %s service-linked role; left untouched", physical, ServicePrincipal)
	}
	if aws.ToString(role.Description) == spec.Description {
		return Result{PhysicalResourceID: physical, Data: roleData(role), Outcome: Unchanged}, nil
	}
	if _, err := m.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(physical), Description: aws.String(spec.Description)}); err != nil {
		return failed, fmt.Errorf("updating service-linked role (%s) description: %w", physical, err)
	}
	return Result{PhysicalResourceID: physical, Data: roleData(role), Outcome: Updated, Changes: []string{"description"}}, nil
}

// deleteServiceLinkedRole asks IAM to delete the role and polls the deletion
// task. While Q Business still uses the role the task fails, and AWS's advice
// is to "wait for a few minutes and try the operation again" (Amazon Q
// Business User Guide, "Using service-linked roles"); an application deleted
// in the same stack deletion lets go of the role shortly after. So a failed
// task is retried — a new DeleteServiceLinkedRole, polled again — with
// backoff until ctx's deadline (the Lambda's, less a margin); only then does
// it fail, with the last list of what still uses the role.
func (m *Manager) deleteServiceLinkedRole(ctx context.Context, name string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.propagationTimeout())
		defer cancel()
	}
	delay := m.retryDelay()
	for attempt := 1; ; attempt++ {
		failure, err := m.deleteServiceLinkedRoleOnce(ctx, name)
		if err != nil || failure == "" {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("deleting service-linked role (%s): IAM could not delete it (%d attempts until the function's time ran out): %s",
				name, attempt, failure)
		case <-t.C:
		}
		delay = min(delay*2, maxRetryDelay)
	}
}

// deleteServiceLinkedRoleOnce runs one deletion task to its end: it returns
// the task's failure reason, "" when the role is gone, or an error.
func (m *Manager) deleteServiceLinkedRoleOnce(ctx context.Context, name string) (string, error) {
	out, err := m.IAM.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String(name)})
	if isNoSuchEntity(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("deleting service-linked role (%s): %w", name, err)
	}
	task := aws.ToString(out.DeletionTaskId)
	if task == "" {
		return "", fmt.Errorf("deleting service-linked role (%s): IAM returned no deletion task to follow", name)
	}
	for {
		st, err := m.IAM.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(task)})
		if err != nil {
			return "", fmt.Errorf("deleting service-linked role (%s): reading deletion task %s: %w", name, task, err)
		}
		switch st.Status {
		case types.DeletionTaskStatusTypeSucceeded:
			return "", nil
		case types.DeletionTaskStatusTypeFailed:
			return usageReason(st.Reason), nil
		}
		t := time.NewTimer(m.pollInterval())
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("deleting service-linked role (%s): deletion task %s still %s when the function's time ran out; "+
				"IAM carries on with it, retry the delete to see its result", name, task, st.Status)
		case <-t.C:
		}
	}
}

// usageReason lists the regions and resources that still use the role.
func usageReason(r *types.DeletionTaskFailureReasonType) string {
	if r == nil {
		return "no reason given"
	}
	var b strings.Builder
	b.WriteString(orDefault(aws.ToString(r.Reason), "no reason given"))
	if len(r.RoleUsageList) > 0 {
		b.WriteString("; still used by:")
		for _, u := range r.RoleUsageList {
			fmt.Fprintf(&b, " %s: %s;", aws.ToString(u.Region), strings.Join(u.Resources, ", "))
		}
	}
	return strings.TrimSuffix(b.String(), ";")
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

func iamTags(tags []Tag) []types.Tag {
	out := make([]types.Tag, len(tags))
	for i, t := range tags {
		out[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
}

func roleData(r *types.Role) map[string]any {
	return map[string]any{
		"Arn":      aws.ToString(r.Arn),
		"RoleName": aws.ToString(r.RoleName),
		"RoleId":   aws.ToString(r.RoleId),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// unknownOutcome reports whether a failed IAM call may still have happened:
// IAM did not answer with an error of its own (a timeout, a broken connection).
func unknownOutcome(err error) bool {
	return err != nil && errorCode(err) == ""
}

// cleanupContext outlives ctx by CleanupTimeout, for undoing a half-made
// replacement after the request's own time ran out.
func (m *Manager) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := m.CleanupTimeout
	if d <= 0 {
		d = DefaultCleanupTimeout
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

func (m *Manager) propagationTimeout() time.Duration {
	if m.PropagationTimeout > 0 {
		return m.PropagationTimeout
	}
	return DefaultPropagationTimeout
}

func (m *Manager) retryDelay() time.Duration {
	if m.RetryDelay > 0 {
		return m.RetryDelay
	}
	return DefaultRetryDelay
}

func (m *Manager) pollInterval() time.Duration {
	if m.PollInterval > 0 {
		return m.PollInterval
	}
	return DefaultPollInterval
}
