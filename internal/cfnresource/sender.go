package cfnresource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/wait"
)

// Sender delivers a response to the event's ResponseURL.
type Sender interface {
	Send(ctx context.Context, responseURL string, r *cfn.Response) error
}

// HTTPSender PUTs responses to pre-signed S3 URLs.
type HTTPSender struct {
	// Client is the HTTP client; nil means one with a 10 s timeout per try.
	Client *http.Client
	// AllowLoopback also accepts http and https URLs on 127.0.0.0/8, ::1 and
	// localhost, for tests and the local demo. Otherwise only https URLs of an
	// AWS partition's S3 are accepted.
	AllowLoopback bool
	// Attempts is how many times a PUT is tried on network errors and 5xx; 0 means 5.
	Attempts int
	// Backoff is the first pause between tries, doubled each time; 0 means 250 ms.
	Backoff time.Duration
}

// Send PUTs r to responseURL, retrying network errors and 5xx answers with
// backoff until Attempts are spent or ctx ends. Errors name the URL without
// its query, which holds the signature.
func (s *HTTPSender) Send(ctx context.Context, responseURL string, r *cfn.Response) error {
	if err := s.checkURL(responseURL); err != nil {
		return err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	client, attempts, backoff := s.settings()
	tries, retry := 0, false
	again := func(error) bool { return retry && tries < attempts }
	err = wait.Retry(ctx, wait.Backoff{Delay: backoff}, again, func() error {
		tries++
		var err error
		retry, err = put(ctx, client, responseURL, body)
		return err
	})
	switch {
	case err == nil:
		return nil
	case again(err) && ctx.Err() != nil:
		// The context ended during a pause, with tries left.
		return fmt.Errorf("sending response to %s: %w (last try: %v)", redactURL(responseURL), ctx.Err(), err)
	default:
		return fmt.Errorf("sending response to %s: %w", redactURL(responseURL), err)
	}
}

// Defaults of HTTPSender's zero fields.
const (
	defaultPutTimeout = 10 * time.Second
	defaultAttempts   = 5
	defaultBackoff    = 250 * time.Millisecond
)

// settings are the sender's client, attempts and first pause, defaults
// filled in.
func (s *HTTPSender) settings() (*http.Client, int, time.Duration) {
	client, attempts, backoff := s.Client, s.Attempts, s.Backoff
	if client == nil {
		client = &http.Client{Timeout: defaultPutTimeout}
	}
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	if backoff <= 0 {
		backoff = defaultBackoff
	}
	return client, attempts, backoff
}

// put does one PUT; retry says whether the failure may pass.
func put(ctx context.Context, client *http.Client, u string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("building request failed")
	}
	req.Header.Del("Content-Type") // a pre-signed S3 PUT is signed without one
	req.ContentLength = int64(len(body))
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, signature included
		}
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	default:
		return false, fmt.Errorf("HTTP %d (the pre-signed URL may have expired)", resp.StatusCode)
	}
}

// checkURL accepts a response URL only where a response may go.
func (s *HTTPSender) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("ResponseURL %q is not a URL", redactURL(raw))
	}
	host := strings.ToLower(u.Hostname())
	if s.AllowLoopback && (u.Scheme == "http" || u.Scheme == "https") && isLoopback(host) {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("ResponseURL %s must use https", redactURL(raw))
	}
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".amazonaws.eu"} {
		if strings.HasSuffix(host, suffix) {
			return nil
		}
	}
	return fmt.Errorf("ResponseURL %s is not an AWS S3 pre-signed URL", redactURL(raw))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL returns the URL without its query string (the signature), for logs
// and messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.User = nil
	u.Fragment = ""
	return u.String()
}
