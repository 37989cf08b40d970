package roles

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fillReference reads a reference document (AWS's page, copied under
// testdata) and fills its placeholders as text. That is fine for a test's
// expectation; the code itself builds documents from Go values.
func fillReference(t *testing.T, file string, p Placeholders) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", file))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"{{region}}", p.Region, "{{account_id}}", p.AccountID, "{{source_account}}", p.SourceAccount,
		"{{application_id}}", p.ApplicationID, "{{subscription_id}}", p.SubscriptionID,
		"arn:aws:", "arn:"+p.Partition+":",
	).Replace(string(raw))
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func asJSONValue(t *testing.T, d PolicyDocument) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(d.JSON()), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// requireSameStatements compares two documents statement for statement,
// exactly (same Sid, same list-or-string forms, same order).
func requireSameStatements(t *testing.T, got, want map[string]any) {
	t.Helper()
	if got["Version"] != want["Version"] {
		t.Errorf("Version = %v, want %v", got["Version"], want["Version"])
	}
	gs, ws := got["Statement"].([]any), want["Statement"].([]any)
	if len(gs) != len(ws) {
		t.Fatalf("%d statements, want %d", len(gs), len(ws))
	}
	for i := range ws {
		if !reflect.DeepEqual(gs[i], ws[i]) {
			g, _ := json.Marshal(gs[i])
			w, _ := json.Marshal(ws[i])
			t.Errorf("statement %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

func TestPoliciesMatchReference(t *testing.T) {
	cases := []struct {
		name string
		p    Placeholders
	}{
		{"defaults: any application and subscription", Placeholders{Partition: "aws", Region: "us-east-1",
			AccountID: "123456789012", SourceAccount: "123456789012", ApplicationID: "*", SubscriptionID: "*"}},
		{"named application in another source account", Placeholders{Partition: "aws", Region: "eu-west-1",
			AccountID: "111122223333", SourceAccount: "444455556666",
			ApplicationID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890", SubscriptionID: "sub-123"}},
		{"china partition", Placeholders{Partition: "aws-cn", Region: "cn-north-1",
			AccountID: "123456789012", SourceAccount: "123456789012", ApplicationID: "*", SubscriptionID: "*"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireSameStatements(t, asJSONValue(t, TrustPolicy(c.p)), fillReference(t, "application-trust-policy.json", c.p))
			requireSameStatements(t, asJSONValue(t, PermissionsPolicy(c.p)), fillReference(t, "application-role-policy.json", c.p))
		})
	}
}

// The copies under testdata must be AWS's page as the project keeps it in
// shared/reference, next to the repository.
func TestReferenceCopiesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "reference")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared/reference beside the repository: %v", err)
	}
	for _, f := range []string{"application-role-policy.json", "application-trust-policy.json", "service-linked-role-policy.json"} {
		t.Run(f, func(t *testing.T) {
			a, err := os.ReadFile(filepath.Join(shared, f))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("testdata", "reference", f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("testdata/reference/%s differs from shared/reference/%s", f, f)
			}
		})
	}
}

// A value cannot change a document's structure: it stays one JSON string.
func TestPlaceholderValuesCannotChangeStructure(t *testing.T) {
	hostile := `x"]},{"Effect":"Allow","Action":"*","Resource":"*`
	p := Placeholders{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", SourceAccount: "123456789012",
		ApplicationID: hostile, SubscriptionID: "*"}
	doc := asJSONValue(t, PermissionsPolicy(p))
	stmts := doc["Statement"].([]any)
	if len(stmts) != 5 {
		t.Fatalf("%d statements, want 5", len(stmts))
	}
	res := stmts[4].(map[string]any)["Resource"].([]any)
	if want := "arn:aws:qbusiness:us-east-1:123456789012:application/" + hostile; res[0] != want {
		t.Errorf("resource = %q, want the value kept as one string %q", res[0], want)
	}
}

func TestSameDocument(t *testing.T) {
	p := Placeholders{Partition: "aws", Region: "us-east-1", AccountID: "123456789012", SourceAccount: "123456789012",
		ApplicationID: "*", SubscriptionID: "*"}
	want := TrustPolicy(p)
	reordered := `{"Statement":[{"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:qbusiness:us-east-1:123456789012:application/*"},` +
		`"StringEquals":{"aws:SourceAccount":["123456789012"]}},"Action":["sts:AssumeRole"],"Principal":{"Service":["qbusiness.amazonaws.com"]},` +
		`"Effect":"Allow","Sid":"AmazonQApplicationPermission"}],"Version":"2012-10-17"}`
	other := TrustPolicy(Placeholders{Partition: "aws", Region: "eu-west-1", AccountID: "123456789012"})
	cases := []struct {
		name   string
		actual string
		same   bool
	}{
		{"identical", want.JSON(), true},
		{"URL-encoded, as IAM returns it", url.QueryEscape(want.JSON()), true},
		{"reordered keys and one-element lists", reordered, true},
		{"other region", other.JSON(), false},
		{"statement removed", `{"Version":"2012-10-17","Statement":[]}`, false},
		{"not JSON", "%%%", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SameDocument(c.actual, want); got != c.same {
				t.Errorf("SameDocument = %v, want %v", got, c.same)
			}
		})
	}
}
