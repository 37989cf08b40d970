package cfnresource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
)

func newResponseServer(t *testing.T, status ...int) *cfntest.ResponseServer {
	s := cfntest.NewResponseServer(status...)
	t.Cleanup(s.Close)
	return s
}

func responses(s *cfntest.ResponseServer) []cfn.Response {
	var out []cfn.Response
	for _, p := range s.Puts() {
		out = append(out, p.Response)
	}
	return out
}

func event(url string) map[string]any {
	return map[string]any{
		"RequestType": "Create", "RequestId": "req-1", "ResponseURL": url + "/resp?X-Amz-Signature=SECRET",
		"StackId":           "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid",
		"LogicalResourceId": "Role", "ResourceType": "Custom::QBusinessRole", "ResourceProperties": map[string]any{},
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failedCreateID stands for the marker a user of the package names a failed
// Create with; the package knows no spelling of its own.
func failedCreateID(requestID string) string { return "failed-create:" + requestID }

func runner(h HandlerFunc, log io.Writer) *Runner {
	return &Runner{Handler: h, Sender: &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond},
		FailedCreateID: failedCreateID, Logger: slog.New(slog.NewJSONHandler(log, nil))}
}

func TestExactlyOneResponsePerEvent(t *testing.T) {
	ok := HandlerFunc(func(context.Context, cfn.Event) (Result, error) {
		return Result{PhysicalResourceID: "role", Data: map[string]any{"Arn": "arn"}, Outcome: "created"}, nil
	})
	cases := []struct {
		name       string
		handler    HandlerFunc
		event      func(url string) []byte
		timeout    time.Duration
		wantStatus cfn.StatusType
		wantReason string
		wantID     string
	}{
		{"success", ok, nil, 0, cfn.StatusSuccess, "", "role"},
		{"handler error", func(context.Context, cfn.Event) (Result, error) {
			return Result{PhysicalResourceID: "kept"}, errors.New("IAM said no")
		}, nil, 0, cfn.StatusFailed, "IAM said no", "kept"},
		{"panic", func(context.Context, cfn.Event) (Result, error) { panic("nil map") }, nil, 0, cfn.StatusFailed, "internal error: nil map", failedCreateID("req-1")},
		{"malformed JSON, ResponseURL salvaged", ok, func(url string) []byte {
			return []byte(`{"RequestType": "Create", "ResponseURL": "` + url + `/resp", "RequestId": "req-1", "ResourceProperties": "oops"}`)
		}, 0, cfn.StatusFailed, "malformed event", failedCreateID("req-1")},
		{"missing fields", ok, func(url string) []byte {
			return []byte(`{"RequestType": "Delete", "ResponseURL": "` + url + `/resp", "RequestId": "req-1"}`)
		}, 0, cfn.StatusFailed, "missing LogicalResourceId, PhysicalResourceId, StackId", failedCreateID("req-1")},
		{"handler ignores its deadline", func(context.Context, cfn.Event) (Result, error) {
			time.Sleep(10 * time.Second)
			return Result{}, nil
		}, nil, 3 * time.Second, cfn.StatusFailed, "timed out", failedCreateID("req-1")},
		{"handler honours its deadline", func(ctx context.Context, ev cfn.Event) (Result, error) {
			<-ctx.Done()
			return Result{PhysicalResourceID: "role-being-made"}, ctx.Err()
		}, nil, 3 * time.Second, cfn.StatusFailed, "time ran out", "role-being-made"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newResponseServer(t)
			raw := mustJSON(t, event(srv.URL))
			if c.event != nil {
				raw = c.event(srv.URL)
			}
			ctx := context.Background()
			if c.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.timeout)
				defer cancel()
			}
			start := time.Now()
			var log bytes.Buffer
			resp, err := runner(c.handler, &log).Run(ctx, raw)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if c.timeout > 0 && time.Since(start) >= c.timeout {
				t.Errorf("answered after %v, past the %v deadline", time.Since(start), c.timeout)
			}
			if p := srv.Puts(); len(p) > 0 && p[0].Method != http.MethodPut {
				t.Errorf("method %s, want PUT", p[0].Method)
			}
			got := responses(srv)
			if len(got) != 1 {
				t.Fatalf("%d responses, want 1", len(got))
			}
			if got[0].Status != c.wantStatus || !strings.Contains(got[0].Reason, c.wantReason) || got[0].PhysicalResourceID != c.wantID {
				t.Errorf("response %+v, want %s %q %q", got[0], c.wantStatus, c.wantReason, c.wantID)
			}
			if resp.Status != got[0].Status {
				t.Errorf("Run returned %s, sent %s", resp.Status, got[0].Status)
			}
			if n := strings.Count(strings.TrimSpace(log.String()), "\n") + 1; n != 1 {
				t.Errorf("%d log lines, want 1:\n%s", n, log.String())
			}
		})
	}
}

