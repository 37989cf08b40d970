package cfnverify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func awsConfig() aws.Config {
	return aws.Config{Credentials: credentials.NewStaticCredentialsProvider("AKIDFUNCTION", "secret", "token")}
}

func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

const resourceAnswer = `<DescribeStackResourceResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackResourceResult><StackResourceDetail>
    <StackId>%s</StackId><StackName>app</StackName><LogicalResourceId>Role</LogicalResourceId>
    <PhysicalResourceId>app-Role-QBusiness1</PhysicalResourceId><ResourceType>Custom::QBusinessRole</ResourceType>
    <LastUpdatedTimestamp>2026-11-30T20:00:00.000Z</LastUpdatedTimestamp><ResourceStatus>CREATE_IN_PROGRESS</ResourceStatus>
  </StackResourceDetail></DescribeStackResourceResult>
  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>
</DescribeStackResourceResponse>`

const stacksAnswer = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member><StackId>%s</StackId><StackName>app</StackName>
    <StackStatus>UPDATE_COMPLETE_CLEANUP_IN_PROGRESS</StackStatus></member></Stacks></DescribeStacksResult>
</DescribeStacksResponse>`

// server answers with answer(n, form) for the n-th request (from 1), after
// checking that it is a signed CloudFormation query request.
func server(t *testing.T, answer func(n int, form url.Values, w http.ResponseWriter)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		auth := r.Header.Get("Authorization")
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/":
			t.Errorf("%s %s", r.Method, r.URL.Path)
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		case !strings.Contains(auth, "Credential=AKIDFUNCTION/") || !strings.Contains(auth, "/us-east-1/cloudformation/aws4_request"):
			t.Errorf("Authorization %q: not signed for cloudformation in us-east-1", auth)
		case r.Header.Get("X-Amz-Security-Token") != "token":
			t.Errorf("no session token")
		case form.Get("Version") != "2010-05-15":
			t.Errorf("form %v", form)
		}
		answer(int(n.Add(1)), form, w)
	}))
	t.Cleanup(srv.Close)
	return &Client{Credentials: awsConfig().Credentials, Region: "us-east-1", Endpoint: srv.URL + "/", Retryer: fastRetryer(),
		AttemptTimeout: 200 * time.Millisecond}, &n
}

func apiError(w http.ResponseWriter, status int, code, message string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, code, message)
}

func TestClientReadsTheResourceAndTheStack(t *testing.T) {
	c, n := server(t, func(_ int, form url.Values, w http.ResponseWriter) {
		switch form.Get("Action") {
		case "DescribeStackResource":
			if form.Get("StackName") != stackID || form.Get("LogicalResourceId") != "Role" {
				t.Errorf("form %v", form)
			}
			fmt.Fprintf(w, resourceAnswer, stackID)
		case "DescribeStacks":
			fmt.Fprintf(w, stacksAnswer, stackID)
		default:
			apiError(w, 400, "InvalidAction", form.Get("Action"))
		}
	})
	res, err := c.DescribeStackResource(context.Background(), stackID, "Role")
	want := StackResource{StackID: stackID, LogicalResourceID: "Role", PhysicalResourceID: "app-Role-QBusiness1",
		ResourceType: "Custom::QBusinessRole", ResourceStatus: "CREATE_IN_PROGRESS"}
	if err != nil || res != want {
		t.Fatalf("DescribeStackResource = %+v, %v; want %+v", res, err, want)
	}
	st, err := c.DescribeStack(context.Background(), stackID)
	if err != nil || st != (Stack{StackID: stackID, StackStatus: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}) {
		t.Fatalf("DescribeStack = %+v, %v", st, err)
	}
	if _, err := c.DescribeStack(context.Background(), stackID+"-other"); err == nil || !strings.Contains(err.Error(), "named no stack") {
		t.Fatalf("a DescribeStacks answer for another stack: %v", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3", n.Load())
	}
}

func TestClientErrorsAndRetries(t *testing.T) {
	cases := []struct {
		name     string
		answer   func(n int, w http.ResponseWriter)
		requests int32
		code     string // APIError code; "" with ok: success
		ok       bool
	}{
		{name: "no such stack", answer: func(_ int, w http.ResponseWriter) {
			apiError(w, 400, "ValidationError", "Stack with id x does not exist")
		}, requests: 1, code: "ValidationError"},
		{name: "denied", answer: func(_ int, w http.ResponseWriter) { apiError(w, 403, "AccessDenied", "not authorized") }, requests: 1, code: "AccessDenied"},
		{name: "throttled, then answered", answer: func(n int, w http.ResponseWriter) {
			if n < 3 {
				apiError(w, 400, "Throttling", "Rate exceeded")
				return
			}
			fmt.Fprintf(w, resourceAnswer, stackID)
		}, requests: 3, ok: true},
		{name: "throttled throughout", answer: func(_ int, w http.ResponseWriter) { apiError(w, 400, "Throttling", "Rate exceeded") }, requests: 3, code: "Throttling"},
		{name: "internal failure, then answered", answer: func(n int, w http.ResponseWriter) {
			if n == 1 {
				apiError(w, 500, "InternalFailure", "")
				return
			}
			fmt.Fprintf(w, resourceAnswer, stackID)
		}, requests: 2, ok: true},
		{name: "429 without a body, then answered", answer: func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			fmt.Fprintf(w, resourceAnswer, stackID)
		}, requests: 2, ok: true},
		{name: "an error that is not XML", answer: func(_ int, w http.ResponseWriter) { w.WriteHeader(502) }, requests: 3, code: "Bad Gateway"},
		{name: "hangs, then answers", answer: func(n int, w http.ResponseWriter) {
			if n == 1 {
				time.Sleep(time.Second)
			}
			fmt.Fprintf(w, resourceAnswer, stackID)
		}, requests: 2, ok: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, n := server(t, func(i int, _ url.Values, w http.ResponseWriter) { c.answer(i, w) })
			_, err := cl.DescribeStackResource(context.Background(), stackID, "Role")
			var api *APIError
			switch {
			case c.ok && err != nil:
				t.Fatalf("error %v", err)
			case !c.ok && (!errors.As(err, &api) || api.Code != c.code):
				t.Fatalf("error %v, want CloudFormation's %s", err, c.code)
			}
			if n.Load() != c.requests {
				t.Errorf("%d requests, want %d", n.Load(), c.requests)
			}
		})
	}
}

// TestClientStopsWithTheContext: a read that hangs ends with the caller's
// context, not after every attempt's timeout.
func TestClientStopsWithTheContext(t *testing.T) {
	c, _ := server(t, func(int, url.Values, http.ResponseWriter) { time.Sleep(2 * time.Second) })
	c.AttemptTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.DescribeStackResource(ctx, stackID, "Role")
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("error %v after %v", err, time.Since(start))
	}
}

func TestClientReadsNoGarbage(t *testing.T) {
	c, _ := server(t, func(_ int, _ url.Values, w http.ResponseWriter) {
		fmt.Fprint(w, "<DescribeStackResourceResponse><oops")
	})
	if _, err := c.DescribeStackResource(context.Background(), stackID, "Role"); err == nil || !strings.Contains(err.Error(), "reading CloudFormation's answer") {
		t.Fatalf("error %v", err)
	}
}

func TestEndpoint(t *testing.T) {
	cases := []struct{ partition, region, want string }{
		{"aws", "us-east-1", "https://cloudformation.us-east-1.amazonaws.com"},
		{"aws-us-gov", "us-gov-west-1", "https://cloudformation.us-gov-west-1.amazonaws.com"},
		{"aws-cn", "cn-north-1", "https://cloudformation.cn-north-1.amazonaws.com.cn"},
		{"aws-iso", "us-iso-east-1", ""},
		{"aws", "", ""},
	}
	for _, c := range cases {
		got, err := Endpoint(c.partition, c.region)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("Endpoint(%s, %s) = %q, %v; want %q", c.partition, c.region, got, err, c.want)
		}
	}
}

func TestNew(t *testing.T) {
	cfg := awsConfig()
	cfg.Retryer = fastRetryer // not used: New retries until the deadline
	v, err := New(cfg, "arn:aws-cn:lambda:cn-north-1:123456789012:function:p:live", "")
	if err != nil {
		t.Fatal(err)
	}
	c := v.Stacks.(*Client)
	// Transient failures are retried until the request's deadline.
	if v.FunctionARN != "arn:aws-cn:lambda:cn-north-1:123456789012:function:p" || c.Region != "cn-north-1" ||
		c.Endpoint != "https://cloudformation.cn-north-1.amazonaws.com.cn" || c.Retryer == nil || c.Retryer.MaxAttempts() < 1000 {
		t.Fatalf("Verifier %+v, client %+v", v, c)
	}
	if v, err := New(cfg, fnARN, "http://127.0.0.1:1"); err != nil || v.Stacks.(*Client).Endpoint != "http://127.0.0.1:1" {
		t.Fatalf("endpoint given: %+v %v", v, err)
	}
	if _, err := New(cfg, "arn:aws-iso:lambda:us-iso-east-1:123456789012:function:p", ""); err == nil || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_CLOUDFORMATION") {
		t.Fatalf("unknown partition: %v", err)
	}
}

// TestNewRetriesPastTheSDKDefault: the function's client keeps retrying a
// throttled read beyond the SDK's default three attempts, while the context
// lasts.
func TestNewRetriesPastTheSDKDefault(t *testing.T) {
	c, n := server(t, func(i int, _ url.Values, w http.ResponseWriter) {
		if i <= 3 { // the SDK's default gives up after three
			apiError(w, 400, "Throttling", "Rate exceeded")
			return
		}
		fmt.Fprintf(w, resourceAnswer, stackID)
	})
	c.Retryer = untilDeadline()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.DescribeStackResource(ctx, stackID, "Role"); err != nil || n.Load() != 4 {
		t.Fatalf("error %v after %d requests, want an answer on the 4th", err, n.Load())
	}
}
