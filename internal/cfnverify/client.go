package cfnverify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/qbrole/qbrole/internal/wait"
)

// Client is Stacks over CloudFormation's query API (CloudFormation API
// Reference, "Making API requests" / "Common Parameters": POST, form-encoded
// Action and Version 2010-05-15, XML answers,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonParameters.html),
// each request signed with Signature Version 4 for the service
// "cloudformation" (IAM User Guide, "AWS Signature Version 4 for API
// requests", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
//
// It is not the SDK's CloudFormation client on purpose: that client adds about
// 590 KB to the function's binary, past its 8 MiB budget, for two reads; this
// one uses what the IAM client already links in: the SDK's signer and its
// standard retry rules (throttling, 5xx and broken connections are retried).
type Client struct {
	Credentials aws.CredentialsProvider
	// Region signs the requests; it is the function's Region.
	Region string
	// Endpoint is CloudFormation's base URL (see Endpoint).
	Endpoint string
	// HTTPClient sends the requests; nil means a client of its own.
	HTTPClient *http.Client
	// Retryer decides which failures are retried, how often, after what
	// pause; nil means retry.NewStandard().
	Retryer aws.Retryer
	// AttemptTimeout ends one attempt that has not been answered (it is then
	// retried); 0 means 15 s.
	AttemptTimeout time.Duration
}

// apiVersion is the CloudFormation API's version.
const apiVersion = "2010-05-15"

// maxBody caps what is read of an answer: a DescribeStacks answer carries the
// stack's parameters, outputs and tags (up to 200 outputs of 4 KB each, and
// as many parameters), so well over 1 MiB.
const maxBody = 16 << 20

var defaultHTTPClient = &http.Client{}

// DescribeStackResource describes one resource of the stack stackID.
func (c *Client) DescribeStackResource(ctx context.Context, stackID, logicalID string) (StackResource, error) {
	var out struct {
		Detail struct {
			StackID            string `xml:"StackId"`
			LogicalResourceID  string `xml:"LogicalResourceId"`
			PhysicalResourceID string `xml:"PhysicalResourceId"`
			ResourceType       string `xml:"ResourceType"`
			ResourceStatus     string `xml:"ResourceStatus"`
		} `xml:"DescribeStackResourceResult>StackResourceDetail"`
	}
	err := c.call(ctx, "DescribeStackResource", url.Values{"StackName": {stackID}, "LogicalResourceId": {logicalID}}, &out)
	d := out.Detail
	return StackResource{StackID: d.StackID, LogicalResourceID: d.LogicalResourceID, PhysicalResourceID: d.PhysicalResourceID,
		ResourceType: d.ResourceType, ResourceStatus: d.ResourceStatus}, err
}

// DescribeStack describes the stack stackID with DescribeStacks.
func (c *Client) DescribeStack(ctx context.Context, stackID string) (Stack, error) {
	var out struct {
		Stacks []struct {
			StackID     string `xml:"StackId"`
			StackStatus string `xml:"StackStatus"`
		} `xml:"DescribeStacksResult>Stacks>member"`
	}
	if err := c.call(ctx, "DescribeStacks", url.Values{"StackName": {stackID}}, &out); err != nil {
		return Stack{}, err
	}
	for _, s := range out.Stacks {
		if s.StackID == stackID {
			return Stack{StackID: s.StackID, StackStatus: s.StackStatus}, nil
		}
	}
	return Stack{}, fmt.Errorf("DescribeStacks named no stack %s (%d stacks)", stackID, len(out.Stacks))
}

// call makes one API call, retried as c.Retryer says while ctx lasts, and
// decodes its answer into out.
func (c *Client) call(ctx context.Context, action string, params url.Values, out any) error {
	params.Set("Action", action)
	params.Set("Version", apiVersion)
	body := params.Encode()
	r := c.Retryer
	if r == nil {
		r = retry.NewStandard()
	}
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, body, out)
		if err == nil || attempt >= r.MaxAttempts() || !r.IsErrorRetryable(err) || ctx.Err() != nil {
			return err
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil || wait.Sleep(ctx, delay) != nil {
			return err
		}
	}
}

