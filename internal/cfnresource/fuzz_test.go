package cfnresource

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
)

// FuzzDecode: any bytes decode to an event or a "malformed event" error;
// never a panic. A decoded event has what an answer needs. Seeded from events/.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"RequestType": 1, "ResponseURL": "https://x.s3.amazonaws.com/"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "malformed event") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if ev.RequestType == "" || ev.ResponseURL == "" || ev.RequestID == "" || ev.StackID == "" || ev.LogicalResourceID == "" {
			t.Fatalf("decoded event lacks fields: %+v", ev)
		}
	})
}

// FuzzResponse: any reason and data fit CloudFormation's limit, as readable
// UTF-8 without control characters.
func FuzzResponse(f *testing.F) {
	f.Add("IAM said no", "arn:aws:iam::123456789012:role/x", 1)
	f.Add(strings.Repeat("é\n\x00", 3000), strings.Repeat("d", 5000), 3)
	f.Fuzz(func(t *testing.T, reason, data string, copies int) {
		r := &cfn.Response{Status: cfn.StatusFailed, RequestID: "r", StackID: "s", LogicalResourceID: "l", PhysicalResourceID: "p",
			Reason: cleanReason(reason, maxReason), Data: map[string]any{}}
		for i := range min(max(copies, 0), 10) {
			r.Data[string(rune('A'+i))] = data
		}
		fit(r)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxResponseBytes {
			t.Fatalf("%d bytes", len(b))
		}
		if !utf8.ValidString(r.Reason) || strings.IndexFunc(r.Reason, unicode.IsControl) >= 0 {
			t.Fatalf("reason %q", r.Reason)
		}
	})
}
