package roles

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/schema"
)

var testStack = Stack{
	ID:        "arn:aws:cloudformation:us-east-1:123456789012:stack/qbusiness-demo/5b9c1e40-8e6e-11ef-9f2a-0affc1a2b3c4",
	Partition: "aws", Region: "us-east-1", AccountID: "123456789012", Name: "qbusiness-demo",
}

func TestParseStackID(t *testing.T) {
	got, err := ParseStackID(testStack.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != testStack {
		t.Errorf("got %+v, want %+v", got, testStack)
	}
	for _, bad := range []string{"", "arn:aws:cloudformation:us-east-1:12345:stack/x/y", "arn:aws:s3:::bucket", "stack/x/y"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := ParseStackID(bad); err == nil || !strings.Contains(err.Error(), "StackId") {
				t.Errorf("ParseStackID(%q) error = %v, want one naming StackId", bad, err)
			}
		})
	}
}

func TestParseSpecDefaults(t *testing.T) {
	s, err := ParseSpec(map[string]any{"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"}, testStack, "AppRole")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Type: schema.ApplicationRole, Path: DefaultPath, Description: DefaultApplicationRoleDesc, PolicyName: DefaultPolicyName,
		SubscriptionPermissions: schema.IncludeSubscriptionPermissions,
		MaxSessionDuration:      DefaultMaxSessionDuration, OnDelete: schema.DeleteRole,
		Placeholders: Placeholders{Partition: "aws", Region: "us-east-1", AccountID: "123456789012",
			SourceAccount: "123456789012", ApplicationID: "*", SubscriptionID: "*"},
		Owner: Owner{StackID: testStack.ID, LogicalResourceID: "AppRole"},
	}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	slr, err := ParseSpec(map[string]any{"RoleType": "ServiceLinkedRole"}, testStack, "SLR")
	if err != nil {
		t.Fatal(err)
	}
	if slr.Type != schema.ServiceLinkedRole || slr.Description != DefaultServiceLinkedRoleDesc || slr.OnDelete != schema.DeleteRole {
		t.Errorf("service-linked spec = %+v", slr)
	}
}

func TestParseSpecAcceptsCloudFormationStrings(t *testing.T) {
	s, err := ParseSpec(map[string]any{
		"MaxSessionDuration": "43200", "Tags": []any{map[string]any{"Key": "b", "Value": "2"}, map[string]any{"Key": "a", "Value": ""}},
		"PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess", "Region": "eu-central-1", "SourceAccount": "444455556666",
		"ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "SubscriptionId": "sub-1", "OnDelete": "Retain",
		"Path": "/teams/q/", "RoleName": "my.role@x", "PolicyName": "P", "Description": "d",
	}, testStack, "AppRole")
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxSessionDuration != 43200 || s.OnDelete != schema.RetainRole || s.Placeholders.Region != "eu-central-1" ||
		s.Placeholders.AccountID != "123456789012" || s.Placeholders.SourceAccount != "444455556666" {
		t.Errorf("spec = %+v", s)
	}
	if len(s.Tags) != 2 || s.Tags[0].Key != "a" || s.Tags[1].Key != "b" {
		t.Errorf("tags = %v, want sorted a, b", s.Tags)
	}
	if all := s.AllTags(); len(all) != 4 {
		t.Errorf("AllTags = %v, want user tags and two ownership tags", all)
	}
}

// tags is a Tags property of n distinct tags.
func tags(n int) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = map[string]any{"Key": fmt.Sprintf("k%d", i), "Value": "v"}
	}
	return l
}

