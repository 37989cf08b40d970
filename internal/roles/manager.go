package roles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

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
