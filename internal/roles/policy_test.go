package roles

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
			// SubscriptionPermissions Exclude: the page as it is now.
			requireSameStatements(t, asJSONValue(t, CurrentPermissionsPolicy(c.p)), fillReference(t, "application-role-policy-current.json", c.p))
		})
	}
}

// referenceFiles are AWS's documents kept under testdata/reference (its
// README names their sources).
var referenceFiles = []string{
	"qbusiness-iam-role-page.txt",
	"application-role-policy.json", "application-trust-policy.json", "service-linked-role-policy.json",
	"application-role-policy-current.json",
	"roles/data-source-role-trust-policy.json", "roles/data-source-role-policy.json",
	"roles/data-source-role-secret-statement.json", "roles/s3-data-source-role-policy.json",
	"roles/plugin-role-trust-policy.json", "roles/plugin-role-policy.json",
	"roles/retriever-role-trust-policy.json", "roles/retriever-role-policy.json",
}

func readReferenceJSON(t *testing.T, file string) any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", file))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// Every file under testdata/reference is one of referenceFiles, and its README
// names it (with its source).
func TestReferenceFilesAreNamed(t *testing.T) {
	root := filepath.Join("testdata", "reference")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return err
		}
		rel, err := filepath.Rel(root, path)
		name := filepath.ToSlash(rel)
		files = append(files, name)
		if !bytes.Contains(readme, []byte("`"+name+"`")) {
			t.Errorf("testdata/reference/README.md does not name %s", name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(slices.Values(referenceFiles)); !slices.Equal(slices.Sorted(slices.Values(files)), want) {
		t.Errorf("testdata/reference holds %v, want %v", files, want)
	}
}

// The JSON copies are the documents of AWS's page, in the page's order (the
// role's permissions, its trust, the service-linked role's policy), unchanged
// but for indentation.
func TestReferenceCopiesAreThePage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", "qbusiness-iam-role-page.txt"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	if title := "IAM role for an Amazon Q Business application"; !strings.HasPrefix(page, title) {
		t.Errorf("the page's text does not begin with its title %q", title)
	}
	var docs []any
	for rest := page; ; {
		i := strings.Index(rest, `{ "Version"`)
		if i < 0 {
			break
		}
		dec := json.NewDecoder(strings.NewReader(rest[i:]))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("document %d of the page: %v", len(docs)+1, err)
		}
		docs = append(docs, v)
		rest = rest[i+int(dec.InputOffset()):]
	}
	files := []string{"application-role-policy.json", "application-trust-policy.json", "service-linked-role-policy.json"}
	if len(docs) != len(files) {
		t.Fatalf("the page has %d policy documents, want %d", len(docs), len(files))
	}
	for i, f := range files {
		if got := readReferenceJSON(t, f); !reflect.DeepEqual(got, docs[i]) {
			t.Errorf("testdata/reference/%s is not document %d of the page", f, i+1)
		}
	}
}

// AWS's page now shows the permissions policy without its last statement,
// the user subscriptions; the code keeps the copy's five (see
// testdata/reference/README.md). Nothing else differs.
func TestCurrentPageLacksOnlyTheSubscriptionStatement(t *testing.T) {
	copied := readReferenceJSON(t, "application-role-policy.json").(map[string]any)
	current := readReferenceJSON(t, "application-role-policy-current.json").(map[string]any)
	stmts := copied["Statement"].([]any)
	if last := stmts[len(stmts)-1].(map[string]any)["Sid"]; last != "QBusinessUserSubscriptionPermissions" {
		t.Fatalf("the copy's last statement is %v", last)
	}
	copied["Statement"] = stmts[:len(stmts)-1]
	if !reflect.DeepEqual(copied, current) {
		t.Error("the page's current permissions policy differs from the copy by more than the subscription statement")
	}
}

// Where the project's reference copies are at hand (beside the checkout, in
// ../shared/reference), the files under testdata are byte for byte theirs.
// A clone has no such directory: the test then skips, and the copies are still
// checked against the page's text (TestReferenceCopiesAreThePage).
func TestReferenceCopiesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "reference")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("the project's reference copies (%s) are not beside this checkout, as in any clone; "+
			"the copies under testdata/reference are checked against the page's text instead: %v", shared, err)
	}
	inShared := map[string]string{"application-role-policy-current.json": filepath.Join("roles", "application-role-policy-current.json")}
	for _, f := range referenceFiles {
		t.Run(f, func(t *testing.T) {
			name := f
			if n, ok := inShared[f]; ok {
				name = n
			}
			a, err := os.ReadFile(filepath.Join(shared, name))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("testdata", "reference", f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("testdata/reference/%s differs from %s", f, filepath.Join(shared, name))
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
