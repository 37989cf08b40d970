package cfnverify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/wait"
)

// StackResource is what DescribeStackResource tells of one resource of a
// stack (CloudFormation API Reference, "StackResourceDetail",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDetail.html).
type StackResource struct {
	StackID, LogicalResourceID, PhysicalResourceID, ResourceType, ResourceStatus string
}

// Stack is what DescribeStacks tells of a stack: its id and StackStatus.
type Stack struct {
	StackID, StackStatus string
}

// Stacks reads CloudFormation: Client over its API, a function-typed fake in
// unit tests. Both take the stack's unique id (its ARN), which also names a
// deleted stack ("DescribeStackResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html).
// An error of CloudFormation's (*APIError) with Code ValidationError means
// the stack or its resource does not exist.
type Stacks interface {
	DescribeStackResource(ctx context.Context, stackID, logicalID string) (StackResource, error)
	DescribeStack(ctx context.Context, stackID string) (Stack, error)
}

// DefaultSettle is how long Check keeps re-reading CloudFormation before a
// refusal by status stands. AWS does not document how soon
// DescribeStackResource shows the status CloudFormation set before it sent
// the request, so a genuine request is never refused on one read; a forged
// one is refused this much later.
const DefaultSettle = 10 * time.Second

// settleDelay spaces the re-reads of the settle time.
var settleDelay = wait.Backoff{Delay: 500 * time.Millisecond, Max: 2 * time.Second}

// Verifier checks requests against CloudFormation (see the package doc).
type Verifier struct {
	// Stacks reads CloudFormation with the function's credentials.
	Stacks Stacks
	// FunctionARN is the function's ARN (a qualified one is taken without
	// its qualifier): its account and Region are the only ones served, and
	// it is the only ServiceToken accepted.
	FunctionARN string
	// Settle is how long a refusal by status is re-read before it stands;
	// 0 means DefaultSettle.
	Settle time.Duration
	// Skip, when set, names the requests that do nothing whatever they say,
	// which are let through unchecked: the resource's handler knows them (a
	// Delete naming no role). A rollback's Delete of a Create that failed at
	// its check then cannot fail at its own, whatever made the Create fail.
	Skip func(cfn.Event) bool
}

// ErrRefused is in the error of every request Check refuses as not sent by
// CloudFormation; other errors mean CloudFormation could not be read.
var ErrRefused = errors.New("refused: CloudFormation did not send this request")

// Handler is h behind v: a request that v refuses, or that v cannot check,
// is answered FAILED with v's reason, and h never sees it. h's context
// carries what v found (VerdictOf). A nil v is h.
func Handler(v *Verifier, h cfnresource.Handler) cfnresource.Handler {
	if v == nil {
		return h
	}
	return cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		verdict, err := v.Check(ctx, ev)
		if err != nil {
			return cfnresource.Result{}, err
		}
		return h.Handle(context.WithValue(ctx, verdictKey{}, verdict), ev)
	})
}

// Verdict is what Check found of a request it let through.
type Verdict struct {
	// OldID: a Delete of an id that is not the resource's current one, let
	// through on the stack's status alone — a replaced resource's cleanup,
	// which CloudFormation's state cannot tie to the id the request names.
	OldID bool
}

type verdictKey struct{}

// VerdictOf is the Verdict on the request a Handler's context carries; false
// when the request was not checked.
func VerdictOf(ctx context.Context) (Verdict, bool) {
	v, ok := ctx.Value(verdictKey{}).(Verdict)
	return v, ok
}

// Check returns a nil error when CloudFormation shows ev as one of its own
// requests in progress (see the statuses below), with what it found; an
// error wrapping ErrRefused when it does not; any other error when
// CloudFormation could not be read (then nothing may act on ev either). It
// makes one DescribeStackResource call, and a DescribeStacks call when the
// resource's status does not decide (a Delete of an old id, a failed
// resource); a refusal by status, and AccessDenied, are re-read for up to
// Settle. Transient failures are Stacks' to retry (Client: while ctx lasts).
func (v *Verifier) Check(ctx context.Context, ev cfn.Event) (Verdict, error) {
	if v.Skip != nil && v.Skip(ev) {
		return Verdict{}, nil
	}
	fn, err := parseFunctionARN(v.FunctionARN)
	if err != nil {
		return Verdict{}, fmt.Errorf("checking the request against CloudFormation: %w", err)
	}
	if err := fn.checkServiceToken(ev.ResourceProperties); err != nil {
		return Verdict{}, err
	}
	if err := fn.checkStackID(ev.StackID); err != nil {
		return Verdict{}, err
	}
	settle := v.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	var verdict Verdict
	err = wait.RetryFor(ctx, settle, settleDelay, mayLift, func() error {
		var err error
		verdict, err = v.read(ctx, ev)
		return err
	})
	return verdict, err
}

