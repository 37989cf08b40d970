package cfnverify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/wait"
)

// TestRefusedWithoutReading: a wrong ServiceToken or a stack outside the
// function's account, Region or partition is refused before CloudFormation
// is read; the function's own ARN may be invoked qualified.
func TestRefusedWithoutReading(t *testing.T) {
	cases := []struct {
		name, function, token, stack string
		ok                           bool
		reason                       string
	}{
		{name: "own unqualified ARN", function: fnARN, token: fnARN, stack: stackID, ok: true},
		{name: "invoked by alias, token unqualified", function: fnARN + ":live", token: fnARN, stack: stackID, ok: true},
		{name: "token names an alias", function: fnARN, token: fnARN + ":live", stack: stackID, ok: true},
		{name: "token names a version", function: fnARN, token: fnARN + ":7", stack: stackID, ok: true},
		{name: "another function", function: fnARN, token: fnARN + "-other", stack: stackID, reason: `ServiceToken "` + fnARN + `-other" is not this function`},
		{name: "another function, name as prefix with colon", function: fnARN, token: fnARN + ":a:b", stack: stackID, reason: "is not this function"},
		{name: "empty qualifier", function: fnARN, token: fnARN + ":", stack: stackID, reason: "is not this function"},
		{name: "no ServiceToken", function: fnARN, stack: stackID, reason: `ServiceToken ""`},
		{name: "an SNS topic", function: fnARN, token: "arn:aws:sns:us-east-1:123456789012:qbrole", stack: stackID, reason: "is not this function"},
		{name: "stack of another account", function: fnARN, token: fnARN, stack: strings.Replace(stackID, "123456789012", "210987654321", 1),
			reason: "is in account 210987654321, Region us-east-1 (aws); this function serves account 123456789012, Region us-east-1 (aws) only"},
		{name: "stack of another Region", function: fnARN, token: fnARN, stack: strings.Replace(stackID, "us-east-1", "eu-west-1", 1), reason: "Region eu-west-1"},
		{name: "stack of another partition", function: fnARN, token: fnARN, stack: strings.Replace(stackID, "aws:", "aws-cn:", 1), reason: "(aws-cn)"},
		{name: "StackId is a name", function: fnARN, token: fnARN, stack: "app", reason: `StackId "app" is not a CloudFormation stack ARN`},
		{name: "StackId is another ARN", function: fnARN, token: fnARN, stack: "arn:aws:cloudformation:us-east-1:123456789012:stackset/x:1", reason: "is not a CloudFormation stack ARN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &stacksFunc{resource: resourceIs("CREATE_IN_PROGRESS", "")}
			ev := event(cfn.RequestCreate, "")
			ev.StackID = c.stack
			ev.ResourceProperties = map[string]any{}
			if c.token != "" {
				ev.ResourceProperties["ServiceToken"] = c.token
			}
			err := (&Verifier{Stacks: s, FunctionARN: c.function}).check(context.Background(), ev)
			if c.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("error %v, want a refusal saying %q", err, c.reason)
			}
			if len(s.reads) != 0 {
				t.Errorf("read CloudFormation: %q", s.reads)
			}
		})
	}
}

func TestFunctionARNMustBeALambdaFunction(t *testing.T) {
	for _, arn := range []string{"", "qbrole", "arn:aws:lambda:us-east-1:123456789012:layer:x", "arn:aws:sns:us-east-1:123456789012:function:x",
		"arn:aws:lambda::123456789012:function:x", "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:lambda:us-east-1:123456789012:function:x:1:2"} {
		err := (&Verifier{Stacks: &stacksFunc{}, FunctionARN: arn}).check(context.Background(), event(cfn.RequestCreate, ""))
		if err == nil || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "is not a Lambda function ARN") {
			t.Errorf("function ARN %q: error %v", arn, err)
		}
		if _, err := New(awsConfig(), arn, ""); err == nil {
			t.Errorf("New accepted function ARN %q", arn)
		}
	}
}

