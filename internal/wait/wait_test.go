package wait

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// errAgain is an error the tests' retryable accepts; errFatal one it refuses.
var (
	errAgain = errors.New("again")
	errFatal = errors.New("fatal")
)

// recordPauses replaces the package's sleep for the test: it records each
// pause instead of taking it, and from the pause numbered endAt on (1-based;
// 0: never) answers as a context that has ended.
func recordPauses(t *testing.T, endAt int) *[]time.Duration {
	t.Helper()
	var pauses []time.Duration
	sleep = func(_ context.Context, d time.Duration) error {
		pauses = append(pauses, d)
		if endAt > 0 && len(pauses) >= endAt {
			return context.DeadlineExceeded
		}
		return nil
	}
	t.Cleanup(func() { sleep = Sleep })
	return &pauses
}

// failing is an fn that fails with errs in turn, then succeeds; calls counts
// its calls. Each error is wrapped with its call's number, so a test sees
// which call's error came back.
func failing(errs []error, calls *int) func() error {
	return func() error {
		*calls++
		if *calls > len(errs) {
			return nil
		}
		return fmt.Errorf("call %d: %w", *calls, errs[*calls-1])
	}
}

func again(n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = errAgain
	}
	return errs
}

func isAgain(err error) bool { return errors.Is(err, errAgain) }

func TestRetry(t *testing.T) {
	const s = time.Second
	cases := []struct {
		name      string
		b         Backoff
		errs      []error // fn's errors in turn, then nil
		endAt     int     // the pause during which ctx ends; 0: never
		wantCalls int
		wantErr   string // "": nil
		wantPause []time.Duration
	}{
		{"success at once: no pause", Backoff{Delay: s, Max: 10 * s}, nil, 0, 1, "", nil},
		{"retryable errors, then success", Backoff{Delay: s, Max: 10 * s}, again(2), 0, 3, "", []time.Duration{s, 2 * s}},
		{"an error retryable refuses ends it at once", Backoff{Delay: s}, []error{errAgain, errFatal, errAgain}, 0, 2, "call 2: fatal", []time.Duration{s}},
		{"doubling stops at Max", Backoff{Delay: s, Max: 10 * s}, again(6), 0, 7, "",
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}},
		{"Max equal to Delay: a fixed interval", Backoff{Delay: 5 * s, Max: 5 * s}, again(3), 0, 4, "",
			[]time.Duration{5 * s, 5 * s, 5 * s}},
		{"no Max: doubling without a cap", Backoff{Delay: 250 * time.Millisecond}, again(4), 0, 5, "",
			[]time.Duration{250 * time.Millisecond, 500 * time.Millisecond, s, 2 * s}},
		{"Delay over Max: the next pause is Max", Backoff{Delay: 20 * s, Max: 10 * s}, again(2), 0, 3, "",
			[]time.Duration{20 * s, 10 * s}},
		{"ctx ends during a pause: fn's last error, no further call", Backoff{Delay: s, Max: 10 * s}, again(5), 2, 2, "call 2: again",
			[]time.Duration{s, 2 * s}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pauses := recordPauses(t, c.endAt)
			calls := 0
			err := Retry(context.Background(), c.b, isAgain, failing(c.errs, &calls))
			if got := fmt.Sprint(err); (err == nil) != (c.wantErr == "") || err != nil && got != c.wantErr {
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
			if calls != c.wantCalls {
				t.Errorf("%d calls, want %d", calls, c.wantCalls)
			}
			if !slices.Equal(*pauses, c.wantPause) {
				t.Errorf("pauses %v, want %v", *pauses, c.wantPause)
			}
		})
	}
}