// read judges ev by CloudFormation's state now.
func (v *Verifier) read(ctx context.Context, ev cfn.Event) (Verdict, error) {
	res, err := v.Stacks.DescribeStackResource(ctx, ev.StackID, ev.LogicalResourceID)
	if err != nil {
		return Verdict{}, readError("DescribeStackResource", ev, err)
	}
	if err := sameResource(ev, res); err != nil {
		return Verdict{}, err
	}
	del := ev.RequestType == cfn.RequestDelete
	// In any letter case: a handler may read ids as IAM reads names, case
	// aside, and the resource's live id in another case is no old id.
	current := !del || strings.EqualFold(ev.PhysicalResourceID, res.PhysicalResourceID)
	if current && sentUnder[ev.RequestType][res.ResourceStatus] {
		return Verdict{}, nil
	}
	if current && decisive(res.ResourceStatus) {
		return Verdict{}, refuse(false, "%s: resource %s of stack %s (under %s) is %s; CloudFormation sends it %s requests only while it is %s",
			what(ev), ev.LogicalResourceID, ev.StackID, res.PhysicalResourceID, res.ResourceStatus, ev.RequestType, sentUnderNames(ev.RequestType))
	}
	st, err := v.Stacks.DescribeStack(ctx, ev.StackID)
	if err != nil {
		return Verdict{}, readError("DescribeStacks", ev, err)
	}
	if allowed := stackAllows(ev.RequestType, current); !allowed[st.StackStatus] {
		return Verdict{}, refuse(false, "%s: resource %s is %s under %s and stack %s is %s; CloudFormation sends it %s requests only while the stack is %s",
			what(ev), ev.LogicalResourceID, res.ResourceStatus, res.PhysicalResourceID, ev.StackID, st.StackStatus, ev.RequestType, names(allowed))
	}
	return Verdict{OldID: !current}, nil
}

// sameResource checks that CloudFormation described the event's stack, and
// a resource of the event's type, which is a custom resource:
// "AWS::CloudFormation::CustomResource or Custom::String" (CloudFormation
// Template Reference, "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html),
// whose type an update cannot change ("You can't change the type during an
// update": CloudFormation User Guide, "Update requests",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
// Another provider's custom resource being deployed is no window for a
// request of this resource type.
func sameResource(ev cfn.Event, res StackResource) error {
	if res.StackID != ev.StackID {
		return refuse(true, "CloudFormation describes stack %s, the request names %s", res.StackID, ev.StackID)
	}
	if res.ResourceType != "AWS::CloudFormation::CustomResource" && !strings.HasPrefix(res.ResourceType, "Custom::") {
		return refuse(true, "resource %s of stack %s is a %s, not a custom resource", ev.LogicalResourceID, ev.StackID, res.ResourceType)
	}
	if res.ResourceType != ev.ResourceType {
		return refuse(true, "resource %s of stack %s is a %s, the request names a %s", ev.LogicalResourceID, ev.StackID, res.ResourceType, ev.ResourceType)
	}
	return nil
}

// readError is the error of a read that failed: a stack or resource that does
// not exist refuses the request (a later read may find a resource); anything
// else leaves it unchecked.
func readError(call string, ev cfn.Event, err error) error {
	var api *APIError
	if errors.As(err, &api) && api.Code == "ValidationError" {
		// A stack exists, under its id, before any of its requests is sent
		// (and a deleted one is still described): one that does not is final.
		final := strings.HasPrefix(api.Message, "Stack with id")
		return refuse(final, "%s: CloudFormation has no resource %s in stack %s (%s)",
			what(ev), ev.LogicalResourceID, ev.StackID, api.Message)
	}
	return fmt.Errorf("checking the request against CloudFormation (%s %s, %s): %w; nothing was done", call, ev.StackID, ev.LogicalResourceID, err)
}

// mayLift tells an error that a later read of CloudFormation may lift: a
// refusal by status, or AccessDenied, which the function meets while IAM has
// not yet propagated the policy that lets it read (deployed after the code
// that reads, since it names the function).
func mayLift(err error) bool {
	var r *refusal
	var api *APIError
	return errors.As(err, &r) && !r.final || errors.As(err, &api) && api.Code == "AccessDenied"
}

