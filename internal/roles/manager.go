package roles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
)

// DefaultCleanupTimeout bounds the cleanup a failed replacement does after the
// request's own time ran out, when no cfnresource.Runner gives the grace
// period (a Manager called directly).
const DefaultCleanupTimeout = 3 * time.Second

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

// Handle carries out one CloudFormation request. It returns a Result even
// with an error: the PhysicalResourceId to answer the failure with once a
// role may exist, "" while it named nothing (the caller then answers with the
// resource's current id or, for a Create, FailedCreateID's marker), and the
// writes made before the failure.
func (m *Manager) Handle(ctx context.Context, ev cfn.Event) (Result, error) {
	stack, err := ParseStackID(ev.StackID)
	if err != nil {
		return Result{}, err
	}
	switch ev.RequestType {
	case cfn.RequestCreate:
		return m.create(ctx, ev, stack)
	case cfn.RequestUpdate:
		return m.update(ctx, ev, stack)
	case cfn.RequestDelete:
		return m.delete(ctx, ev, stack)
	default:
		return Result{}, fmt.Errorf("unknown RequestType %q (want Create, Update or Delete)", ev.RequestType)
	}
}

func (m *Manager) create(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return Result{}, err
	}
	if spec.Type == ServiceLinkedRole {
		return m.createServiceLinkedRole(ctx, spec)
	}
	name := orDefault(spec.Name, GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID))
	res, created, err := m.createApplicationRole(ctx, spec, name)
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

// update decides from the PhysicalResourceId and the role IAM holds under it,
// not from OldResourceProperties alone: in the rollback Update after a failed
// one, the "old" properties are the ones that failed and never applied.
func (m *Manager) update(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return Result{}, err
	}
	id := ParsePhysicalID(physical)
	if id.Kind == IDFailedCreate || id.Kind == IDFailedCreateRole {
		return Result{}, fmt.Errorf("updating %s: the resource's Create failed, so there is no role to update", physical)
	}
	// The old properties passed validation when they were applied; a spec
	// with errors still carries the values that did parse.
	old, _ := ParseSpec(ev.OldResourceProperties, stack, ev.LogicalResourceID)
	current, err := m.roleUnder(ctx, id)
	if err != nil {
		return Result{}, err
	}
	wasServiceLinked := id.Kind == IDAdopted || current != nil && aws.ToString(current.Path) == SLRPath ||
		current == nil && old.Type == ServiceLinkedRole
	if spec.Type == ServiceLinkedRole {
		if wasServiceLinked {
			return m.updateServiceLinkedRole(ctx, spec, physical, current)
		}
		// A new role of the other type (here and below); CloudFormation
		// deletes the old one.
		return m.createServiceLinkedRole(ctx, spec)
	}
	generated := GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	if wasServiceLinked {
		return m.replaceApplicationRole(ctx, spec, orDefault(spec.Name, generated))
	}
	if id.Kind != IDRole {
		// Not a role's name (an id CloudFormation made up, an earlier
		// version's marker): nothing to keep, a new role.
		return m.replaceApplicationRole(ctx, spec, orDefault(spec.Name, generated))
	}
	name, err := updatedRoleName(spec, old, physical, current, generated)
	// Someone else's role under the id (the resource's was deleted, and the
	// name taken) is never changed; a replacement leaves it alone, and the
	// cleanup Delete skips it.
	if current != nil && !owns(current, spec.Owner) && (err != nil || name == physical) {
		return Result{}, fmt.Errorf("updating IAM role (%s): it exists and is not managed by this stack; left untouched "+
			"(give RoleName another name, or leave it out to get a generated one)", physical)
	}
	if err != nil {
		return Result{}, err
	}
	if name != physical {
		return m.replaceApplicationRole(ctx, spec, name)
	}
	if current == nil {
		// Deleted outside CloudFormation: put it back.
		res, _, err := m.createApplicationRole(ctx, spec, name)
		return res, err
	}
	return m.reconcile(ctx, spec, current)
}

// roleUnder is the role a role-name or adopted id names; nil when IAM has
// none, or the id names no role.
func (m *Manager) roleUnder(ctx context.Context, id PhysicalID) (*types.Role, error) {
	if id.Kind != IDRole && id.Kind != IDAdopted {
		return nil, nil
	}
	r, err := findRole(ctx, m.IAM, id.RoleName)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading IAM role (%s): %w", id.RoleName, err)
	}
	return r, nil
}

// updatedRoleName is the name the application role has after an Update from
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

// cleanupContext is for undoing a half-made replacement after the request's
// own time ran out: under a cfnresource.Runner, until the runner's grace
// period ends; elsewhere, for CleanupTimeout.
func (m *Manager) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if cctx, cancel, ok := cfnresource.CleanupContext(ctx); ok {
		return cctx, cancel
	}
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
