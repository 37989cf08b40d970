package roles

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// unchangedGolden holds what version 0.3.0 (before the role types became
// data) made of unchangedCases: every setting and the exact bytes of both
// documents it sends IAM. Written once from that version with
// QBROLE_WRITE_UNCHANGED_GOLDEN=1; never rewritten since.
var unchangedGolden = filepath.Join("testdata", "unchanged-0.3.0.json")

// unchangedEvents are the events under events/ that version 0.3.0 had, all
// of application and service-linked roles. Events added since (the other
// role types', and create-application-role-exclude-subscriptions.json) have
// no 0.3.0 answer in the golden, which is never rewritten.
var unchangedEvents = []string{
	"create-application-role.json", "create-service-linked-role.json", "delete-application-role.json",
	"delete-replaced-application-role.json", "delete-service-linked-role.json", "invalid-application-role.json",
	"update-application-role.json", "update-replace-application-role.json", "update-service-linked-role.json",
}

// unchangedCases are application-role and service-linked-role properties
// that existed before the role types became data: defaults, each property
// set, both SubscriptionPermissions values, and every event of
// unchangedEvents that parses.
func unchangedCases(t *testing.T) map[string]map[string]any {
	t.Helper()
	const app = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	cases := map[string]map[string]any{
		"defaults":                 {},
		"explicit type":            {"RoleType": "ApplicationRole"},
		"service-linked":           {"RoleType": "ServiceLinkedRole"},
		"service-linked described": {"RoleType": "ServiceLinkedRole", "Description": "d", "OnDelete": "Retain"},
		"every property": {"RoleName": "qb-app", "Path": "/p/", "Description": "d", "ApplicationId": app,
			"SubscriptionId": "sub-1", "Region": "eu-west-1", "SourceAccount": "444455556666", "PolicyName": "P",
			"PermissionsBoundary": "arn:aws:iam::123456789012:policy/b", "MaxSessionDuration": "7200",
			"Tags": []any{map[string]any{"Key": "b", "Value": "2"}, map[string]any{"Key": "a", "Value": "1"}}, "OnDelete": "Retain"},
		"include":           {"SubscriptionPermissions": "Include", "ApplicationId": app},
		"exclude":           {"SubscriptionPermissions": "Exclude"},
		"exclude described": {"SubscriptionPermissions": "Exclude", "Description": "d", "Region": "us-west-2"},
	}
	for _, name := range unchangedEvents {
		f := filepath.Join("..", "..", "events", name)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ ResourceProperties map[string]any }
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSpec(ev.ResourceProperties, testStack, "R"); err == nil {
			cases["events/"+filepath.Base(f)] = ev.ResourceProperties
		}
	}
	return cases
}

// unchangedSnapshot is what a Spec sends IAM, documents as their bytes.
func unchangedSnapshot(t *testing.T, props map[string]any) map[string]any {
	t.Helper()
	s, err := ParseSpec(props, testStack, "R")
	if err != nil {
		t.Fatal(err)
	}
	snap := map[string]any{"Type": s.Type, "Name": s.Name, "Path": s.Path, "Description": s.Description,
		"PolicyName": s.PolicyName, "PermissionsBoundary": s.PermissionsBoundary,
		"MaxSessionDuration": s.MaxSessionDuration, "Tags": s.AllTags(), "OnDelete": s.OnDelete}
	if s.Type == "ApplicationRole" {
		snap["Trust"], snap["Permissions"] = s.TrustPolicy().JSON(), s.PermissionsPolicy().JSON()
	}
	return snap
}

// ApplicationRole and ServiceLinkedRole resources see no change from the
// role types becoming data: the same settings and, byte for byte, the same
// documents as version 0.3.0 for the same properties.
func TestApplicationAndServiceLinkedRolesUnchanged(t *testing.T) {
	got := map[string]any{}
	for name, props := range unchangedCases(t) {
		got[name] = unchangedSnapshot(t, props)
	}
	gotJSON, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("QBROLE_WRITE_UNCHANGED_GOLDEN") == "1" {
		if err := os.WriteFile(unchangedGolden, append(gotJSON, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(unchangedGolden)
	if err != nil {
		t.Fatal(err)
	}
	var want, have map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(gotJSON, &have)
	for name := range want {
		if g, w := mustJSON(t, have[name]), mustJSON(t, want[name]); g != w {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
	}
	if len(have) != len(want) {
		t.Errorf("%d cases, the golden has %d", len(have), len(want))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