func TestParseSpecRejects(t *testing.T) {
	cases := []struct {
		name     string
		props    map[string]any
		property string
	}{
		{"unknown property", map[string]any{"RoleNmae": "x"}, "RoleNmae"},
		{"RoleType unknown", map[string]any{"RoleType": "Admin"}, "RoleType"},
		{"RoleType not a string", map[string]any{"RoleType": true}, "RoleType"},
		{"RoleName too long", map[string]any{"RoleName": strings.Repeat("a", 65)}, "RoleName"},
		{"RoleName empty", map[string]any{"RoleName": ""}, "RoleName"},
		{"RoleName with space", map[string]any{"RoleName": "a b"}, "RoleName"},
		{"RoleName not a string", map[string]any{"RoleName": 12.0}, "RoleName"},
		{"Path without slashes", map[string]any{"Path": "service-role"}, "Path"},
		{"Path with space", map[string]any{"Path": "/a b/"}, "Path"},
		{"Path too long", map[string]any{"Path": "/" + strings.Repeat("a", 511) + "/"}, "Path"},
		{"Path reserved", map[string]any{"Path": "/aws-service-role/x/"}, "Path"},
		{"Description too long", map[string]any{"Description": strings.Repeat("d", 1001)}, "Description"},
		{"Description with emoji", map[string]any{"Description": "role 🚀"}, "Description"},
		{"MaxSessionDuration too short", map[string]any{"MaxSessionDuration": "3599"}, "MaxSessionDuration"},
		{"MaxSessionDuration too long", map[string]any{"MaxSessionDuration": 43201.0}, "MaxSessionDuration"},
		{"MaxSessionDuration fraction", map[string]any{"MaxSessionDuration": 3600.5}, "MaxSessionDuration"},
		{"MaxSessionDuration word", map[string]any{"MaxSessionDuration": "an hour"}, "MaxSessionDuration"},
		{"MaxSessionDuration list", map[string]any{"MaxSessionDuration": []any{}}, "MaxSessionDuration"},
		{"too many tags", map[string]any{"Tags": tags(49)}, "Tags"},
		{"Tags not a list", map[string]any{"Tags": "a=b"}, "Tags"},
		{"tag not an object", map[string]any{"Tags": []any{"a"}}, "Tags[0]"},
		{"tag key not a string", map[string]any{"Tags": []any{map[string]any{"Key": 5.0, "Value": "v"}}}, "Tags[0].Key"},
		{"tag value not a string", map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": true}}}, "Tags[0].Value"},
		{"tag key too long", map[string]any{"Tags": []any{map[string]any{"Key": strings.Repeat("k", 129), "Value": "v"}}}, "Tags[0].Key"},
		{"tag value too long", map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": strings.Repeat("v", 257)}}}, "Tags[0].Value"},
		{"tag key reserved by AWS", map[string]any{"Tags": []any{map[string]any{"Key": "aws:x", "Value": "v"}}}, "Tags[0].Key"},
		{"tag value reserved by AWS", map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": "aws:x"}}}, "Tags[0].Value"},
		{"tag value reserved by AWS, upper case", map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": "AWS:x"}}}, "Tags[0].Value"},
		{"tag key forging ownership", map[string]any{"Tags": []any{map[string]any{"Key": schema.TagStackID, "Value": "v"}}}, "Tags[0].Key"},
		{"duplicate tag keys", map[string]any{"Tags": []any{map[string]any{"Key": "K", "Value": "1"}, map[string]any{"Key": "k", "Value": "2"}}}, "Tags[1].Key"},
		{"tag with extra field", map[string]any{"Tags": []any{map[string]any{"Key": "k", "Value": "v", "Propagate": "true"}}}, "Tags[0]"},
		{"boundary not an ARN", map[string]any{"PermissionsBoundary": "PowerUserAccess"}, "PermissionsBoundary"},
		{"boundary of another service", map[string]any{"PermissionsBoundary": "arn:aws:s3:::bucket/policy"}, "PermissionsBoundary"},
		{"SourceAccount short", map[string]any{"SourceAccount": "12345"}, "SourceAccount"},
		{"Region malformed", map[string]any{"Region": "US_EAST_1"}, "Region"},
		{"ApplicationId malformed", map[string]any{"ApplicationId": "app/../*"}, "ApplicationId"},
		{"ApplicationId too short", map[string]any{"ApplicationId": "abc"}, "ApplicationId"},
		{"SubscriptionId malformed", map[string]any{"SubscriptionId": "a*b"}, "SubscriptionId"},
		{"PolicyName malformed", map[string]any{"PolicyName": "my policy"}, "PolicyName"},
		{"OnDelete unknown", map[string]any{"OnDelete": "Snapshot"}, "OnDelete"},
		{"service-linked role with a name", map[string]any{"RoleType": "ServiceLinkedRole", "RoleName": "x"}, "RoleName"},
		{"service-linked role with tags", map[string]any{"RoleType": "ServiceLinkedRole", "Tags": []any{}}, "Tags"},
		{"SubscriptionPermissions unknown", map[string]any{"SubscriptionPermissions": "Some"}, "SubscriptionPermissions"},
		{"SubscriptionPermissions in another case", map[string]any{"SubscriptionPermissions": "exclude"}, "SubscriptionPermissions"},
		{"ApplicationId without the subscription statement", map[string]any{"SubscriptionPermissions": "Exclude",
			"ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}, "ApplicationId"},
		{"SubscriptionId without the subscription statement", map[string]any{"SubscriptionPermissions": "Exclude", "SubscriptionId": "*"}, "SubscriptionId"},
		{"SourceAccount without the subscription statement", map[string]any{"SubscriptionPermissions": "Exclude", "SourceAccount": "123456789012"}, "SourceAccount"},
		{"service-linked role with SubscriptionPermissions", map[string]any{"RoleType": "ServiceLinkedRole", "SubscriptionPermissions": "Include"}, "SubscriptionPermissions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec(c.props, testStack, "AppRole")
			var pe *PropertyError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a PropertyError", err)
			}
			var inv *InvalidPropertiesError
			if !errors.As(err, &inv) {
				t.Fatalf("error = %T, want InvalidPropertiesError", err)
			}
			for _, e := range inv.Errors {
				if errors.As(e, &pe) && pe.Property == c.property {
					return
				}
			}
			t.Errorf("error %q names no property %s", err, c.property)
		})
	}
}

func TestParseSpecReportsEveryProblem(t *testing.T) {
	_, err := ParseSpec(map[string]any{"RoleName": "", "Path": "x", "Foo": "1"}, testStack, "AppRole")
	for _, p := range []string{"RoleName", "Path", "Foo"} {
		if err == nil || !strings.Contains(err.Error(), p+":") {
			t.Errorf("error %v does not name %s", err, p)
		}
	}
}

func TestGeneratedRoleName(t *testing.T) {
	long := Stack{ID: testStack.ID, Name: strings.Repeat("S", 128)}
	cases := []struct {
		name            string
		stack           Stack
		logical, prefix string
	}{
		{"short", testStack, "AppRole", "qbusiness-demo-AppRole-QBusiness-"},
		{"long stack name", long, "AppRole", strings.Repeat("S", 33) + "-AppRole-QBusiness-"},
		{"long stack and logical id", long, strings.Repeat("L", 200), strings.Repeat("S", 20) + "-" + strings.Repeat("L", 20) + "-QBusiness-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := GeneratedRoleName(c.stack, c.logical, "req-1")
			if !roleNamePattern.MatchString(a) || len(a) > 64 || !strings.Contains(a, "QBusiness") {
				t.Errorf("%q is not a valid role name", a)
			}
			if !strings.HasPrefix(a, c.prefix) || len(a) != len(c.prefix)+12 {
				t.Errorf("%q, want %q and a 12-character suffix", a, c.prefix)
			}
			if b := GeneratedRoleName(c.stack, c.logical, "req-1"); a != b {
				t.Errorf("same request gave %q and %q", a, b)
			}
			if b := GeneratedRoleName(c.stack, c.logical, "req-2"); a == b {
				t.Errorf("another request gave the same name %q", a)
			}
		})
	}
}

func TestUnknownPropertyMessages(t *testing.T) {
	cases := []struct{ name, want string }{
		{"ApplicationID", "did you mean ApplicationId?"},
		{"rolename", "did you mean RoleName?"},
		{"Colour", "known: ApplicationId, BucketName, Description, IndexId, KendraIndexId, MaxSessionDuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec(map[string]any{c.name: "x"}, testStack, "AppRole")
			if err == nil || !strings.Contains(err.Error(), c.name+": unknown property") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// SubscriptionPermissions Exclude: the page's current 4 statements, and a
// default Description that does not speak of subscriptions; Include (the
// default) keeps the 5 statements and the Description roles have today.
func TestSubscriptionPermissions(t *testing.T) {
	for _, c := range []struct {
		name       string
		props      map[string]any
		statements int
		desc       string
	}{
		{"default", map[string]any{}, 5, DefaultApplicationRoleDesc},
		{"Include", map[string]any{"SubscriptionPermissions": "Include"}, 5, DefaultApplicationRoleDesc},
		{"Exclude", map[string]any{"SubscriptionPermissions": "Exclude"}, 4, DefaultCurrentApplicationRoleDesc},
		{"Exclude with a Description", map[string]any{"SubscriptionPermissions": "Exclude", "Description": "mine"}, 4, "mine"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := ParseSpec(c.props, testStack, "AppRole")
			if err != nil {
				t.Fatal(err)
			}
			doc := spec.PermissionsPolicy()
			if len(doc.Statement) != c.statements || spec.Description != c.desc {
				t.Errorf("%d statements, Description %q; want %d, %q", len(doc.Statement), spec.Description, c.statements, c.desc)
			}
			for _, st := range doc.Statement {
				if st.Sid == "QBusinessUserSubscriptionPermissions" && c.statements == 4 {
					t.Error("the subscription statement is there")
				}
			}
		})
	}
}
