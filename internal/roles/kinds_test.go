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

const (
	kindApp    = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	kindIndex  = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	kindKendra = "kkkkkkkk-1111-2222-3333-444444444444"
	kindSecret = "qbrole/plugin-creds-AbCdEf"
)

// Every RoleType has one entry, every entry is a RoleType, and every role
// qbrole owns names its page, its defaults and documents.
func TestEveryRoleTypeHasOneEntry(t *testing.T) {
	var types []schema.RoleType
	for k := range roleKinds {
		types = append(types, k)
	}
	if !slices.Equal(slices.Sorted(slices.Values(types)), slices.Sorted(slices.Values(schema.RoleTypes()))) {
		t.Fatalf("roleKinds holds %v, schema.RoleTypes %v", types, schema.RoleTypes())
	}
	for _, rt := range schema.RoleTypes() {
		k := kindOf(rt)
		if !strings.Contains(k.page, "https://docs.aws.amazon.com/") || k.description == "" {
			t.Errorf("%s: page %q, description %q", rt, k.page, k.description)
		}
		if k.owned() != (rt != schema.ServiceLinkedRole) || k.owned() != (k.permissions != nil) || k.owned() != (k.policyName != "") {
			t.Errorf("%s: owned %v, permissions %v, policy name %q", rt, k.owned(), k.permissions != nil, k.policyName)
		}
		if !descriptionPattern.MatchString(k.description) || len(k.description) > maxDescription ||
			(k.owned() && !policyNamePattern.MatchString(k.policyName)) {
			t.Errorf("%s: defaults IAM would refuse: %q, %q", rt, k.description, k.policyName)
		}
	}
}

