package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func eventFile(name string) string { return filepath.Join("..", "events", name) }

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCLI(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCLIUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"help", []string{"help"}, 0, "bootstrap render EVENT_FILE"},
		{"-h", []string{"-h"}, 0, "bootstrap invoke EVENT_FILE"},
		{"no arguments", nil, 2, "bootstrap render"},
		{"unknown command", []string{"deploy"}, 2, `unknown command "deploy"`},
		{"render without a file", []string{"render"}, 2, "usage: bootstrap render EVENT_FILE"},
		{"missing file", []string{"render", "no-such-file.json"}, 1, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, c.args...)
			if code != c.code || !strings.Contains(stdout+stderr, c.out) {
				t.Errorf("exit %d, output %q; want %d and %q", code, stdout+stderr, c.code, c.out)
			}
		})
	}
}

// invalidEvents are the events/ files that must be refused, each with the
// properties its refusal must name.
var invalidEvents = map[string][]string{
	"invalid-application-role.json": {"ApplicationID", "RoleName", "MaxSessionDuration", "Tags[0].Key"},
	// A data-source role for any application (*), with another type's
	// properties (SubscriptionId: ApplicationRole's; KendraIndexId:
	// RetrieverRole's), an index id that is none and a bucket name S3 refuses.
	"invalid-data-source-role.json": {"ApplicationId", "SubscriptionId", "IndexId", "BucketName", "KendraIndexId"},
}

// pageOf is the AWS page each RoleType's rendering names.
var pageOf = map[string]string{
	"ApplicationRole":   "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application-iam-role.html",
	"ServiceLinkedRole": "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/using-service-linked-roles.html",
	"DataSourceRole":    "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/iam-roles-ds.html",
	"PluginRole":        "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/plugin-iam-role.html",
	"RetrieverRole":     "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/kendra-retriever-iam-role.html",
}

// Every event under events/ renders: the invalid ones exit 1 naming each bad
// property, the others print the role of their type with its page, every
// placeholder filled. What the documents hold is TestRenderMatchesReference's.
func TestRenderEvents(t *testing.T) {
	files, err := filepath.Glob(eventFile("*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("events: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, stdout, stderr := run(t, "render", f)
			if strings.HasPrefix(filepath.Base(f), "invalid") {
				names, ok := invalidEvents[filepath.Base(f)]
				if !ok {
					t.Fatal("an invalid-* event that invalidEvents does not list")
				}
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "invalid properties: ") {
					t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
				}
				for _, name := range names {
					if !strings.Contains(stderr, name+": ") {
						t.Errorf("the refusal does not name %s: %s", name, stderr)
					}
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, stdout)
			}
			page, ok := pageOf[fmt.Sprint(r["roleType"])]
			if !ok || !strings.HasSuffix(fmt.Sprint(r["page"]), page) {
				t.Fatalf("roleType %v, page %v", r["roleType"], r["page"])
			}
			if r["roleType"] == "ServiceLinkedRole" {
				if r["awsServiceName"] != "qbusiness.amazonaws.com" || len(r) != 3 {
					t.Errorf("rendered %v", r)
				}
				return
			}
			trust := r["trustPolicy"].(map[string]any)["Statement"].([]any)
			if len(trust) != 1 || r["roleName"] == "" || r["path"] != "/service-role/" || r["policyName"] == "" {
				t.Errorf("rendered %v", r)
			}
			if !strings.Contains(stdout, `"aws:SourceAccount": "123456789012"`) || strings.Contains(stdout, "{{") {
				t.Errorf("placeholders not filled:\n%s", stdout)
			}
		})
	}
}

// renderReference is an events/ file whose rendering must be AWS's documents
// (internal/roles/testdata/reference/), in that order: trust, permissions,
// and statements appended to the permissions (the data-source secret
// statement).
type renderReference struct {
	file, trust, policy string
	extra               []string
}

var renderReferences = []renderReference{
	{"create-application-role.json", "application-trust-policy.json", "application-role-policy.json", nil},
	{"update-application-role.json", "application-trust-policy.json", "application-role-policy.json", nil},
	{"update-replace-application-role.json", "application-trust-policy.json", "application-role-policy.json", nil},
	{"delete-application-role.json", "application-trust-policy.json", "application-role-policy.json", nil},
	{"delete-replaced-application-role.json", "application-trust-policy.json", "application-role-policy.json", nil},
	{"create-application-role-exclude-subscriptions.json", "application-trust-policy.json", "application-role-policy-current.json", nil},
	{"create-data-source-role.json", "roles/data-source-role-trust-policy.json", "roles/data-source-role-policy.json", nil},
	{"create-data-source-role-with-secret.json", "roles/data-source-role-trust-policy.json", "roles/data-source-role-policy.json",
		[]string{"roles/data-source-role-secret-statement.json"}},
	{"create-s3-data-source-role.json", "roles/data-source-role-trust-policy.json", "roles/s3-data-source-role-policy.json", nil},
	{"update-data-source-role.json", "roles/data-source-role-trust-policy.json", "roles/s3-data-source-role-policy.json", nil},
	{"delete-data-source-role.json", "roles/data-source-role-trust-policy.json", "roles/s3-data-source-role-policy.json", nil},
	{"create-plugin-role.json", "roles/plugin-role-trust-policy.json", "roles/plugin-role-policy.json", nil},
	{"delete-plugin-role.json", "roles/plugin-role-trust-policy.json", "roles/plugin-role-policy.json", nil},
	{"create-retriever-role.json", "roles/retriever-role-trust-policy.json", "roles/retriever-role-policy.json", nil},
	{"delete-retriever-role.json", "roles/retriever-role-trust-policy.json", "roles/retriever-role-policy.json", nil},
}

