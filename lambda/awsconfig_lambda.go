//go:build lambda.norpc

package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// loadAWSConfig, in the Lambda build (tag lambda.norpc), reads what the Lambda
// runtime provides — AWS_REGION and the execution role's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN — and the
// standard endpoint variables AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL. It
// leaves out the SDK's full configuration loader (SSO, STS, IMDS clients),
// which nothing inside Lambda needs: about 2 MB of the binary.
func loadAWSConfig(context.Context) (aws.Config, error) {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); " +
			"the Lambda runtime sets them from the execution role. Outside Lambda, use a build without -tags lambda.norpc (go run ./lambda)")
	}
	cfg := aws.Config{
		Region:      firstSet(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), "us-east-1"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}
	if endpoint := firstSet(os.Getenv("AWS_ENDPOINT_URL_IAM"), os.Getenv("AWS_ENDPOINT_URL")); endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}