// refusal is a request refused; a final one no later read can lift.
type refusal struct {
	msg   string
	final bool
}

func (r *refusal) Error() string        { return ErrRefused.Error() + ": " + r.msg }
func (r *refusal) Is(target error) bool { return target == ErrRefused }

func refuse(final bool, format string, a ...any) error {
	return &refusal{msg: fmt.Sprintf(format, a...), final: final}
}

// what names the request: "Create", or "Update of ID", "Delete of ID".
func what(ev cfn.Event) string {
	if ev.RequestType == cfn.RequestCreate {
		return string(ev.RequestType)
	}
	return fmt.Sprintf("%s of %s", ev.RequestType, ev.PhysicalResourceID)
}

// The statuses a request is sent under: a resource is CREATE_IN_PROGRESS
// from when its creation starts ("Understand CloudFormation stack creation
// events",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-resource-configuration-complete.html),
// UPDATE_IN_PROGRESS while it is updated, also when a rollback updates it
// back ("Monitor the progress of a stack update",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html;
// UPDATE_ROLLBACK_IN_PROGRESS, a status the API lists for resources too, is
// taken alike), and DELETE_IN_PROGRESS while it is removed (CloudFormation
// User Guide, "View CloudFormation stack events", "Stack status codes",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html).
var sentUnder = map[cfn.RequestType]map[string]bool{
	cfn.RequestCreate: {"CREATE_IN_PROGRESS": true},
	cfn.RequestUpdate: {"UPDATE_IN_PROGRESS": true, "UPDATE_ROLLBACK_IN_PROGRESS": true},
	cfn.RequestDelete: {"DELETE_IN_PROGRESS": true},
}

func sentUnderNames(rt cfn.RequestType) string { return names(sentUnder[rt]) }

// decisive tells the resource statuses that show it at rest, retained, or in
// another request's progress: a request for it is refused on them. On any
// other — failed, rolling back, or one AWS may add — the stack's status
// decides (stackAllows), since AWS does not document under which resource
// status CloudFormation retries or rolls back a failed resource ("Choose how
// to handle failures when provisioning resources": resources without a last
// known stable state are deleted, or rolled back, in the next stack
// operation,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html).
func decisive(status string) bool {
	switch status {
	case "CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "DELETE_SKIPPED":
		return true
	}
	return strings.HasSuffix(status, "_COMPLETE")
}

// stackAllows is the stack statuses under which CloudFormation sends a
// request of type rt that the resource's status did not decide.
//
// A Delete of an id that is not the resource's current one is a cleanup
// ("CloudFormation … sends a delete request to the old resource" after a
// replacement: "Delete requests",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html),
// which happens only while the stack is deleted, rolled back or cleaned up
// ("Stack status codes", as above): DELETE_IN_PROGRESS ("Ongoing removal of
// one or more stacks"), ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS,
// UPDATE_COMPLETE_CLEANUP_IN_PROGRESS ("CloudFormation creates the new
// resources first and then deletes the old resources"),
// UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS ("Ongoing removal of new
// resources … after a failed stack update") and IMPORT_ROLLBACK_IN_PROGRESS.
// A failed resource's own id is deleted then too, or in the next update
// (UPDATE_IN_PROGRESS) of a stack that kept its provisioned resources. A
// failed resource is created or updated again in the stack's creation, an
// update, or an update's rollback.
func stackAllows(rt cfn.RequestType, current bool) map[string]bool {
	switch {
	case rt != cfn.RequestDelete:
		return provisions
	case current:
		return deletesOwn
	}
	return deletes
}

var (
	deletes = map[string]bool{"DELETE_IN_PROGRESS": true, "ROLLBACK_IN_PROGRESS": true, "UPDATE_ROLLBACK_IN_PROGRESS": true,
		"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": true, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": true, "IMPORT_ROLLBACK_IN_PROGRESS": true}
	deletesOwn = with(deletes, "UPDATE_IN_PROGRESS")
	provisions = map[string]bool{"CREATE_IN_PROGRESS": true, "UPDATE_IN_PROGRESS": true, "UPDATE_ROLLBACK_IN_PROGRESS": true}
)

// with is set and more.
func with(set map[string]bool, more ...string) map[string]bool {
	out := maps.Clone(set)
	for _, m := range more {
		out[m] = true
	}
	return out
}

// names lists a set's members, sorted, for a reason.
func names(set map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(set)), " or ")
}