// A limit on the tries, kept in retryable, ends Retry with the last try's
// error and no pause after it; asking retryable again then says the tries
// ran out, where after an ended ctx it says the error was retryable.
func TestRetryWithATryLimit(t *testing.T) {
	for _, c := range []struct {
		name         string
		endAt        int
		wantCalls    int
		wantPauses   int
		wantCtxEnded bool
	}{
		{"tries spent", 0, 5, 4, false},
		{"ctx ended first", 3, 3, 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			pauses := recordPauses(t, c.endAt)
			calls := 0
			retryable := func(err error) bool { return calls < 5 && isAgain(err) }
			err := Retry(context.Background(), Backoff{Delay: time.Second}, retryable, failing(again(10), &calls))
			if want := fmt.Sprintf("call %d: again", c.wantCalls); fmt.Sprint(err) != want {
				t.Errorf("error %v, want %q", err, want)
			}
			if calls != c.wantCalls || len(*pauses) != c.wantPauses {
				t.Errorf("%d calls and %d pauses, want %d and %d", calls, len(*pauses), c.wantCalls, c.wantPauses)
			}
			if retryable(err) != c.wantCtxEnded {
				t.Errorf("retryable(last error) = %v, want %v", retryable(err), c.wantCtxEnded)
			}
		})
	}
}

// The real Sleep, with pauses of a millisecond at most.
func TestSleep(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithTimeout(context.Background(), -time.Second)
	defer cancelExpired()
	for _, c := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"a short pause", context.Background(), time.Millisecond, nil},
		{"no pause", context.Background(), 0, nil},
		{"a negative pause", context.Background(), -time.Second, nil},
		{"ctx canceled: at once, whatever d", ended, time.Hour, context.Canceled},
		{"ctx past its deadline: at once", expired, time.Hour, context.DeadlineExceeded},
		{"ctx ended, no pause asked: still ctx's error", ended, 0, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := sleepWithin(t, c.ctx, c.d); !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
				t.Errorf("Sleep = %v, want %v", err, c.want)
			}
		})
	}
}

// A ctx that ends during a pause ends the pause.
func TestSleepEndsWithCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(time.Millisecond)
		cancel()
	}()
	if err := sleepWithin(t, ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want %v", err, context.Canceled)
	}
}

// sleepWithin runs Sleep and fails the test if it has not returned after a
// minute: a pause of an hour that a canceled ctx did not end.
func sleepWithin(t *testing.T, ctx context.Context, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, d) }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("Sleep(%v) did not return", d)
		return nil
	}
}

// RetryFor, with the real Sleep: a timeout that is not positive, or a ctx
// that has ended, allows one call; a timeout that runs out ends the calls and
// returns fn's last error, not the context's.
func TestRetryFor(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name    string
		ctx     context.Context
		timeout time.Duration
		oneCall bool // else at least one
	}{
		{"zero timeout: one call", context.Background(), 0, true},
		{"negative timeout: one call", context.Background(), -time.Second, true},
		{"ctx ended: one call", ended, time.Hour, true},
		{"timeout runs out", context.Background(), 5 * time.Millisecond, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			fn := func() error { calls++; return fmt.Errorf("call %d: %w", calls, errAgain) }
			err := RetryFor(c.ctx, c.timeout, Backoff{Delay: time.Millisecond, Max: time.Millisecond}, isAgain, fn)
			if calls < 1 || c.oneCall && calls != 1 {
				t.Errorf("%d calls, want one%s", calls, map[bool]string{false: " or more"}[c.oneCall])
			}
			if want := fmt.Sprintf("call %d: again", calls); fmt.Sprint(err) != want {
				t.Errorf("error %v, want the last call's, %q", err, want)
			}
		})
	}
}

// The doubling never wraps around past the largest Duration.
func TestBackoffNextSaturates(t *testing.T) {
	for _, c := range []struct {
		b    Backoff
		d    time.Duration
		want time.Duration
	}{
		{Backoff{}, math.MaxInt64/2 + 1, math.MaxInt64},
		{Backoff{}, math.MaxInt64, math.MaxInt64},
		{Backoff{Max: time.Hour}, math.MaxInt64, time.Hour},
		{Backoff{}, math.MaxInt64 / 2, math.MaxInt64 - 1},
	} {
		if got := c.b.next(c.d); got != c.want {
			t.Errorf("%+v.next(%d) = %d, want %d", c.b, c.d, got, c.want)
		}
	}
}