// TestSettleLiftsAStaleStatus: a status that shows the request in progress on
// a later read, within Settle, lets it through; a refusal that no read can
// lift is not re-read.
func TestSettleLiftsAStaleStatus(t *testing.T) {
	settleDelay = wait.Backoff{Delay: time.Millisecond, Max: time.Millisecond}
	statuses := []string{"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"}
	s := &stacksFunc{}
	s.resource = func() (StackResource, error) {
		return resourceIs(statuses[min(len(s.reads), len(statuses))-1], "r-1")()
	}
	if err := (&Verifier{Stacks: s, FunctionARN: fnARN, Settle: time.Minute}).check(context.Background(), event(cfn.RequestUpdate, "r-1")); err != nil {
		t.Fatalf("refused after the status caught up: %v", err)
	}
	if len(s.reads) != 3 {
		t.Errorf("reads %d, want 3", len(s.reads))
	}

	start := time.Now()
	s = &stacksFunc{resource: resourceIs("UPDATE_COMPLETE", "r-1")}
	err := (&Verifier{Stacks: s, FunctionARN: fnARN, Settle: 50 * time.Millisecond}).check(context.Background(), event(cfn.RequestUpdate, "r-1"))
	if !errors.Is(err, ErrRefused) || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %v, want a refusal after about Settle", err, time.Since(start))
	}
	// The context ends the settling too: the refusal stands.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = (&Verifier{Stacks: s, FunctionARN: fnARN, Settle: time.Hour}).check(ctx, event(cfn.RequestUpdate, "r-1"))
	if !errors.Is(err, ErrRefused) || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %v, want the refusal when the context ends", err, time.Since(start))
	}
}

func TestHandlerRefusesBeforeTheHandler(t *testing.T) {
	called := 0
	h := cfnresource.HandlerFunc(func(context.Context, cfn.Event) (cfnresource.Result, error) {
		called++
		return cfnresource.Result{PhysicalResourceID: "r-1"}, nil
	})
	if got := Handler(nil, h); got == nil {
		t.Fatal("Handler(nil, h) is nil")
	} else if res, err := got.Handle(context.Background(), event(cfn.RequestCreate, "")); err != nil || res.PhysicalResourceID != "r-1" || called != 1 {
		t.Fatalf("without a Verifier: %+v %v, called %d", res, err, called)
	}
	v := &Verifier{Stacks: &stacksFunc{resource: resourceIs("CREATE_COMPLETE", "r-1")}, FunctionARN: fnARN, Settle: time.Millisecond}
	res, err := Handler(v, h).Handle(context.Background(), event(cfn.RequestCreate, ""))
	if !errors.Is(err, ErrRefused) || res.PhysicalResourceID != "" || called != 1 {
		t.Fatalf("refused request: %+v %v, handler called %d times in all", res, err, called)
	}
	v.Stacks = &stacksFunc{resource: resourceIs("CREATE_IN_PROGRESS", "")}
	if res, err := Handler(v, h).Handle(context.Background(), event(cfn.RequestCreate, "")); err != nil || res.PhysicalResourceID != "r-1" || called != 2 {
		t.Fatalf("accepted request: %+v %v, called %d", res, err, called)
	}
}

func TestOn(t *testing.T) {
	for v, want := range map[string]bool{"": true, "true": true, "false": false, "FALSE": true, "0": true, "no": true} {
		if On(v) != want {
			t.Errorf("On(%q) = %v, want %v", v, !want, want)
		}
	}
}

// TestVerdict: a Delete let through on the stack's status alone, for an id
// that is not the resource's current one, is marked OldID in the handler's
// context; a Delete of the current id while it is deleted is not.
func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		name     string
		physical string
		resource func() (StackResource, error)
		oldID    bool
	}{
		{"cleanup of a replaced id", "r-old", resourceIs("UPDATE_COMPLETE", "r-new"), true},
		{"the current id, being deleted", "r-1", resourceIs("DELETE_IN_PROGRESS", "r-1"), false},
		{"the current id of a failed resource in a rollback", "r-1", resourceIs("CREATE_FAILED", "r-1"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := &Verifier{Stacks: &stacksFunc{resource: c.resource, stack: stackIs("ROLLBACK_IN_PROGRESS")}, FunctionARN: fnARN}
			var got Verdict
			var checked bool
			h := Handler(v, cfnresource.HandlerFunc(func(ctx context.Context, _ cfn.Event) (cfnresource.Result, error) {
				got, checked = VerdictOf(ctx)
				return cfnresource.Result{}, nil
			}))
			if _, err := h.Handle(context.Background(), event(cfn.RequestDelete, c.physical)); err != nil {
				t.Fatal(err)
			}
			if !checked || got.OldID != c.oldID {
				t.Errorf("verdict %+v (carried: %v), want OldID %v", got, checked, c.oldID)
			}
		})
	}
	if _, ok := VerdictOf(context.Background()); ok {
		t.Error("a context no check passed carries a verdict")
	}
}
