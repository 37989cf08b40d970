package roles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/schema"
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

// create makes the role the properties ask for: the service-linked role
// (created, or adopted when it exists), or a role qbrole owns (every other
// type) under RoleName or a generated name.
func (m *Manager) create(ctx context.Context, ev cfn.Event, stack Stack) (Result, error) {
	spec, err := ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		return Result{}, err
	}
	if spec.Type == schema.ServiceLinkedRole {
		return m.createServiceLinkedRole(ctx, spec)
	}
	return m.createOwnedRole(ctx, spec, orDefault(spec.Name, GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)))
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
	wasSLR := wasServiceLinked(id, current, old)
	if spec.Type == schema.ServiceLinkedRole {
		if wasSLR {
			return m.updateServiceLinkedRole(ctx, spec, physical, current)
		}
		// A new role of the other type (here and below); CloudFormation
		// deletes the old one.
		return m.createServiceLinkedRole(ctx, spec)
	}
	generated := GeneratedRoleName(stack, ev.LogicalResourceID, ev.RequestID)
	if wasSLR {
		return m.replaceOwnedRole(ctx, spec, orDefault(spec.Name, generated))
	}
	return m.updateOwnedRole(ctx, spec, old, id, current, generated)
}

// wasServiceLinked reports whether the resource's role before an Update is
// the service-linked role: an adopted one (by its id), the role under the id
// (by its path), or, when IAM has no role under the id, the one the old
// properties asked for.
func wasServiceLinked(id PhysicalID, current *types.Role, old Spec) bool {
	switch {
	case id.Kind == IDAdopted:
		return true
	case current != nil:
		return isServiceLinked(current)
	default:
		return old.Type == schema.ServiceLinkedRole
	}
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
	if DeletesNothing(physical) {
		return Result{PhysicalResourceID: physical, Outcome: Skipped}, nil
	}
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
		spec.OnDelete = schema.DeleteRole
	}
	if errors.Is(err, errNotFound) {
		return Result{PhysicalResourceID: physical, Outcome: Deleted}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("deleting IAM role (%s): reading it: %w", id.RoleName, err)
	}
	// Only a role's name can be the id of a service-linked role this
	// resource created; the marker of a failed Create names a role qbrole owns.
	mayBeCreatedSLR := id.Kind == IDRole
	var outcome Outcome
	var changes []string
	remove := func() error {
		var writes []string
		outcome, writes, err = m.removeRole(ctx, role, mayBeCreatedSLR, spec.Owner, spec.OnDelete)
		changes = append(changes, writes...)
		return err
	}
	if id.Kind == IDFailedCreateRole {
		err = m.deleteFreshRole(ctx, m.freshWindow(id.Moment), remove)
	} else {
		err = remove()
	}
	if err != nil {
		return Result{Changes: changes}, err
	}
	return Result{PhysicalResourceID: physical, Outcome: outcome, Changes: changes}, nil
}

// removeRole deletes role, found under a PhysicalResourceId, if it is this
// resource's (ownedByResource) and onDelete does not retain it.
// It names the IAM writes it made, also when it fails.
func (m *Manager) removeRole(ctx context.Context, role *types.Role, mayBeCreatedSLR bool, owner Owner, onDelete schema.OnDelete) (Outcome, []string, error) {
	if !ownedByResource(role, mayBeCreatedSLR, owner) {
		return Skipped, nil, nil
	}
	if onDelete == schema.RetainRole {
		return Retained, nil, nil
	}
	name := aws.ToString(role.RoleName)
	if isServiceLinked(role) {
		if err := m.deleteServiceLinkedRole(ctx, name); err != nil {
			return Deleted, nil, err
		}
		return Deleted, []string{roleDeleted}, nil
	}
	writes, err := m.deleteOwnedRole(ctx, name)
	return Deleted, writes, err
}

// roleDeleted is a Delete's last write in its Changes.
const roleDeleted = "role (deleted)"

// ownedByResource reports whether role, found under a PhysicalResourceId of the
// resource, is the resource's own, which its Delete may remove. The
// service-linked role carries no ownership tags: it is the resource's only
// when the id may name one the resource created (mayBeCreatedSLR), which a
// role-name id does only when this resource's own CreateServiceLinkedRole
// answered with it. A role qbrole owns is the resource's when it carries
// owner's tags.
func ownedByResource(role *types.Role, mayBeCreatedSLR bool, owner Owner) bool {
	if isServiceLinked(role) {
		return mayBeCreatedSLR
	}
	return owns(role, owner)
}

// isForeign reports whether role exists and is not owner's: someone else's
// role, which this resource never changes.
func isForeign(role *types.Role, owner Owner) bool {
	return role != nil && !owns(role, owner)
}

// owns reports whether role carries o's ownership tags: TagStackID and
// TagLogicalID with o's values.
func owns(role *types.Role, o Owner) bool {
	stack, logical := ownerTags(role)
	return stack == o.StackID && logical == o.LogicalResourceID
}

// ownerTags are the values of role's ownership tags, "" where it has none.
func ownerTags(role *types.Role) (stack, logical string) {
	for _, t := range role.Tags {
		switch aws.ToString(t.Key) {
		case schema.TagStackID:
			stack = aws.ToString(t.Value)
		case schema.TagLogicalID:
			logical = aws.ToString(t.Value)
		}
	}
	return stack, logical
}

// notOwnedError is the refusal to touch role, found under name and not o's;
// verb says what was refused ("creating", "updating"). A role of o's stack
// under another logical id gets its own reason, naming that id, since "not
// managed by this stack" would be untrue: a resource renamed in the
// template, as in the move to a shared provider, where a new logical id is
// the only way to another ServiceToken ("Updates aren't supported":
// CloudFormation Template Reference, "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html).
// The new resource's Create runs before the old one's Delete, so the old one
// still holds the role. Ownership cannot move between resources: the
// execution role may not change the ownership tags (internal/execrole).
func notOwnedError(verb, name string, role *types.Role, o Owner) error {
	stack, logical := ownerTags(role)
	if stack == o.StackID && logical != "" && logical != o.LogicalResourceID {
		advice := fmt.Sprintf("give %s another RoleName, or none to get a generated one, and deploy again", o.LogicalResourceID)
		// A Create under a new logical id may be a rename; an Update that
		// keeps its name meets the role another resource took after this
		// one's was deleted, where no logical id is to be kept.
		if verb == "creating" {
			advice += fmt.Sprintf("; a change of ServiceToken, such as the move to a shared provider, needs the new "+
				"logical id; a mere rename in the template can keep the logical id %s instead", logical)
		}
		return fmt.Errorf("%s IAM role (%s): it belongs to %s, another resource of this same stack, not to %s; "+
			"left untouched, as a role cannot move from one resource to another (%s)", verb, name, logical, o.LogicalResourceID, advice)
	}
	return fmt.Errorf("%s IAM role (%s): it exists and is not managed by this stack; left untouched "+
		"(choose another RoleName, or leave RoleName out to get a generated one)", verb, name)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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
