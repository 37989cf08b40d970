// Package wait spaces out the tries of an operation that waits on something
// outside the process: IAM's eventual consistency, a deletion task, an HTTP
// endpoint. Sleep pauses until a duration passes or a context ends; Retry
// calls a function again, after a doubling pause (Backoff), while its error
// is one worth retrying and the context lasts; RetryFor does so for at most a
// timeout.
//
// Every pause ends early when the context does, and every retry returns the
// operation's last error, not the context's: the caller says what ran out.
// The package knows nothing of AWS or CloudFormation.
package wait

import (
	"context"
	"math"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// Sleep pauses for d, or until ctx ends: then it returns ctx.Err(). A ctx
// that has already ended returns at once, whatever d is; a d that is not
// positive does not pause.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return smithytime.SleepWithContext(ctx, d)
}

// Backoff spaces the tries of Retry: the first pause is Delay, and each one
// after it twice the one before, at most Max. A Max of 0 does not cap the
// pause; a Max equal to Delay polls at a fixed interval.
type Backoff struct {
	// Delay is the first pause, between the first try and the second.
	Delay time.Duration
	// Max is the longest pause; 0 means no cap.
	Max time.Duration
}

// next is the pause after one of d: twice d, at most b.Max (when set) and
// never past the largest Duration.
func (b Backoff) next(d time.Duration) time.Duration {
	if d > math.MaxInt64/2 {
		d = math.MaxInt64
	} else {
		d *= 2
	}
	if b.Max > 0 {
		d = min(d, b.Max)
	}
	return d
}

// sleep is Sleep; the package's tests replace it to see the pauses without
// taking them.
var sleep = Sleep

// Retry calls fn until it returns nil or an error retryable does not accept,
// pausing between calls as b says, or until ctx ends during a pause. It
// returns fn's last error: nil; the error retryable refused; or, when ctx
// ended, the error before it, which retryable accepted, so asking retryable
// again tells a caller why Retry stopped. fn is called at least once, also
// when ctx has ended, and decides itself which context its work runs under.
//
// A limit on the number of tries belongs in retryable, with fn counting
// them: func(err error) bool { return tries < 5 && isTransient(err) }.
func Retry(ctx context.Context, b Backoff, retryable func(error) bool, fn func() error) error {
	delay := b.Delay
	for {
		err := fn()
		if err == nil || !retryable(err) {
			return err
		}
		if sleep(ctx, delay) != nil {
			return err
		}
		delay = b.next(delay)
	}
}

// RetryFor is Retry for at most timeout, and no longer than ctx lasts: after
// that it makes no further call. When timeout is not positive fn is called
// once. The timeout bounds the pauses only; fn's calls run under whatever
// context fn uses.
func RetryFor(ctx context.Context, timeout time.Duration, b Backoff, retryable func(error) bool, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return Retry(ctx, b, retryable, fn)
}
