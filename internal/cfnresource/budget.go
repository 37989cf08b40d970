package cfnresource

import (
	"context"
	"encoding/json"
	"net/url"
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
//
// CloudFormation's clock starts when it sends the request, which may be well
// before the invocation starts: an asynchronous invocation waits in Lambda's
// queue, and Lambda retries one whose function failed. The ResponseURL is an
// S3 pre-signed URL ("CloudFormation custom resource request and response
// reference", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html)
// whose X-Amz-Date is the moment it was signed (Amazon S3 API Reference,
// "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
// AWS does not document that CloudFormation signs it when it sends the
// request, so it is taken only where it can shorten the budget and never
// end it before the invocation: a signing moment earlier than the start
// and within ServiceTimeout of it. Otherwise (events kept in files, clocks
// apart) the clock starts with the invocation.
const (
	minServiceTimeout     = 1
	maxServiceTimeout     = 3600
	defaultServiceTimeout = 3600
)

// noDeadline is the time a request may take when the context has none (the
// command line) and its properties name no ServiceTimeout.
const noDeadline = 15 * time.Minute

// Deadline is when the answer to ev is due, for an invocation that started at
// start under ctx: the earlier of ctx's deadline (none: start plus 15 minutes)
// and the ServiceTimeout in ev's ResourceProperties counted from when
// CloudFormation sent the request (see above). ServiceTimeout is a whole
// number of seconds from 1 to 3600, 3600 when absent; CloudFormation sends it
// as a string, and any other value counts as absent, as CloudFormation refuses
// it before sending. Without a deadline and a ServiceTimeout property, an
// invocation has 15 minutes.
func Deadline(ctx context.Context, ev cfn.Event, start time.Time) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(noDeadline)
	}
	s, given := serviceTimeout(ev.ResourceProperties)
	if !given {
		s = defaultServiceTimeout
	}
	timeout := time.Duration(s) * time.Second
	sent := start
	if signed, ok := signedAt(ev.ResponseURL); ok && signed.Before(start) && start.Sub(signed) < timeout {
		sent = signed
	}
	if given || sent != start {
		deadline = minTime(deadline, sent.Add(timeout))
	}
	return deadline
}

// signedAt is the X-Amz-Date of a pre-signed URL.
func signedAt(responseURL string) (time.Time, bool) {
	u, err := url.Parse(responseURL)
	if err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
	return t, err == nil
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
