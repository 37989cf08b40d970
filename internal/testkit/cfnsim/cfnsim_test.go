package cfnsim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/testkit/cfnsim"
)

// A replacement's cleanup Delete is attempted three times, as CloudFormation
// does, before the old resource is given up.
func TestReplacementCleanupIsAttemptedThreeTimes(t *testing.T) {
	cases := []struct {
		name      string
		failures  int // cleanup Deletes that fail before one succeeds
		deletes   int
		abandoned bool
	}{
		{"succeeds at once", 0, 1, false},
		{"succeeds at the third attempt", 2, 3, false},
		{"fails three times: given up", 3, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := cfntest.NewResponseServer()
			defer rs.Close()
			deletes, failures := 0, c.failures
			h := cfnresource.HandlerFunc(func(_ context.Context, ev cfn.Event) (cfnresource.Result, error) {
				switch ev.RequestType {
				case cfn.RequestDelete:
					deletes++
					if failures > 0 {
						failures--
						return cfnresource.Result{Outcome: "failed"}, errors.New("still in use")
					}
					return cfnresource.Result{Outcome: "deleted"}, nil
				}
				return cfnresource.Result{PhysicalResourceID: ev.ResourceProperties["Name"].(string), Outcome: "created"}, nil
			})
			runner := &cfnresource.Runner{Handler: h, Sender: &cfnresource.HTTPSender{AllowLoopback: true, Backoff: time.Millisecond},
				FailedCreateID: func(id string) string { return "failed-create:" + id }, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
			d := &cfnsim.Driver{Invoke: func(ctx context.Context, ev []byte) error { _, err := runner.Run(ctx, ev); return err },
				Responses: rs, StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/0f0e0d0c-0b0a-4909-8807-060504030201",
				LogicalID: "R", Timeout: 5 * time.Second}
			if ok, err := d.Create(map[string]any{"Name": "old"}); !ok || err != nil {
				t.Fatalf("create: %v %v", ok, err)
			}
			if ok, err := d.Update(map[string]any{"Name": "new"}); !ok || err != nil {
				t.Fatalf("update: %v %v", ok, err)
			}
			if deletes != c.deletes || (len(d.Abandoned) == 1) != c.abandoned || d.Physical != "new" {
				t.Errorf("%d cleanup deletes, abandoned %v, physical %s; want %d deletes, abandoned %v", deletes, d.Abandoned, d.Physical, c.deletes, c.abandoned)
			}
		})
	}
}