// fillRoleReference reads a document of testdata/reference/roles and fills
// its placeholders as text.
func fillRoleReference(t *testing.T, file string, p Placeholders) any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", "roles", file))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"{{region}}", p.Region, "{{account_id}}", p.AccountID, "{{source_account}}", p.SourceAccount,
		"{{application_id}}", p.ApplicationID, "{{index_id}}", p.IndexID, "{{input_bucket_name}}", p.BucketName,
		"{{secret_id}}", p.SecretID, "{{kendra_index_id}}", p.KendraIndexID,
		"arn:aws:", "arn:"+p.Partition+":",
	).Replace(string(raw))
	if strings.Contains(text, "{{") {
		t.Fatalf("%s: a placeholder left unfilled: %s", file, text)
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// kindCase is a role type's properties and the reference documents they
// must render: trust, then the permissions policy with statements appended
// (the data-source secret statement).
type kindCase struct {
	name   string
	props  map[string]any
	trust  string
	policy string
	extra  []string
}

func kindCases(stack Stack) []kindCase {
	secret := "arn:" + stack.Partition + ":secretsmanager:" + stack.Region + ":" + stack.AccountID + ":secret:" + kindSecret
	return []kindCase{
		{"data source, generic", map[string]any{"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex},
			"data-source-role-trust-policy.json", "data-source-role-policy.json", nil},
		{"data source, generic with a secret", map[string]any{"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex,
			"SecretArn": secret}, "data-source-role-trust-policy.json", "data-source-role-policy.json", []string{"data-source-role-secret-statement.json"}},
		{"data source, S3", map[string]any{"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex,
			"BucketName": "qbrole-docs.example-1"}, "data-source-role-trust-policy.json", "s3-data-source-role-policy.json", nil},
		{"plugin", map[string]any{"RoleType": "PluginRole", "ApplicationId": kindApp, "SecretArn": secret},
			"plugin-role-trust-policy.json", "plugin-role-policy.json", nil},
		{"retriever", map[string]any{"RoleType": "RetrieverRole", "ApplicationId": kindApp, "KendraIndexId": kindKendra},
			"retriever-role-trust-policy.json", "retriever-role-policy.json", nil},
	}
}

// Each new RoleType renders exactly AWS's documents, with the placeholders
// filled, statement for statement, in the standard and other partitions.
func TestRoleTypesMatchReference(t *testing.T) {
	stacks := []Stack{testStack, {ID: "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/s/g", Name: "s",
		Partition: "aws-cn", Region: "cn-north-1", AccountID: "111122223333"}}
	for _, stack := range stacks {
		for _, c := range kindCases(stack) {
			t.Run(stack.Partition+"/"+c.name, func(t *testing.T) {
				s, err := ParseSpec(c.props, stack, "R")
				if err != nil {
					t.Fatal(err)
				}
				p := s.Placeholders
				if p.ApplicationID != kindApp || p.SourceAccount != stack.AccountID || p.Region != stack.Region {
					t.Fatalf("placeholders %+v", p)
				}
				requireSameStatements(t, asJSONValue(t, s.TrustPolicy()), fillRoleReference(t, c.trust, p).(map[string]any))
				want := fillRoleReference(t, c.policy, p).(map[string]any)
				for _, e := range c.extra {
					want["Statement"] = append(want["Statement"].([]any), fillRoleReference(t, e, p))
				}
				requireSameStatements(t, asJSONValue(t, s.PermissionsPolicy()), want)
				if s.PolicyName != kindOf(s.Type).policyName || s.Description != kindOf(s.Type).description || s.Path != DefaultPath {
					t.Errorf("defaults: %q %q %q", s.PolicyName, s.Description, s.Path)
				}
			})
		}
	}
}

// Every reference document of a role type is some case's: none is left
// untested.
func TestEveryRoleReferenceIsRendered(t *testing.T) {
	used := map[string]bool{}
	for _, c := range kindCases(testStack) {
		used[c.trust], used[c.policy] = true, true
		for _, e := range c.extra {
			used[e] = true
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "reference", "roles", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		if !used[filepath.Base(f)] {
			t.Errorf("%s is compared by no case", f)
		}
	}
}

// Bad and misplaced properties of the new role types are refused by name,
// before any IAM call.
func TestRoleTypePropertyRefusals(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + kindSecret
	ds := func(extra map[string]any) map[string]any {
		p := map[string]any{"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	cases := []struct {
		name  string
		props map[string]any
		prop  string
		want  string
	}{
		{"unknown RoleType", map[string]any{"RoleType": "WebExperienceRole"}, "RoleType", "must be ApplicationRole, ServiceLinkedRole, DataSourceRole, PluginRole or RetrieverRole"},
		{"RoleType in the wrong case", map[string]any{"RoleType": "datasourcerole", "ApplicationId": kindApp, "IndexId": kindIndex}, "RoleType", "did you mean DataSourceRole?"},
		{"data source without ApplicationId", map[string]any{"RoleType": "DataSourceRole", "IndexId": kindIndex}, "ApplicationId", "is required when RoleType is DataSourceRole"},
		{"data source for any application", ds(map[string]any{"ApplicationId": "*"}), "ApplicationId", "not *"},
		{"data source without IndexId", map[string]any{"RoleType": "DataSourceRole", "ApplicationId": kindApp}, "IndexId", "is required"},
		{"short IndexId", ds(map[string]any{"IndexId": "abc"}), "IndexId", "36 letters, digits and hyphens"},
		{"IndexId as a number", ds(map[string]any{"IndexId": 7.0}), "IndexId", "must be a string"},
		{"bucket with capitals", ds(map[string]any{"BucketName": "Docs"}), "BucketName", "lowercase"},
		{"bucket too short", ds(map[string]any{"BucketName": "ab"}), "BucketName", "3 to 63"},
		{"bucket too long", ds(map[string]any{"BucketName": strings.Repeat("a", 64)}), "BucketName", "3 to 63"},
		{"bucket ending in a hyphen", ds(map[string]any{"BucketName": "docs-"}), "BucketName", "ending with a letter or digit"},
		{"bucket with two dots", ds(map[string]any{"BucketName": "a..b"}), "BucketName", "two adjacent dots"},
		{"bucket as an IP address", ds(map[string]any{"BucketName": "192.168.5.4"}), "BucketName", "IP address"},
		{"bucket with a reserved prefix", ds(map[string]any{"BucketName": "xn--docs"}), "BucketName", "xn--"},
		{"bucket with a reserved suffix", ds(map[string]any{"BucketName": "docs-s3alias"}), "BucketName", "-s3alias"},
		{"bucket and secret", ds(map[string]any{"BucketName": "docs", "SecretArn": secret}), "SecretArn", "not with BucketName"},
		{"secret not an ARN", ds(map[string]any{"SecretArn": "plugin-creds"}), "SecretArn", "not a Secrets Manager secret ARN"},
		{"secret of another service", ds(map[string]any{"SecretArn": "arn:aws:ssm:us-east-1:123456789012:parameter/x"}), "SecretArn", "not a Secrets Manager secret ARN"},
		{"secret in another account", ds(map[string]any{"SecretArn": "arn:aws:secretsmanager:us-east-1:444455556666:secret:x-AbCdEf"}), "SecretArn", "stack's partition, region and account"},
		{"secret in another region", ds(map[string]any{"SecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf"}), "SecretArn", "stack's partition, region and account"},
		{"secret in another partition", ds(map[string]any{"SecretArn": "arn:aws-cn:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf"}), "SecretArn", "stack's partition, region and account"},
		{"partial secret ARN (no six-character suffix)", ds(map[string]any{"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:qbrole/jira-creds"}), "SecretArn", "partial ARN"},
		{"secret suffix too short", ds(map[string]any{"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdE"}), "SecretArn", "partial ARN"},
		{"secret with a space", ds(map[string]any{"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a b"}), "SecretArn", "not a Secrets Manager secret ARN"},
		{"data source with SubscriptionId", ds(map[string]any{"SubscriptionId": "s"}), "SubscriptionId", "only ApplicationRole takes it"},
		{"data source with Region", ds(map[string]any{"Region": "us-east-1"}), "Region", "is not supported when RoleType is DataSourceRole"},
		{"data source with KendraIndexId", ds(map[string]any{"KendraIndexId": kindKendra}), "KendraIndexId", "only RetrieverRole takes it"},
		{"plugin without SecretArn", map[string]any{"RoleType": "PluginRole", "ApplicationId": kindApp}, "SecretArn", "is required when RoleType is PluginRole"},
		{"plugin without ApplicationId", map[string]any{"RoleType": "PluginRole", "SecretArn": secret}, "ApplicationId", "is required"},
		{"plugin with IndexId", map[string]any{"RoleType": "PluginRole", "ApplicationId": kindApp, "SecretArn": secret, "IndexId": kindIndex}, "IndexId", "only DataSourceRole takes it"},
		{"plugin with SubscriptionPermissions", map[string]any{"RoleType": "PluginRole", "ApplicationId": kindApp, "SecretArn": secret,
			"SubscriptionPermissions": "Exclude"}, "SubscriptionPermissions", "only ApplicationRole takes it"},
		{"retriever without KendraIndexId", map[string]any{"RoleType": "RetrieverRole", "ApplicationId": kindApp}, "KendraIndexId", "is required"},
		{"retriever with a bad KendraIndexId", map[string]any{"RoleType": "RetrieverRole", "ApplicationId": kindApp, "KendraIndexId": "k/1"}, "KendraIndexId", "Amazon Kendra index"},
		{"retriever with BucketName", map[string]any{"RoleType": "RetrieverRole", "ApplicationId": kindApp, "KendraIndexId": kindKendra,
			"BucketName": "docs"}, "BucketName", "only DataSourceRole takes it"},
		{"application role with IndexId", map[string]any{"IndexId": kindIndex}, "IndexId", "is not supported when RoleType is ApplicationRole"},
		{"application role with SecretArn", map[string]any{"SecretArn": secret}, "SecretArn", "only DataSourceRole and PluginRole take it"},
		{"service-linked role with KendraIndexId", map[string]any{"RoleType": "ServiceLinkedRole", "KendraIndexId": kindKendra}, "KendraIndexId", "only RetrieverRole"},
		{"service-linked role with ApplicationId", map[string]any{"RoleType": "ServiceLinkedRole", "ApplicationId": kindApp}, "ApplicationId", "is not supported when RoleType is ServiceLinkedRole"},
		{"new type with a bad RoleName", ds(map[string]any{"RoleName": "a b"}), "RoleName", "letters, digits"},
		{"new type with a bad tag", ds(map[string]any{"Tags": []any{map[string]any{"Key": "qbrole:x", "Value": "v"}}}), "Tags[0].Key", "reserved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec(c.props, testStack, "R")
			if err == nil || !strings.Contains(err.Error(), c.prop+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want %s: ...%s...", err, c.prop, c.want)
			}
		})
	}
}

// A RoleType that is none of the values is the one error: the other
// properties, of the type meant, are not refused as another type's. An id
// that is no string is one error too, not also an empty id.
func TestUnknownRoleTypeIsTheOneError(t *testing.T) {
	for _, id := range []any{7.0, true} {
		_, err := ParseSpec(map[string]any{"RoleType": "RetrieverRole", "ApplicationId": kindApp, "KendraIndexId": id}, testStack, "R")
		var inv *InvalidPropertiesError
		if !errors.As(err, &inv) || len(inv.Errors) != 1 || !strings.Contains(err.Error(), "KendraIndexId: must be a string") {
			t.Errorf("KendraIndexId %v: %v; want one error, that it must be a string", id, err)
		}
	}
	for _, rt := range []string{"DataSourceRol", "datasourcerole", "WebExperienceRole"} {
		_, err := ParseSpec(map[string]any{"RoleType": rt, "ApplicationId": kindApp, "IndexId": kindIndex, "BucketName": "docs"}, testStack, "R")
		var inv *InvalidPropertiesError
		if !errors.As(err, &inv) || len(inv.Errors) != 1 || !strings.HasPrefix(inv.Errors[0].Error(), "RoleType: ") {
			t.Errorf("%s: %v; want one error, naming RoleType", rt, err)
		}
	}
}

// The accepted edges: the longest bucket name, dots, digits, a secret whose
// name has every allowed character, and each type's common properties.
func TestRoleTypesAccept(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b_c+d=e.f@g-h-AbCdEf"
	cases := map[string]map[string]any{
		"63-character bucket":   {"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex, "BucketName": strings.Repeat("a", 63)},
		"bucket with dots":      {"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex, "BucketName": "docs.example.com"},
		"bucket of digits":      {"RoleType": "DataSourceRole", "ApplicationId": kindApp, "IndexId": kindIndex, "BucketName": "123"},
		"secret of every char":  {"RoleType": "PluginRole", "ApplicationId": kindApp, "SecretArn": secret},
		"every common property": {"RoleType": "RetrieverRole", "ApplicationId": kindApp, "KendraIndexId": kindKendra, "RoleName": "qb-r", "Path": "/q/", "Description": "d", "PolicyName": "P", "PermissionsBoundary": "arn:aws:iam::123456789012:policy/b", "MaxSessionDuration": "7200", "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}, "OnDelete": "Retain"},
	}
	for name, props := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSpec(props, testStack, "R"); err != nil {
				t.Error(err)
			}
		})
	}
}

// The README documents every RoleType (a row of its Role types table naming
// the AWS page the entry follows) and every property some type takes (a row
// of a Properties table): a new type or property fails here until it is
// documented.
func TestREADMEDocumentsEveryRoleTypeAndProperty(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	rows := map[string]string{}
	for _, line := range strings.Split(readme, "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 2 && strings.HasPrefix(line, "| `") {
			name := strings.Fields(strings.Trim(strings.TrimSpace(cells[1]), "`"))[0]
			rows[strings.Trim(name, "`")] += line
		}
	}
	for _, rt := range schema.RoleTypes() {
		url := kindOf(rt).page[strings.Index(kindOf(rt).page, "https://"):]
		if !strings.Contains(rows[string(rt)], url) {
			t.Errorf("README: no Role types row for %s naming %s", rt, url)
		}
	}
	for _, p := range knownProperties() {
		if p == schema.PropServiceToken || p == schema.PropServiceTimeout {
			continue
		}
		if rows[p] == "" {
			t.Errorf("README: no Properties row for %s", p)
		}
	}
}
