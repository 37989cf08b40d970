package main

import (
	"bytes"
	"context"
	"encoding/json"
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

func TestRenderEvents(t *testing.T) {
	files, err := filepath.Glob(eventFile("*.json"))
	if err != nil || len(files) < 9 {
		t.Fatalf("events: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, stdout, stderr := run(t, "render", f)
			if strings.HasPrefix(filepath.Base(f), "invalid") {
				if code != 1 || !strings.Contains(stderr, "invalid properties: ") || !strings.Contains(stderr, "RoleName:") {
					t.Errorf("exit %d, stderr %q", code, stderr)
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
			switch r["roleType"] {
			case "ServiceLinkedRole":
				if r["awsServiceName"] != "qbusiness.amazonaws.com" || len(r) != 3 || !strings.Contains(r["page"].(string), "using-service-linked-roles.html") {
					t.Errorf("rendered %v", r)
				}
			case "ApplicationRole":
				trust := r["trustPolicy"].(map[string]any)["Statement"].([]any)
				perms := r["permissionsPolicy"].(map[string]any)["Statement"].([]any)
				if len(trust) != 1 || len(perms) != 5 || r["roleName"] == "" || r["path"] != "/service-role/" {
					t.Errorf("rendered %v", r)
				}
				if !strings.Contains(stdout, `"aws:SourceAccount": "123456789012"`) || strings.Contains(stdout, "{{") {
					t.Errorf("placeholders not filled:\n%s", stdout)
				}
			default:
				t.Errorf("roleType %v", r["roleType"])
			}
		})
	}
}

// render of the events prints AWS's documents with the placeholders filled
// from the event: the stack's account and region, ApplicationId and
// SubscriptionId defaulting to *.
func TestRenderMatchesReference(t *testing.T) {
	fill := strings.NewReplacer("{{region}}", "us-east-1", "{{account_id}}", "123456789012", "{{source_account}}", "123456789012",
		"{{application_id}}", "*", "{{subscription_id}}", "*")
	reference := func(name string) any {
		raw, err := os.ReadFile(filepath.Join("..", "internal", "roles", "testdata", "reference", name))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal([]byte(fill.Replace(string(raw))), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, f := range []string{"create-application-role.json", "update-application-role.json", "update-replace-application-role.json"} {
		t.Run(f, func(t *testing.T) {
			code, stdout, stderr := run(t, "render", eventFile(f))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r map[string]any
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			for field, file := range map[string]string{"trustPolicy": "application-trust-policy.json", "permissionsPolicy": "application-role-policy.json"} {
				if want := reference(file); !reflect.DeepEqual(r[field], want) {
					t.Errorf("%s differs from %s:\n got %v\nwant %v", field, file, r[field], want)
				}
			}
		})
	}
}
