package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/roles"
)

// TestNewHandlerChecksUnlessSwitchedOff: in Lambda the function checks every
// request against CloudFormation unless QBROLE_VERIFY_REQUESTS is "false";
// without its own ARN it cannot check, and fails to start rather than act
// unchecked. Every endpoint is a closed loopback port: nothing leaves the
// machine.
func TestNewHandlerChecksUnlessSwitchedOff(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_CLOUDFORMATION": "http://127.0.0.1:1",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:qbrole-provider"
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))

	t.Setenv(cfnverify.SwitchEnv, "")
	if _, err := newHandler(context.Background(), logger); err == nil || !strings.Contains(err.Error(), "checking requests against CloudFormation") {
		t.Fatalf("no function ARN in the invocation: %v", err)
	}

	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: fn + ":live"})
	h, err := newHandler(ctx, logger)
	if err != nil {
		t.Fatal(err)
	}
	ev := cfn.Event{RequestType: cfn.RequestDelete, RequestID: "r", StackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
		LogicalResourceID: "Role", PhysicalResourceID: "someones-role", ResourceProperties: map[string]any{"ServiceToken": fn + "-other"}}
	if _, err := h.Handle(ctx, ev); !errors.Is(err, cfnverify.ErrRefused) || !strings.Contains(err.Error(), "is not this function") {
		t.Fatalf("a request with another ServiceToken: %v", err)
	}
	if strings.Contains(log.String(), "not checked") {
		t.Errorf("warned with the check on: %s", log.String())
	}

	t.Setenv(cfnverify.SwitchEnv, "false")
	if _, err := newHandler(context.Background(), logger); err != nil {
		t.Fatalf("switched off: %v", err)
	}
	if !strings.Contains(log.String(), "requests are not checked against CloudFormation") || !strings.Contains(log.String(), cfnverify.SwitchEnv+"=false") {
		t.Errorf("switched off without saying so: %s", log.String())
	}
}

// TestStartFailedLetsANoOpDeleteThrough: a function that cannot start fails
// every request, but answers a Delete that deletes nothing (the rollback of
// a Create that failed the same way) SUCCESS.
func TestStartFailedLetsANoOpDeleteThrough(t *testing.T) {
	h := startFailed(errors.New("no endpoint"))
	ev := cfn.Event{RequestType: cfn.RequestDelete, PhysicalResourceID: roles.FailedCreateID("r1")}
	if res, err := h.Handle(context.Background(), ev); err != nil || res.PhysicalResourceID != ev.PhysicalResourceID {
		t.Fatalf("Delete of a failed Create: %+v %v", res, err)
	}
	for _, ev := range []cfn.Event{{RequestType: cfn.RequestDelete, PhysicalResourceID: "a-role"}, {RequestType: cfn.RequestCreate}} {
		if _, err := h.Handle(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "starting the function: no endpoint") {
			t.Errorf("%s of %q: %v", ev.RequestType, ev.PhysicalResourceID, err)
		}
	}
}
