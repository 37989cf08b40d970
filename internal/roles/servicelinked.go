// The Q Business service-linked role AWSServiceRoleForQBusiness: created only
// when absent, adopted otherwise, and deleted only when this resource made it.

package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/schema"
	"github.com/qbrole/qbrole/internal/wait"
)

// serviceLinkedRoleKind is RoleType ServiceLinkedRole: no properties of its
// own, and no documents qbrole writes (AWS owns the role's policy).
var serviceLinkedRoleKind = roleKind{
	page: `Amazon Q Business User Guide, "Using service-linked roles for Amazon Q Business", ` +
		"https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html",
	description: DefaultServiceLinkedRoleDesc,
}

// createServiceLinkedRole creates AWSServiceRoleForQBusiness where there is
// none, and adopts the one there is. Only a role that this request's own
// CreateServiceLinkedRole answered with is this resource's. One that exists
// already (made by another stack, or by Q Business itself for an application
// created without a RoleArn), one IAM says is taken, and one that is there
// after a call whose answer was lost are adopted: an adopted role is never
// deleted. An orphaned service-linked role costs nothing; deleting someone
// else's breaks their applications. The name always comes from IAM.
func (m *Manager) createServiceLinkedRole(ctx context.Context, spec Spec) (Result, error) {
	wrap := func(err error) error {
		return fmt.Errorf("creating the service-linked role for %s: %w", schema.ServicePrincipal, err)
	}
	adopt := func(role *types.Role) (Result, error) {
		return adoptedResult(adoptedID(aws.ToString(role.RoleName)), role, spec), nil
	}
	role, err := m.findServiceLinkedRole(ctx)
	if err == nil {
		return adopt(role)
	}
	if !errors.Is(err, errNotFound) {
		return Result{}, wrap(err)
	}
	out, err := m.IAM.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{
		AWSServiceName: aws.String(schema.ServicePrincipal),
		Description:    aws.String(spec.Description),
	})
	if isAlreadyExists(err) || unknownOutcome(err) {
		role, ferr := m.findServiceLinkedRole(ctx)
		if ferr == nil {
			return adopt(role)
		}
		return Result{}, wrap(errors.Join(err, ferr))
	}
	if err != nil {
		return Result{}, wrap(err)
	}
	if out.Role == nil {
		return Result{}, wrap(errors.New("IAM returned no role"))
	}
	res := roleResult(aws.ToString(out.Role.RoleName), out.Role, Created)
	res.Changes = []string{"service-linked role"}
	return res, nil
}

// adoptedResult is the Result of a request that leaves role, an adopted
// service-linked role, under id as it is: not this resource's, so never
// changed. A Description the properties give that role does not have is not
// applied, and the note says so (the default is not asked for: no note).
func adoptedResult(id string, role *types.Role, spec Spec) Result {
	res := roleResult(id, role, Adopted)
	if spec.DescriptionGiven && aws.ToString(role.Description) != spec.Description {
		res.Note = fmt.Sprintf("%s %q not applied: the service-linked role %s is adopted, not this resource's, and is left as it is",
			schema.PropDescription, spec.Description, aws.ToString(role.RoleName))
	}
	return res
}

// isServiceLinked reports whether role is the Q Business service-linked
// role, by the path IAM gives it (schema.ServiceLinkedRolePath).
func isServiceLinked(role *types.Role) bool {
	return aws.ToString(role.Path) == schema.ServiceLinkedRolePath
}

// findServiceLinkedRole lists the roles under the Q Business service-linked
// role path; IAM allows exactly one.
func (m *Manager) findServiceLinkedRole(ctx context.Context) (*types.Role, error) {
	out, err := m.IAM.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String(schema.ServiceLinkedRolePath)})
	if err != nil {
		return nil, fmt.Errorf("listing roles under %s: %w", schema.ServiceLinkedRolePath, err)
	}
	for i := range out.Roles {
		if isServiceLinked(&out.Roles[i]) {
			return &out.Roles[i], nil
		}
	}
	return nil, fmt.Errorf("no role is listed under %s: %w", schema.ServiceLinkedRolePath, errNotFound)
}

// updateServiceLinkedRole keeps the description of a service-linked role this
// resource created; an adopted one is left as it is, its outcome Adopted
// (never Unchanged, which would say it matched), with a note when its
// Description differs from the properties'. current is the role
// under physical, nil when IAM has none: one that is gone — deleted by hand,
// or by the stack that owned it — is created or adopted again, as a Create
// would; an Update, and the rollback Update after a failed one, must not fail
// for a role that someone else removed.
func (m *Manager) updateServiceLinkedRole(ctx context.Context, spec Spec, physical string, current *types.Role) (Result, error) {
	if current == nil {
		res, err := m.createServiceLinkedRole(ctx, spec)
		if err == nil && res.Outcome == Adopted && ParsePhysicalID(physical).Kind == IDRole {
			// Someone made the role again meanwhile. A new id would make
			// CloudFormation's cleanup Delete remove it at once under the old
			// one; the resource keeps its id (see "What it leaves behind").
			res.PhysicalResourceID = physical
		}
		return res, err
	}
	if ParsePhysicalID(physical).Kind == IDAdopted {
		return adoptedResult(physical, current, spec), nil
	}
	if !isServiceLinked(current) {
		return Result{}, fmt.Errorf("updating service-linked role (%s): it is not the %s service-linked role; left untouched", physical, schema.ServicePrincipal)
	}
	if aws.ToString(current.Description) == spec.Description {
		return roleResult(physical, current, Unchanged), nil
	}
	if _, err := m.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(physical), Description: aws.String(spec.Description)}); err != nil {
		return Result{}, fmt.Errorf("updating service-linked role (%s) description: %w", physical, err)
	}
	res := roleResult(physical, current, Updated)
	res.Changes = []string{"description"}
	return res, nil
}

// deleteServiceLinkedRole asks IAM to delete the role and polls the deletion
// task. While Q Business still uses the role the task fails, and AWS's advice
// is to "wait for a few minutes and try the operation again" (Amazon Q
// Business User Guide, "Using service-linked roles for Amazon Q Business",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html);
// an application deleted
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
	attempts := 0
	inUse := func(err error) bool { return errors.As(err, new(*roleInUseError)) }
	err := wait.Retry(ctx, m.backoff(), inUse, func() error {
		attempts++
		return m.deleteServiceLinkedRoleOnce(ctx, name)
	})
	var u *roleInUseError
	if errors.As(err, &u) {
		return fmt.Errorf("deleting service-linked role (%s): IAM could not delete it (%d attempts until the function's time ran out): %s",
			name, attempts, u.usage)
	}
	return err
}

// roleInUseError is a deletion task that failed: usage says why, and what
// still uses the role.
type roleInUseError struct{ usage string }

func (e *roleInUseError) Error() string { return e.usage }

// deleteServiceLinkedRoleOnce runs one deletion task to its end: nil when the
// role is gone, a *roleInUseError when the task failed, or an error.
func (m *Manager) deleteServiceLinkedRoleOnce(ctx context.Context, name string) error {
	out, err := m.IAM.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String(name)})
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting service-linked role (%s): %w", name, err)
	}
	task := aws.ToString(out.DeletionTaskId)
	if task == "" {
		return fmt.Errorf("deleting service-linked role (%s): IAM returned no deletion task to follow", name)
	}
	return m.waitForDeletionTask(ctx, name, task)
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
