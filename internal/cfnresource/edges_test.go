package cfnresource

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// fit keeps a response at CloudFormation's limit exactly, dropping Data only
// when over it, and cuts a long Reason to the last byte that fits.
func TestFitAtTheLimit(t *testing.T) {
	size := func(r *cfn.Response) int {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	base := func() *cfn.Response {
		return &cfn.Response{Status: cfn.StatusSuccess, RequestID: "req-1", LogicalResourceID: "Role", StackID: "stack", PhysicalResourceID: "r"}
	}
	withData := func(extra int) *cfn.Response {
		r := base()
		r.Data = map[string]any{"Blob": ""}
		r.Data["Blob"] = strings.Repeat("x", maxResponseBytes-size(r)+extra)
		return r
	}
	t.Run("exactly at the limit: Data kept", func(t *testing.T) {
		r := withData(0)
		if size(r) != maxResponseBytes {
			t.Fatalf("setup: %d bytes", size(r))
		}
		fit(r)
		if r.Data == nil {
			t.Error("Data dropped from a response at the limit")
		}
	})
	t.Run("one byte over: Data dropped, Reason kept", func(t *testing.T) {
		r := withData(1)
		r.Reason = "why"
		fit(r)
		if r.Data != nil || r.Reason != "why" {
			t.Errorf("Data %v, Reason %q", r.Data != nil, r.Reason)
		}
	})
	for _, c := range []struct {
		name   string
		reason string
		slack  int // bytes the cut may leave unused (a rune that did not fit)
	}{
		{"ASCII reason cut to the last byte", strings.Repeat("a", 5000), 0},
		{"two-byte runes cut on a rune boundary", strings.Repeat("é", 3000), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := base()
			r.Status, r.Reason = cfn.StatusFailed, c.reason
			fit(r)
			if n := size(r); n > maxResponseBytes || n < maxResponseBytes-c.slack {
				t.Errorf("%d bytes, want %d (at most %d less)", n, maxResponseBytes, c.slack)
			}
			if !utf8.ValidString(r.Reason) || !strings.HasSuffix(r.Reason, "…") {
				t.Errorf("reason ends %q", r.Reason[len(r.Reason)-8:])
			}
		})
	}
}

func TestCut(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 5, "short"},
		{"longer", 4, "long…"},
		{"héllo", 2, "h…"},    // byte 2 is inside é
		{"\x80\x80x", 1, "…"}, // no rune start before n: nothing kept, no panic
	}
	for _, c := range cases {
		if got := cut(c.s, c.n); got != c.want {
			t.Errorf("cut(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// The log line carries Changes always (an empty list for none); Note, Reason
// and PanicStack only when there are any.
func TestLogAttrs(t *testing.T) {
	keys := func(attrs []any) []string {
		var k []string
		for i := 0; i < len(attrs); i += 2 {
			k = append(k, attrs[i].(string))
		}
		return k
	}
	ev := cfn.Event{RequestType: cfn.RequestUpdate, ResponseURL: "https://b.s3.amazonaws.com/x?X-Amz-Signature=secret"}
	plain := keys(logAttrs(ev, &cfn.Response{}, Result{}, "", time.Second))
	for _, k := range []string{"Note", "Reason", "PanicStack"} {
		if slices.Contains(plain, k) {
			t.Errorf("%s logged without a value", k)
		}
	}
	if !slices.Contains(plain, "Changes") {
		t.Error("Changes not logged when there are none")
	}
	full := logAttrs(ev, &cfn.Response{Reason: "r"}, Result{Outcome: Failed, Changes: []string{"tags"}, Note: "n"}, "stack", time.Second)
	for _, k := range []string{"Changes", "Note", "Reason", "PanicStack", "Outcome", "DurationMs"} {
		if !slices.Contains(keys(full), k) {
			t.Errorf("%s not logged", k)
		}
	}
	for i := 0; i < len(full); i += 2 {
		if full[i] == "ResponseURL" && strings.Contains(full[i+1].(string), "secret") {
			t.Errorf("signature logged: %v", full[i+1])
		}
	}
}

// A PUT that fails because the request's context ended is not retried; one
// that fails on the network while time remains is.
func TestPutRetriesOnlyWhileTimeRemains(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close() // connection refused from now on
	retry, err := put(context.Background(), http.DefaultClient, url, nil)
	if err == nil || !retry {
		t.Errorf("refused connection: retry %v, error %v; want a retry", retry, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	retry, err = put(ctx, http.DefaultClient, url, nil)
	if err == nil || retry {
		t.Errorf("ended context: retry %v, error %v; want none", retry, err)
	}
}

func TestSenderSettings(t *testing.T) {
	c, n, b := (&HTTPSender{}).settings()
	if c == nil || c.Timeout != 10*time.Second || n != 5 || b != 250*time.Millisecond {
		t.Errorf("zero sender: timeout %v, attempts %d, backoff %v", c.Timeout, n, b)
	}
	own := &http.Client{}
	c, n, b = (&HTTPSender{Client: own, Attempts: 1, Backoff: time.Nanosecond}).settings()
	if c != own || n != 1 || b != time.Nanosecond {
		t.Errorf("set sender: %v %d %v", c, n, b)
	}
}
