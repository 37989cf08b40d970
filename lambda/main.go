// Command bootstrap is the Custom::QBusinessRole CloudFormation custom
// resource. Inside AWS Lambda (provided.al2023) it serves CloudFormation's
// requests; anywhere else it is a small command line: render, invoke, help.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
)

// allowLoopbackEnv, when true, lets responses go to a loopback http URL
// (tests, the local demo). In AWS it is never set.
const allowLoopbackEnv = "QBROLE_ALLOW_LOOPBACK_RESPONSE_URL"

func main() {
	if _, inLambda := os.LookupEnv("AWS_LAMBDA_RUNTIME_API"); inLambda {
		runLambda()
		return
	}
	os.Exit(runCLI(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func runLambda() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	slog.SetDefault(logger)
	allow, _ := strconv.ParseBool(os.Getenv(allowLoopbackEnv))
	var runner *cfnresource.Runner
	lambda.Start(func(ctx context.Context, raw json.RawMessage) error {
		r := runner
		if r == nil {
			h, err := newHandler(ctx, logger)
			if err != nil {
				// Every event gets an answer, or the stack waits for its ServiceTimeout:
				// this one fails, and the next invocation tries to start again.
				h = startFailed(err)
			}
			r = resource.NewRunner(h, &cfnresource.HTTPSender{AllowLoopback: allow}, logger)
			if err == nil {
				runner = r
			}
		}
		// The answer went to CloudFormation, or could not be sent and is logged;
		// an error here would only make Lambda invoke the function again.
		_, _ = r.Run(ctx, raw)
		return nil
	})
}

// startFailed answers every event FAILED with the reason the function could
// not start (no credentials, say); the runner supplies the physical id and
// the Outcome. A Delete that makes no IAM call is answered SUCCESS, so that
// the rollback of a Create that failed this way does not fail too.
func startFailed(err error) cfnresource.Handler {
	return cfnresource.HandlerFunc(func(_ context.Context, ev cfn.Event) (cfnresource.Result, error) {
		if resource.DeletesNothing(ev) {
			return resource.Answer(roles.Result{PhysicalResourceID: ev.PhysicalResourceID, Outcome: roles.Skipped}), nil
		}
		return cfnresource.Result{}, fmt.Errorf("starting the function: %w", err)
	})
}

// newHandler is the function's Handler: the Manager, behind the check of
// each request against CloudFormation (internal/cfnverify) unless
// QBROLE_VERIFY_REQUESTS is "false". The check serves the function's own
// account and Region and takes the function's ARN as Lambda invoked it
// (lambdacontext); it reads CloudFormation at AWS_ENDPOINT_URL_CLOUDFORMATION
// or AWS_ENDPOINT_URL when set, as the SDK's clients do.
func newHandler(ctx context.Context, logger *slog.Logger) (cfnresource.Handler, error) {
	cfg, err := newConfig(ctx)
	if err != nil {
		return nil, err
	}
	m := &roles.Manager{IAM: iam.NewFromConfig(cfg)}
	if switched := os.Getenv(cfnverify.SwitchEnv); !cfnverify.On(switched) {
		logger.Warn("requests are not checked against CloudFormation", cfnverify.SwitchEnv, switched)
		return resource.Handler(m), nil
	}
	var functionARN string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		functionARN = lc.InvokedFunctionArn
	}
	v, err := cfnverify.New(cfg, functionARN, firstSet(os.Getenv("AWS_ENDPOINT_URL_CLOUDFORMATION"), os.Getenv("AWS_ENDPOINT_URL")))
	if err != nil {
		return nil, fmt.Errorf("checking requests against CloudFormation: %w", err)
	}
	return resource.Checked(v, resource.Handler(m)), nil
}

// newConfig is the AWS configuration (see loadAWSConfig) with more retries
// than the SDK's default, since IAM throttles early.
func newConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := loadAWSConfig(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 8
			o.MaxBackoff = 20 * time.Second
		})
	}
	return cfg, nil
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
