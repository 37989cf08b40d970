package roles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
)

// Outcome is what a request did, as Result.Outcome reports it.
type Outcome = cfnresource.Outcome

// Outcomes of a request.
const (
	Created   Outcome = "created"   // a new role
	Adopted   Outcome = "adopted"   // the service-linked role existed; it is never deleted by this resource
	Updated   Outcome = "updated"   // an existing role was changed to match the properties
	Unchanged Outcome = "unchanged" // the role already matched; no IAM write
	Deleted   Outcome = "deleted"   // the role is gone (or was already)
	Retained  Outcome = "retained"  // OnDelete: Retain kept the role
	Skipped   Outcome = "skipped"   // the physical id is not a role this resource owns; nothing touched
	Failed            = cfnresource.Failed
)

// DefaultCleanupTimeout bounds the cleanup a failed replacement does after the
// request's own time ran out (the runner keeps time for it before answering).
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

// Result is what a request produced: the PhysicalResourceId to answer with
// (on failure too), the Data attributes (Arn, RoleName, RoleId), the Outcome
// and the changes made.
type Result = cfnresource.Result

// Handle carries out one CloudFormation request. It returns a Result even with
// an error, so the FAILED response carries the right PhysicalResourceId: the
// role's name once one may exist, else the id the resource had (for a Create,
// the failed-create marker), and the writes made before the failure.
func (m *Manager) Handle(ctx context.Context, ev cfn.Event) (Result, error) {
	res, err := m.handle(ctx, ev)
	if err != nil {
		res.Outcome, res.Data = Failed, nil
	}
	res.PhysicalResourceID = cfnresource.AnswerID(ev, res.PhysicalResourceID)
	return res, err
}

func (m *Manager) handle(ctx context.Context, ev cfn.Event) (Result, error) {
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
	res, _, err := m.createApplicationRole(ctx, spec, name)
	return res, err
}

func (m *Manager) update(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	physical := ev.PhysicalResourceID
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return Result{}, err
	}
	if ParsePhysicalID(physical).Kind == IDFailedCreate {
		return Result{}, fmt.Errorf("updating %s: the resource's Create failed, so there is no role to update", physical)
	}
	// The old properties passed validation when they were applied; a spec
	// with errors still carries the values that did parse.
	old, _ := ParseSpec(ev.OldResourceProperties, stack, ev.LogicalResourceID)
	if spec.Type == ServiceLinkedRole {
		if old.Type == ServiceLinkedRole {
			return m.updateServiceLinkedRole(ctx, spec, physical)
		}
		// A new role of the other type (here and below); CloudFormation
		// deletes the old one.
		return m.createServiceLinkedRole(ctx, spec)
	}
	generated := GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	if spec.Type != old.Type {
		return m.replaceApplicationRole(ctx, spec, orDefault(spec.Name, generated))
	}
	name, err := updatedRoleName(spec, old, physical, generated)
	if err != nil {
		return Result{}, err
	}
	if name != physical {
		return m.replaceApplicationRole(ctx, spec, name)
	}
	return m.updateApplicationRole(ctx, spec, name)
}

// updatedRoleName is the name the application role has after an Update from
// old to spec: physical when it can stay, else a new one (generated is the
// name to generate), as CloudFormation replaces an AWS::IAM::Role.
func updatedRoleName(spec, old Spec, physical, generated string) (string, error) {
	name := physical
	if spec.Name != "" {
		name = spec.Name
	} else if old.Name != "" || spec.Path != old.Path {
		// The custom name was removed, or a generated-name role needs
		// replacing: a new generated name.
		name = generated
	}
	if name == physical && spec.Path != old.Path {
		return "", fmt.Errorf("updating IAM role (%s): changing Path from %q to %q needs a new role, "+
			"but a new role cannot have the same RoleName; change RoleName too, or remove it so that a name is generated",
			physical, old.Path, spec.Path)
	}
	return name, nil
}

// updateApplicationRole brings the role that keeps its name to spec.
func (m *Manager) updateApplicationRole(ctx context.Context, spec Spec, name string) (Result, error) {
	role, err := findRole(ctx, m.IAM, name)
	if errors.Is(err, errNotFound) {
		// Deleted outside CloudFormation: put it back.
		res, _, err := m.createApplicationRole(ctx, spec, name)
		return res, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("reading IAM role (%s): %w", name, err)
	}
	if !owns(role, spec.Owner) {
		return Result{}, fmt.Errorf("updating IAM role (%s): it exists and is not managed by this stack; left untouched", name)
	}
	return m.reconcile(ctx, spec, role)
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
