package cfnresource

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

func TestDeadline(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	lambda := start.Add(600 * time.Second)
	cases := []struct {
		name    string
		timeout any // the ServiceTimeout property; nil: absent
		hasDL   bool
		want    time.Time
		url     string // the ResponseURL
	}{
		{"no ServiceTimeout: the function's deadline", nil, true, lambda, ""},
		{"ServiceTimeout as CloudFormation sends it (a string)", "60", true, start.Add(60 * time.Second), ""},
		{"ServiceTimeout as a JSON number", 60.0, true, start.Add(60 * time.Second), ""},
		{"ServiceTimeout as a json.Number", json.Number("60"), true, start.Add(60 * time.Second), ""},
		{"ServiceTimeout at its minimum", "1", true, start.Add(time.Second), ""},
		{"ServiceTimeout at its maximum, later than the function's deadline", "3600", true, lambda, ""},
		{"ServiceTimeout over its maximum: ignored", "3601", true, lambda, ""},
		{"ServiceTimeout 0: ignored", "0", true, lambda, ""},
		{"ServiceTimeout not a whole number: ignored", "1.5", true, lambda, ""},
		{"ServiceTimeout not a number: ignored", "soon", true, lambda, ""},
		{"no deadline, no ServiceTimeout: 15 minutes", nil, false, start.Add(15 * time.Minute), ""},
		{"no deadline, ServiceTimeout 3600: 15 minutes", "3600", false, start.Add(15 * time.Minute), ""},
		{"no deadline, ServiceTimeout 30", "30", false, start.Add(30 * time.Second), ""},
		{"signed 20 s before the start: counted from the signing", "60", true, start.Add(40 * time.Second), signed(start.Add(-20 * time.Second))},
		{"signed 50 min before the start, no ServiceTimeout: 3600 s from the signing", nil, true, start.Add(600 * time.Second), signed(start.Add(-50 * time.Minute))},
		{"signed 55 min before the start, no ServiceTimeout: 3600 s from the signing", nil, true, start.Add(300 * time.Second), signed(start.Add(-55 * time.Minute))},
		{"signed before the ServiceTimeout (an event kept in a file): from the start", "60", true, start.Add(60 * time.Second), signed(start.Add(-61 * time.Second))},
		{"signed after the start (clocks apart): from the start", "60", true, start.Add(60 * time.Second), signed(start.Add(5 * time.Second))},
		{"X-Amz-Date not a date: from the start", "60", true, start.Add(60 * time.Second), "https://b.s3.amazonaws.com/k?X-Amz-Date=soon"},
		{"signed exactly at the start: from the start", "60", true, start.Add(60 * time.Second), signed(start)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.hasDL {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, lambda)
				defer cancel()
			}
			ev := cfn.Event{ResourceProperties: map[string]any{}, ResponseURL: c.url}
			if c.timeout != nil {
				ev.ResourceProperties["ServiceTimeout"] = c.timeout
			}
			if got := Deadline(ctx, ev, start); !got.Equal(c.want) {
				t.Errorf("Deadline = %v, want %v", got.Sub(start), c.want.Sub(start))
			}
		})
	}
}

// The runner ends the handler's context at the deadline less the margin, and
// a cleanup context outlives it until the grace period ends, before the answer.
func TestServiceTimeoutBoundsTheHandlerAndItsCleanup(t *testing.T) {
	srv := newResponseServer(t)
	var handlerDL, cleanupDL time.Time
	var fromRunner bool
	r := &Runner{Handler: HandlerFunc(func(ctx context.Context, _ cfn.Event) (Result, error) {
		handlerDL, _ = ctx.Deadline()
		cctx, cancel, ok := CleanupContext(ctx)
		defer cancel()
		fromRunner = ok
		cleanupDL, _ = cctx.Deadline()
		<-ctx.Done()
		if cctx.Err() != nil {
			t.Error("the cleanup context ended with the handler's")
		}
		return Result{PhysicalResourceID: "r"}, nil
	}), Sender: &HTTPSender{AllowLoopback: true}, FailedCreateID: failedCreateID}
	ev := event(srv.URL)
	ev["ResourceProperties"] = map[string]any{"ServiceTimeout": "2"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	resp, err := r.Run(ctx, mustJSON(t, ev))
	took := time.Since(start)
	if err != nil || resp.Status != cfn.StatusSuccess {
		t.Fatalf("response %+v, error %v", resp, err)
	}
	if !fromRunner {
		t.Fatal("CleanupContext found no grace period in the runner's context")
	}
	// ServiceTimeout 2 s: margin 1 s, handler until 1 s, grace until 1.5 s.
	if d := handlerDL.Sub(start); d < 900*time.Millisecond || d > 1100*time.Millisecond {
		t.Errorf("handler deadline %v after the start, want about 1 s", d)
	}
	if d := cleanupDL.Sub(handlerDL); d < 400*time.Millisecond || d > 600*time.Millisecond {
		t.Errorf("cleanup deadline %v after the handler's, want about 0.5 s", d)
	}
	if took > 2*time.Second {
		t.Errorf("answered after %v, over the ServiceTimeout", took)
	}
}

func TestCleanupContextOutsideARunner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cctx, ccancel, ok := CleanupContext(ctx)
	defer ccancel()
	if ok || cctx != ctx {
		t.Errorf("CleanupContext outside a runner = %v, %v; want ctx itself and false", cctx, ok)
	}
}

// signed is a pre-signed S3 URL signed at t.
func signed(t time.Time) string {
	return "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=" +
		t.UTC().Format("20060102T150405Z") + "&X-Amz-Signature=SECRET"
}
