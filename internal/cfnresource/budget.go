package cfnresource

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// The time a request may take is the earlier of two ends: the function's
// deadline (Lambda stops it then) and the custom resource's ServiceTimeout,
// the "maximum time, in seconds, that can elapse before a custom resource
// operation times out", an integer from 1 to 3600, 3600 by default
// (CloudFormation Template Reference, "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html).
// CloudFormation's clock starts when it sends the request, a little before
// the invocation starts; the margin kept for answering covers the difference.
const (
	minServiceTimeout = 1
	maxServiceTimeout = 3600
)

// noDeadline is the time a request may take when the context has none (the
// command line) and its properties name no ServiceTimeout.
const noDeadline = 15 * time.Minute

// Deadline is when the answer to ev is due, for an invocation that started at
// start under ctx: the earlier of ctx's deadline (none: start plus 15 minutes)
// and start plus the ServiceTimeout in ev's ResourceProperties, when that is a
// whole number of seconds from 1 to 3600 (CloudFormation sends it as a string;
// any other value is ignored, as CloudFormation refuses it before sending).
func Deadline(ctx context.Context, ev cfn.Event, start time.Time) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(noDeadline)
	}
	if s, ok := serviceTimeout(ev.ResourceProperties); ok {
		deadline = minTime(deadline, start.Add(time.Duration(s)*time.Second))
	}
	return deadline
}

// serviceTimeout reads the ServiceTimeout property in seconds.
func serviceTimeout(props map[string]any) (int, bool) {
	var s string
	switch v := props["ServiceTimeout"].(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		s = v.String()
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minServiceTimeout || n > maxServiceTimeout {
		return 0, false
	}
	return n, true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// answerMargin is the time kept back from the deadline for answering: a tenth
// of the time left, at least 1 s, at most 10 s, and never more than half of it
// (a ServiceTimeout of 1 s still leaves the handler half a second). The
// handler's context ends one margin before the deadline; the runner waits for
// it half a margin more (the grace period, for undoing a half-made
// replacement), then answers.
func answerMargin(remaining time.Duration) time.Duration {
	return min(max(remaining/10, time.Second), 10*time.Second, remaining/2)
}

// graceKey carries the end of the grace period in a handler's context.
type graceKey struct{}

// CleanupContext is for undoing a half-made change after ctx, a handler's
// context, has ended: a context that ctx's end does not cancel, which ends
// when the runner stops waiting for the handler (the grace period). ok is
// false when ctx comes from no Runner; the caller then chooses its own bound.
func CleanupContext(ctx context.Context) (cctx context.Context, cancel context.CancelFunc, ok bool) {
	grace, ok := ctx.Value(graceKey{}).(time.Time)
	if !ok {
		return ctx, func() {}, false
	}
	cctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), grace)
	return cctx, cancel, true
}
