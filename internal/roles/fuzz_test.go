package roles

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
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
	for _, c := range kindCases(testStack) {
		raw, err := json.Marshal(c.props)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
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
				if !given && !strings.HasPrefix(pe.Message, "is required when RoleType is ") {
					t.Fatalf("error names %q, which was not given: %v", pe.Property, err)
				}
			}
			return
		}
		if !spec.Owned() {
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
		if spec.Type != schema.ApplicationRole {
			requireReferenceSids(t, spec, perms)
			return
		}
		// With SubscriptionPermissions Exclude, the page as it is now: the
		// same statements without the last, the subscription statement.
		want := referenceSids
		if spec.SubscriptionPermissions == schema.ExcludeSubscriptionPermissions {
			want = referenceSids[:len(referenceSids)-1]
		}
		if len(perms.Statement) != len(want) {
			t.Fatalf("%d statements, want %d", len(perms.Statement), len(want))
		}
		for i, s := range perms.Statement {
			if s.Sid != want[i] || s.Effect != "Allow" {
				t.Fatalf("statement %d is %s %s", i, s.Sid, s.Effect)
			}
		}
	})
}

// requireReferenceSids: every statement of a new role type's permissions
// policy is a statement of its reference documents, in their order.
func requireReferenceSids(t *testing.T, spec Spec, perms PolicyDocument) {
	t.Helper()
	var sids []string
	for _, c := range kindCases(testStack) {
		if c.props["RoleType"] != string(spec.Type) {
			continue
		}
		for _, file := range append([]string{c.policy}, c.extra...) {
			raw, err := os.ReadFile(filepath.Join("testdata", "reference", "roles", file))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Sid       string
				Statement []struct{ Sid string }
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Sid != "" {
				sids = append(sids, doc.Sid)
			}
			for _, st := range doc.Statement {
				sids = append(sids, st.Sid)
			}
		}
	}
	for _, st := range perms.Statement {
		if !slices.Contains(sids, st.Sid) || st.Effect != "Allow" {
			t.Fatalf("%s: statement %s %s is on none of its pages", spec.Type, st.Sid, st.Effect)
		}
	}
}