// render of every event of a role qbrole writes prints AWS's documents,
// statement for statement, with the placeholders filled from the event: the
// stack's account and region, and the event's ApplicationId (* when absent),
// SubscriptionId (likewise), IndexId, BucketName, SecretArn's secret id and
// KendraIndexId.
func TestRenderMatchesReference(t *testing.T) {
	compared := map[string]bool{}
	for _, c := range renderReferences {
		compared[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			fill := referenceFill(t, c.file)
			code, stdout, stderr := run(t, "render", eventFile(c.file))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			sameStatements(t, "trustPolicy", r["trustPolicy"], reference(t, fill, c.trust).(map[string]any))
			want := reference(t, fill, c.policy).(map[string]any)
			for _, e := range c.extra {
				want["Statement"] = append(want["Statement"].([]any), reference(t, fill, e))
			}
			sameStatements(t, "permissionsPolicy", r["permissionsPolicy"], want)
		})
	}
	// No event of a role qbrole writes is left out.
	files, _ := filepath.Glob(eventFile("*.json"))
	for _, f := range files {
		code, stdout, _ := run(t, "render", f)
		if code == 0 && strings.Contains(stdout, `"trustPolicy"`) && !compared[filepath.Base(f)] {
			t.Errorf("%s: its documents are compared with no reference", filepath.Base(f))
		}
	}
}

// referenceFill fills the reference documents' placeholders with the
// values of the events/ file (the stack is us-east-1, 123456789012).
func referenceFill(t *testing.T, file string) *strings.Replacer {
	t.Helper()
	raw, err := os.ReadFile(eventFile(file))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ ResourceProperties map[string]any }
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	// A placeholder the event has no value for is filled with unfilled, which
	// reference refuses.
	prop := func(name, otherwise string) string {
		if v, ok := ev.ResourceProperties[name].(string); ok {
			return v
		}
		return otherwise
	}
	_, secretID, found := strings.Cut(prop("SecretArn", ""), ":secret:")
	if !found {
		secretID = unfilled
	}
	return strings.NewReplacer("{{region}}", "us-east-1", "{{account_id}}", "123456789012", "{{source_account}}", "123456789012",
		"{{application_id}}", prop("ApplicationId", "*"), "{{subscription_id}}", prop("SubscriptionId", "*"),
		"{{index_id}}", prop("IndexId", unfilled), "{{input_bucket_name}}", prop("BucketName", unfilled),
		"{{secret_id}}", secretID, "{{kendra_index_id}}", prop("KendraIndexId", unfilled))
}

// unfilled marks a placeholder of a reference document that its event
// gives no value.
const unfilled = "(unfilled)"

// reference is a document of internal/roles/testdata/reference/, filled.
func reference(t *testing.T, fill *strings.Replacer, name string) any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "internal", "roles", "testdata", "reference", name))
	if err != nil {
		t.Fatal(err)
	}
	text := fill.Replace(string(raw))
	if strings.Contains(text, "{{") || strings.Contains(text, unfilled) {
		t.Fatalf("%s: a placeholder the event does not fill: %s", name, text)
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// sameStatements compares a rendered document with want statement for
// statement: the same Version, and the same statements in the same order,
// each exactly (Sid, list-or-string forms, conditions).
func sameStatements(t *testing.T, field string, got any, want map[string]any) {
	t.Helper()
	doc, ok := got.(map[string]any)
	if !ok {
		t.Fatalf("%s: %v is no document", field, got)
	}
	if doc["Version"] != want["Version"] || len(doc) != len(want) {
		t.Errorf("%s: %v, want the keys and Version of %v", field, doc, want)
	}
	gs, _ := doc["Statement"].([]any)
	ws := want["Statement"].([]any)
	if len(gs) != len(ws) {
		t.Fatalf("%s: %d statements, want %d", field, len(gs), len(ws))
	}
	for i := range ws {
		if !reflect.DeepEqual(gs[i], ws[i]) {
			g, _ := json.Marshal(gs[i])
			w, _ := json.Marshal(ws[i])
			t.Errorf("%s statement %d:\n got %s\nwant %s", field, i, g, w)
		}
	}
}
