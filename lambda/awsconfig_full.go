//go:build !lambda.norpc

package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// loadAWSConfig, in a build for a developer's machine (go run ./lambda), is
// the SDK's standard configuration: the whole credential chain (profiles,
// SSO, …), AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL.
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithDefaultRegion("us-east-1"))
}
