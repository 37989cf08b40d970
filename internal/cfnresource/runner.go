package cfnresource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// Runner answers each event exactly once.
type Runner struct {
	Handler Handler
	Sender  Sender
	// FailedCreateID is the PhysicalResourceId of a Create whose Handler
	// failed before it named anything: the rollback's Delete is sent with it,
	// so the Handler must read it as naming nothing. It is required: a Runner
	// without it carries out no request, answers each FAILED with the
	// request's own PhysicalResourceId (for a Create, one that names nothing:
	// "cfnresource:unconfigured-runner:" and the RequestId) and a Reason
	// naming the missing field, and Run returns that error.
	FailedCreateID func(requestID string) string
	// Logger gets one line per event; nil means slog.Default().
	Logger *slog.Logger
}

// errNoFailedCreateID is the answer of a Runner without FailedCreateID.
var errNoFailedCreateID = errors.New("cfnresource.Runner.FailedCreateID is not set, so the request was not carried out")

// Run decodes raw, runs the Handler and sends one response. It returns the
// response it sent (nil when the event could not be answered at all) and an
// error when the response could not be delivered or FailedCreateID is not set.
func (r *Runner) Run(ctx context.Context, raw []byte) (*cfn.Response, error) {
	start := time.Now()
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	ev, decodeErr := Decode(raw)
	if decodeErr != nil && ev.ResponseURL == "" {
		// Outcome and Changes as on every line: nothing was done.
		log.Error("event cannot be answered", "Outcome", string(Failed), "Changes", []string{}, "error", decodeErr.Error())
		return nil, fmt.Errorf("%w; no ResponseURL to answer", decodeErr)
	}

	deadline := Deadline(ctx, ev, start)
	margin := answerMargin(time.Until(deadline))
	var res Result
	var err error
	var panicStack string
	switch {
	case r.FailedCreateID == nil:
		err = errNoFailedCreateID
	case decodeErr != nil:
		err = decodeErr
	default:
		res, panicStack, err = r.handle(ctx, ev, deadline.Add(-margin), deadline.Add(-margin/2))
	}

	resp := &cfn.Response{
		Status:             cfn.StatusSuccess,
		RequestID:          ev.RequestID,
		LogicalResourceID:  ev.LogicalResourceID,
		StackID:            ev.StackID,
		PhysicalResourceID: r.answerID(ev, res.PhysicalResourceID),
		Data:               res.Data,
	}
	if err != nil {
		res.Outcome = Failed
		resp.Status = cfn.StatusFailed
		resp.Reason = cleanReason(err.Error(), maxReason)
		resp.Data = nil
	}
	fit(resp)

	sendErr := r.Sender.Send(ctx, ev.ResponseURL, resp)
	attrs := logAttrs(ev, resp, res, panicStack, time.Since(start))
	if sendErr != nil {
		log.Error("response not delivered", append(attrs, "error", sendErr.Error())...)
	} else {
		log.Info("request answered", attrs...)
	}
	if r.FailedCreateID == nil {
		return resp, errors.Join(errNoFailedCreateID, sendErr)
	}
	return resp, sendErr
}

// logAttrs are the fields of the one log line per event. Every line has
// Changes, an empty list when the request made no change, so that a query
// over the lines finds the field in each; Note, Reason and PanicStack only
// when there is one.
func logAttrs(ev cfn.Event, resp *cfn.Response, res Result, panicStack string, took time.Duration) []any {
	changes := res.Changes
	if changes == nil {
		changes = []string{}
	}
	attrs := []any{
		"RequestType", string(ev.RequestType), "StackId", ev.StackID, "LogicalResourceId", ev.LogicalResourceID,
		"RequestId", ev.RequestID, "PhysicalResourceId", resp.PhysicalResourceID, "Status", string(resp.Status),
		"Outcome", string(res.Outcome), "Changes", changes, "ResponseURL", redactURL(ev.ResponseURL), "DurationMs", took.Milliseconds(),
	}
	if res.Note != "" {
		attrs = append(attrs, "Note", res.Note)
	}
	if resp.Reason != "" {
		attrs = append(attrs, "Reason", resp.Reason)
	}
	if panicStack != "" {
		attrs = append(attrs, "PanicStack", panicStack)
	}
	return attrs
}

// handle runs the Handler with a context ending at soft, recovers a panic
// (returning its stack for the log), and gives up waiting at hard, so that a
// Handler stuck outside its context still gets a FAILED answer in time.
func (r *Runner) handle(ctx context.Context, ev cfn.Event, soft, hard time.Time) (Result, string, error) {
	type outcome struct {
		res   Result
		err   error
		stack string
	}
	work, cancel := context.WithDeadline(context.WithValue(ctx, graceKey{}, hard), soft)
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{Result{}, fmt.Errorf("internal error: %v", p), string(debug.Stack())}
			}
		}()
		res, err := r.Handler.Handle(work, ev)
		if err != nil && errors.Is(err, context.DeadlineExceeded) && work.Err() != nil {
			err = fmt.Errorf("the function's time ran out before the request was carried out (%w); the stack can be retried", err)
		}
		done <- outcome{res, err, ""}
	}()
	timer := time.NewTimer(time.Until(hard))
	defer timer.Stop()
	select {
	case o := <-done:
		return o.res, o.stack, o.err
	case <-timer.C:
		return Result{}, "", errors.New("timed out: the function's deadline came before the request finished")
	case <-ctx.Done():
		return Result{}, "", fmt.Errorf("cancelled: %w", ctx.Err())
	}
}