func TestEventWithoutResponseURLIsNotAnswered(t *testing.T) {
	var log bytes.Buffer
	resp, err := runner(nil, &log).Run(context.Background(), []byte(`{"RequestType":"Create"}`))
	if resp != nil || err == nil || !strings.Contains(err.Error(), "no ResponseURL") {
		t.Errorf("resp %v, err %v", resp, err)
	}
	if !strings.Contains(log.String(), "cannot be answered") {
		t.Errorf("log = %s", log.String())
	}
	// Like every line: Outcome, and Changes (none).
	var line map[string]any
	if err := json.Unmarshal(log.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", log.String(), err)
	}
	if changes, ok := line["Changes"].([]any); !ok || len(changes) != 0 || line["Outcome"] != "failed" {
		t.Errorf("Changes %#v, Outcome %v; want [] and failed", line["Changes"], line["Outcome"])
	}
}

func TestLogLine(t *testing.T) {
	srv := newResponseServer(t)
	var log bytes.Buffer
	_, err := runner(func(context.Context, cfn.Event) (Result, error) {
		return Result{PhysicalResourceID: "role", Outcome: "updated", Changes: []string{"tags"}}, nil
	}, &log).Run(context.Background(), mustJSON(t, event(srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(log.Bytes(), &line); err != nil {
		t.Fatalf("log line is not one JSON object: %v\n%s", err, log.String())
	}
	for k, want := range map[string]any{"RequestType": "Create", "RequestId": "req-1", "LogicalResourceId": "Role",
		"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid", "Status": "SUCCESS", "Outcome": "updated"} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if strings.Contains(log.String(), "SECRET") {
		t.Errorf("log holds the URL's signature: %s", log.String())
	}
}

// Every event's log line has Changes, as a JSON list: empty when the request
// changed nothing (a Create that failed, a Delete that skipped), so that a
// query over the lines finds the field in each.
func TestEveryLogLineHasChanges(t *testing.T) {
	cases := []struct {
		name string
		res  Result
		err  error
		want []any
	}{
		{"changes", Result{PhysicalResourceID: "role", Outcome: "updated", Changes: []string{"tags", "trust"}}, nil, []any{"tags", "trust"}},
		{"none: nil", Result{PhysicalResourceID: "role", Outcome: "created"}, nil, []any{}},
		{"none: empty", Result{PhysicalResourceID: "role", Outcome: "unchanged", Changes: []string{}}, nil, []any{}},
		{"failed before any change", Result{}, errors.New("refused"), []any{}},
		{"failed after a change", Result{Changes: []string{"tags"}}, errors.New("trust refused"), []any{"tags"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newResponseServer(t)
			var log bytes.Buffer
			_, err := runner(func(context.Context, cfn.Event) (Result, error) { return c.res, c.err }, &log).
				Run(context.Background(), mustJSON(t, event(srv.URL)))
			if err != nil {
				t.Fatal(err)
			}
			var line map[string]any
			if err := json.Unmarshal(log.Bytes(), &line); err != nil {
				t.Fatalf("log line is not one JSON object: %v\n%s", err, log.String())
			}
			got, ok := line["Changes"].([]any)
			if !ok || !slices.Equal(got, c.want) {
				t.Errorf("Changes = %#v, want %#v: %s", line["Changes"], c.want, log.String())
			}
		})
	}
}

func TestResponseFitsCloudFormationLimit(t *testing.T) {
	srv := newResponseServer(t)
	big := strings.Repeat("é", 5000) // two bytes each
	cases := []struct {
		name     string
		res      Result
		err      error
		wantData bool
	}{
		{"large data is dropped", Result{PhysicalResourceID: "r", Data: map[string]any{"Blob": big}}, nil, false},
		{"small data is kept", Result{PhysicalResourceID: "r", Data: map[string]any{"Arn": "arn"}}, nil, true},
		{"long reason is cut", Result{PhysicalResourceID: "r"}, errors.New(big + "\n\x00 end"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runner(func(context.Context, cfn.Event) (Result, error) { return c.res, c.err }, io.Discard).
				Run(context.Background(), mustJSON(t, event(srv.URL)))
			if err != nil {
				t.Fatal(err)
			}
			puts := srv.Puts()
			raw := puts[len(puts)-1].Body
			if len(raw) > maxResponseBytes {
				t.Errorf("body is %d bytes, limit %d", len(raw), maxResponseBytes)
			}
			last := puts[len(puts)-1].Response
			if (last.Data != nil) != c.wantData {
				t.Errorf("data = %v", last.Data)
			}
			if !utf8.ValidString(last.Reason) || strings.ContainsAny(last.Reason, "\n\x00") {
				t.Errorf("reason not clean: %q", last.Reason)
			}
		})
	}
}

func TestCleanReason(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"control characters become spaces", "a\nb\tc\x00d", 100, "a b c d"},
		{"invalid UTF-8 replaced", "a\xffb", 100, "a\uFFFDb"},
		{"cut on a rune boundary", "ééé", 3, "é…"},
		{"short enough is kept", "abc", 3, "abc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cleanReason(c.in, c.max); got != c.want {
				t.Errorf("cleanReason(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSendRetries(t *testing.T) {
	r := &cfn.Response{Status: cfn.StatusSuccess, PhysicalResourceID: "r"}
	t.Run("5xx is retried", func(t *testing.T) {
		srv := newResponseServer(t, 500, 503)
		s := &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond}
		if err := s.Send(context.Background(), srv.URL+"/x", r); err != nil {
			t.Fatal(err)
		}
		if len(srv.Puts()) != 3 {
			t.Errorf("%d PUTs, want 3", len(srv.Puts()))
		}
		if ct := srv.Puts()[2].Header.Get("Content-Type"); ct != "" {
			t.Errorf("Content-Type %q, want none (pre-signed URLs are signed without one)", ct)
		}
	})
	t.Run("403 is final", func(t *testing.T) {
		srv := newResponseServer(t, 403)
		s := &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond}
		err := s.Send(context.Background(), srv.URL+"/x?X-Amz-Signature=SECRET", r)
		if err == nil || len(srv.Puts()) != 1 || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("err %v, %d PUTs", err, len(srv.Puts()))
		}
	})
	t.Run("5xx is retried Attempts times", func(t *testing.T) {
		srv := newResponseServer(t, 500, 503, 500, 500)
		s := &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond, Attempts: 3}
		err := s.Send(context.Background(), srv.URL+"/x", r)
		if err == nil || len(srv.Puts()) != 3 || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "last try") {
			t.Errorf("err %v, %d PUTs; want HTTP 500 after 3", err, len(srv.Puts()))
		}
	})
	t.Run("the context ends during a pause", func(t *testing.T) {
		srv := newResponseServer(t, 500, 500)
		s := &HTTPSender{AllowLoopback: true, Backoff: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := s.Send(ctx, srv.URL+"/x", r)
		if !errors.Is(err, context.DeadlineExceeded) || len(srv.Puts()) != 1 || !strings.Contains(err.Error(), "last try: HTTP 500") {
			t.Errorf("err %v, %d PUTs; want the deadline and the last try's HTTP 500 after 1", err, len(srv.Puts()))
		}
	})
	t.Run("network errors are retried, then reported without the signature", func(t *testing.T) {
		srv := newResponseServer(t)
		url := srv.URL + "/x?X-Amz-Signature=SECRET"
		srv.Close()
		s := &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond, Attempts: 3}
		err := s.Send(context.Background(), url, r)
		if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1", false, true},
		{"https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x", false, true},
		{"http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x", false, false},
		{"https://evil.example.com/x", false, false},
		{"https://s3.amazonaws.com.evil.example/x", false, false},
		{"http://127.0.0.1:8080/x", false, false},
		{"http://127.0.0.1:8080/x", true, true},
		{"http://localhost/x", true, true},
		{"http://10.0.0.1/x", true, false},
		{"file:///etc/passwd", true, false},
		{"ftp://127.0.0.1/x", true, false},
		{"https://127.0.0.1/x", true, true},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			err := (&HTTPSender{AllowLoopback: c.loopback}).checkURL(c.url)
			if (err == nil) != c.ok {
				t.Errorf("checkURL = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestMargin(t *testing.T) {
	for _, c := range []struct{ remaining, want time.Duration }{
		{time.Second, 500 * time.Millisecond}, {1500 * time.Millisecond, 750 * time.Millisecond}, {2 * time.Second, time.Second},
		{5 * time.Second, time.Second}, {30 * time.Second, 3 * time.Second}, {15 * time.Minute, 10 * time.Second},
	} {
		if got := answerMargin(c.remaining); got != c.want {
			t.Errorf("Margin(%v) = %v, want %v", c.remaining, got, c.want)
		}
	}
}

func TestUndeliverableResponseIsLoggedWithReason(t *testing.T) {
	srv := newResponseServer(t)
	url := srv.URL
	srv.Close()
	var log bytes.Buffer
	r := &Runner{Handler: HandlerFunc(func(context.Context, cfn.Event) (Result, error) { return Result{PhysicalResourceID: "r"}, nil }),
		Sender: &HTTPSender{AllowLoopback: true, Backoff: time.Millisecond, Attempts: 2}, FailedCreateID: failedCreateID,
		Logger: slog.New(slog.NewJSONHandler(&log, nil))}
	_, err := r.Run(context.Background(), mustJSON(t, event(url)))
	if err == nil {
		t.Fatal("want a delivery error")
	}
	var line map[string]any
	if err := json.Unmarshal(log.Bytes(), &line); err != nil {
		t.Fatalf("log: %v\n%s", err, log.String())
	}
	if line["msg"] != "response not delivered" || !strings.Contains(fmt.Sprint(line["error"]), "connection refused") {
		t.Errorf("log line %v", line)
	}
	if strings.Contains(log.String(), "SECRET") {
		t.Errorf("log holds the signature: %s", log.String())
	}
}

func TestAnswerID(t *testing.T) {
	cases := []struct {
		name, physical, given, want string
		marker                      func(string) string
	}{
		{"the work named one", "old", "new", "new", failedCreateID},
		{"an Update or Delete that named none keeps its id", "old", "", "old", failedCreateID},
		{"a Create that named none gets the marker", "", "", "failed-create:req-1", failedCreateID},
		{"without FailedCreateID, an Update keeps its id", "old", "", "old", nil},
		{"without FailedCreateID, a Create gets an id that names nothing", "", "", "cfnresource:unconfigured-runner:req-1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := cfn.Event{RequestID: "req-1", PhysicalResourceID: c.physical}
			r := &Runner{FailedCreateID: c.marker}
			if got := r.answerID(ev, c.given); got != c.want {
				t.Errorf("answerID = %q, want %q", got, c.want)
			}
		})
	}
}

// A Runner without FailedCreateID carries out no request: it answers each
// FAILED, naming the field, with the request's own id (none for a Create),
// and Run says so.
func TestRunnerWithoutFailedCreateIDCarriesOutNothing(t *testing.T) {
	for name, c := range map[string]struct{ physical, answered string }{
		"Create": {"", "cfnresource:unconfigured-runner:req-1"}, "Update": {"old", "old"}} {
		physical := c.physical
		t.Run(name, func(t *testing.T) {
			srv := newResponseServer(t)
			called := false
			var log bytes.Buffer
			r := runner(func(context.Context, cfn.Event) (Result, error) {
				called = true
				return Result{PhysicalResourceID: "made"}, nil
			}, &log)
			r.FailedCreateID = nil
			ev := event(srv.URL)
			if physical != "" {
				ev["RequestType"], ev["PhysicalResourceId"] = "Update", physical
			}
			resp, err := r.Run(context.Background(), mustJSON(t, ev))
			if err == nil || !strings.Contains(err.Error(), "FailedCreateID") {
				t.Errorf("Run error %v, want one naming FailedCreateID", err)
			}
			if called {
				t.Error("the Handler ran")
			}
			got := responses(srv)
			if len(got) != 1 || got[0].Status != cfn.StatusFailed || got[0].PhysicalResourceID != c.answered ||
				!strings.Contains(got[0].Reason, "FailedCreateID") || resp == nil || resp.Status != cfn.StatusFailed {
				t.Errorf("responses %+v, returned %+v; want one FAILED with id %q naming FailedCreateID", got, resp, c.answered)
			}
			if !strings.Contains(log.String(), `"Outcome":"failed"`) {
				t.Errorf("log %s", log.String())
			}
		})
	}
}