// once sends one signed request and decodes its answer.
func (c *Client) once(ctx context.Context, body string, out any) error {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieving the function's credentials: %w", err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cloudformation", c.Region, time.Now()); err != nil {
		return err
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	return decode(resp.StatusCode, raw, out)
}

// decode reads an answer: out from a 2xx one, an *APIError from any other.
func decode(status int, raw []byte, out any) error {
	if status/100 == 2 {
		if err := xml.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("reading CloudFormation's answer: %w", err)
		}
		return nil
	}
	var e struct {
		Code      string `xml:"Error>Code"`
		Message   string `xml:"Error>Message"`
		RequestID string `xml:"RequestId"`
	}
	_ = xml.NewDecoder(bytes.NewReader(raw)).Decode(&e)
	if e.Code == "" && status == http.StatusTooManyRequests {
		e.Code = "TooManyRequestsException" // a throttling code: the SDK's retry rules retry it
	}
	if e.Code == "" {
		e.Code = http.StatusText(status)
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", status)
	}
	return &APIError{StatusCode: status, Code: e.Code, Message: e.Message, RequestID: e.RequestID}
}

// APIError is an error CloudFormation answered: HTTP status, error code
// (ValidationError, Throttling, AccessDenied, …) and message. It is a
// smithy.APIError, so the SDK's retry rules classify it.
type APIError struct {
	StatusCode    int
	Code, Message string
	RequestID     string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("CloudFormation: %s (HTTP %d): %s", e.Code, e.StatusCode, e.Message)
}

// ErrorCode is CloudFormation's error code.
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage is CloudFormation's message.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault is unknown: CloudFormation's Type element is not read.
func (e *APIError) ErrorFault() int { return 0 }

// HTTPStatusCode is the answer's HTTP status.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

// Endpoint is CloudFormation's public endpoint in region of partition
// (AWS General Reference, "AWS CloudFormation endpoints and quotas",
// https://docs.aws.amazon.com/general/latest/gr/cfn.html; China: "Amazon
// CloudFormation endpoints", https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html).
// Another partition's endpoint must be given (AWS_ENDPOINT_URL_CLOUDFORMATION).
func Endpoint(partition, region string) (string, error) {
	suffix, ok := map[string]string{"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}[partition]
	if !ok || region == "" {
		return "", errors.New("no CloudFormation endpoint known for partition " + partition + ", Region " + region +
			": set AWS_ENDPOINT_URL_CLOUDFORMATION")
	}
	return "https://cloudformation." + region + "." + suffix, nil
}

// New is the Verifier of the function functionARN (its ARN as Lambda invoked
// it): it reads CloudFormation with cfg's credentials, in the function's
// Region, at endpoint ("": Endpoint of the function's partition and Region),
// retrying what the SDK's rules retry (throttling, 5xx, broken or timed-out
// connections) for as long as the request's time budget lasts: a request
// CloudFormation sent is not answered FAILED for a read a later try would
// get.
func New(cfg aws.Config, functionARN, endpoint string) (*Verifier, error) {
	fn, err := parseFunctionARN(functionARN)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		if endpoint, err = Endpoint(fn.Partition, fn.Region); err != nil {
			return nil, err
		}
	}
	c := &Client{Credentials: cfg.Credentials, Region: fn.Region, Endpoint: endpoint, Retryer: untilDeadline()}
	return &Verifier{Stacks: c, FunctionARN: fn.unqualified}, nil
}

// untilDeadline is the SDK's standard retryer with no practical cap on
// attempts (the context's deadline ends them) and pauses of at most 20 s.
func untilDeadline() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 1 << 20
		o.MaxBackoff = 20 * time.Second
	})
}
