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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource"
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
			var h cfnresource.Handler
			m, err := newManager(ctx)
			if err != nil {
				// Every event gets an answer, or the stack waits for its ServiceTimeout:
				// this one fails, and the next invocation tries to start again.
				h = startFailed(err)
			} else {
				h = resource.Handler(m)
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
// the Outcome.
func startFailed(err error) cfnresource.Handler {
	return cfnresource.HandlerFunc(func(context.Context, cfn.Event) (cfnresource.Result, error) {
		return cfnresource.Result{}, fmt.Errorf("starting the function: %w", err)
	})
}

// newManager builds the IAM client (see loadAWSConfig) with more retries than
// the SDK's default, since IAM throttles early.
func newManager(ctx context.Context) (*roles.Manager, error) {
	cfg, err := loadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 8
			o.MaxBackoff = 20 * time.Second
		})
	}
	return &roles.Manager{IAM: iam.NewFromConfig(cfg)}, nil
}
