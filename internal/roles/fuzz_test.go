package roles

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/schema"
)

// referenceSids are the statements of AWS's page, in order.
var referenceSids = []string{
	"AmazonQApplicationPutMetricDataPermission", "AmazonQApplicationDescribeLogGroupsPermission",
	"AmazonQApplicationCreateLogGroupPermission", "AmazonQApplicationLogStreamPermission", "QBusinessUserSubscriptionPermissions",
}

// FuzzParseSpec: any properties object either gives policies with the
// reference's statements, as valid JSON, or an error naming a property that
// was given. Never a panic. Seeded from events/.
func FuzzParseSpec(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var ev struct{ ResourceProperties json.RawMessage }
		if err := json.Unmarshal(raw, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(ev.ResourceProperties))
	}
	f.Add([]byte(`{"ApplicationId": "x\"]}", "Tags": [{"Key": "a", "Value": 1}], "MaxSessionDuration": 1e9}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var props map[string]any
		if json.Unmarshal(raw, &props) != nil {
			return
		}
		spec, err := ParseSpec(props, testStack, "Fuzz")
		if err != nil {
			var inv *InvalidPropertiesError
			if !errors.As(err, &inv) || len(inv.Errors) == 0 {
				t.Fatalf("error %v is not a list of property errors", err)
			}
			for _, e := range inv.Errors {
				var pe *PropertyError
				if !errors.As(e, &pe) {
					t.Fatalf("error %v names no property", e)
				}
				_, given := props[pe.Property]
				if base, _, found := strings.Cut(pe.Property, "["); !given && found {
					_, given = props[base] // Tags[3].Key names an element of Tags
				}
				if !given {
					t.Fatalf("error names %q, which was not given: %v", pe.Property, err)
				}
			}
			return
		}
		if spec.Type == schema.ServiceLinkedRole {
			return
		}
		for _, doc := range []PolicyDocument{spec.TrustPolicy(), spec.PermissionsPolicy()} {
			var back PolicyDocument
			if err := json.Unmarshal([]byte(doc.JSON()), &back); err != nil {
				t.Fatalf("policy is not valid JSON: %v", err)
			}
			if strings.Contains(doc.JSON(), "{{") {
				t.Fatalf("unfilled placeholder: %s", doc.JSON())
			}
		}
		var perms PolicyDocument
		_ = json.Unmarshal([]byte(spec.PermissionsPolicy().JSON()), &perms)
		if len(perms.Statement) != len(referenceSids) {
			t.Fatalf("%d statements", len(perms.Statement))
		}
		for i, s := range perms.Statement {
			if s.Sid != referenceSids[i] || s.Effect != "Allow" {
				t.Fatalf("statement %d is %s %s", i, s.Sid, s.Effect)
			}
		}
	})
}
