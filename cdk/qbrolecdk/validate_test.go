//go:build integration

package qbrolecdk

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/roles"
)

// panicOf runs f and returns what it panicked with ("" when it did not).
func panicOf(f func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	f()
	return ""
}

// Props the function would refuse are refused at synth with the function's
// own message (its FAILED Reason: roles.ParseSpec's error for the properties
// as CloudFormation sends them, scalars as strings), after the construct's
// path; props it accepts, and values CDK resolves only at deploy (tokens),
// synthesize. All cases share one jsii process.
func TestPropsTheFunctionRefusesAreRefusedAtSynth(t *testing.T) {
	manyTags := map[string]string{}
	var manyCfnTags []any
	for i := range 49 {
		k := fmt.Sprintf("k%02d", i)
		manyTags[k] = "v"
		manyCfnTags = append(manyCfnTags, map[string]any{"Key": k, "Value": "v"})
	}
	invalid := []struct {
		name  string
		props QBusinessRoleProps
		// cfn is what CloudFormation would send the function for props.
		cfn map[string]any
		// named are the properties the message must name.
		named []string
	}{
		{"service-linked role with the application role's MaxSessionDuration and Tags",
			QBusinessRoleProps{RoleType: ServiceLinkedRole, MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)), Tags: map[string]string{"team": "platform"}},
			map[string]any{"RoleType": "ServiceLinkedRole", "MaxSessionDuration": "3600", "Tags": []any{map[string]any{"Key": "team", "Value": "platform"}}},
			[]string{"MaxSessionDuration", "Tags"}},
		{"SubscriptionPermissions Exclude with an ApplicationId",
			QBusinessRoleProps{SubscriptionPermissions: ExcludeSubscriptionPermissions, ApplicationId: jsii.String("a1b2c3d4-e5f6-7890-abcd-ef1234567890")},
			map[string]any{"SubscriptionPermissions": "Exclude", "ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
			[]string{"ApplicationId"}},
		{"service-linked role with a RoleName",
			QBusinessRoleProps{RoleType: ServiceLinkedRole, RoleName: jsii.String("mine")},
			map[string]any{"RoleType": "ServiceLinkedRole", "RoleName": "mine"}, []string{"RoleName"}},
		{"RoleName with a space", QBusinessRoleProps{RoleName: jsii.String("my role")},
			map[string]any{"RoleName": "my role"}, []string{"RoleName"}},
		{"RoleName over 64 characters", QBusinessRoleProps{RoleName: jsii.String(strings.Repeat("r", 65))},
			map[string]any{"RoleName": strings.Repeat("r", 65)}, []string{"RoleName"}},
		{"49 tags (48 with the 2 ownership tags)", QBusinessRoleProps{Tags: manyTags},
			map[string]any{"Tags": manyCfnTags}, []string{"Tags"}},
		{"tag key with the aws: prefix", QBusinessRoleProps{Tags: map[string]string{"aws:team": "x"}},
			map[string]any{"Tags": []any{map[string]any{"Key": "aws:team", "Value": "x"}}}, []string{"Tags[0].Key"}},
		{"MaxSessionDuration of 13 hours", QBusinessRoleProps{MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(13))},
			map[string]any{"MaxSessionDuration": "46800"}, []string{"MaxSessionDuration"}},
		{"MaxSessionDuration of 30 minutes", QBusinessRoleProps{MaxSessionDuration: awscdk.Duration_Minutes(jsii.Number(30))},
			map[string]any{"MaxSessionDuration": "1800"}, []string{"MaxSessionDuration"}},
		{"Path without its closing slash", QBusinessRoleProps{Path: jsii.String("/q")},
			map[string]any{"Path": "/q"}, []string{"Path"}},
		{"unknown RoleType", QBusinessRoleProps{RoleType: RoleType("Application")},
			map[string]any{"RoleType": "Application"}, []string{"RoleType"}},
		{"unknown OnDelete", QBusinessRoleProps{OnDelete: OnDelete("Keep")},
			map[string]any{"OnDelete": "Keep"}, []string{"OnDelete"}},
		{"Region and SourceAccount malformed", QBusinessRoleProps{Region: jsii.String("EU"), SourceAccount: jsii.String("1234")},
			map[string]any{"Region": "EU", "SourceAccount": "1234"}, []string{"Region", "SourceAccount"}},
		{"PermissionsBoundary not a policy ARN", QBusinessRoleProps{PermissionsBoundary: jsii.String("PowerUserAccess")},
			map[string]any{"PermissionsBoundary": "PowerUserAccess"}, []string{"PermissionsBoundary"}},
		{"a token elsewhere hides no error", QBusinessRoleProps{RoleName: jsii.String("my role"), Region: awscdk.Aws_REGION()},
			map[string]any{"RoleName": "my role", "Region": "eu-west-1"}, []string{"RoleName"}},
	}
	stack, err := roles.ParseStackID("arn:aws:cloudformation:eu-west-1:123456789012:stack/TestStack/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			_, err := roles.ParseSpec(c.cfn, stack, "Role")
			if err == nil {
				t.Fatalf("the function accepts %v", c.cfn)
			}
			want := "qbrole: TestStack/Role: " + err.Error()
			_, s := newStack(false, "")
			got := panicOf(func() { NewQBusinessRole(s, "Role", &c.props) })
			if got != want {
				t.Errorf("synth refused with\n%q\nthe function with\n%q", got, want)
			}
			for _, p := range c.named {
				if !strings.Contains(got, p+": ") {
					t.Errorf("%q does not name %s", got, p)
				}
			}
		})
	}

	valid := map[string]func(s awscdk.Stack) *QBusinessRoleProps{
		"no props": func(awscdk.Stack) *QBusinessRoleProps { return nil },
		"service-linked role": func(awscdk.Stack) *QBusinessRoleProps {
			return &QBusinessRoleProps{RoleType: ServiceLinkedRole, Description: jsii.String("d"), OnDelete: RetainRole}
		},
		"every application prop":   func(awscdk.Stack) *QBusinessRoleProps { return everyApplicationProp() },
		"tokens in every property": tokenProps,
		"shared provider": func(awscdk.Stack) *QBusinessRoleProps {
			return &QBusinessRoleProps{ProviderExportName: jsii.String("qbrole-provider-ServiceToken")}
		},
	}
	for name, props := range valid {
		t.Run(name, func(t *testing.T) {
			_, s := newStack(false, "")
			if p := panicOf(func() { NewQBusinessRole(s, "Role", props(s)) }); p != "" {
				t.Fatalf("refused: %s", p)
			}
			template(s).ResourceCountIs(jsii.String(ResourceType), jsii.Number(1))
		})
	}
}

// everyApplicationProp sets every application role property to a value the function accepts.
func everyApplicationProp() *QBusinessRoleProps {
	return &QBusinessRoleProps{
		RoleType: ApplicationRole, RoleName: jsii.String("r"), Path: jsii.String("/q/"), Description: jsii.String("d"),
		ApplicationId: jsii.String("a1b2c3d4-e5f6-7890-abcd-ef1234567890"), SubscriptionId: jsii.String("s"),
		Region: jsii.String("eu-west-1"), SourceAccount: jsii.String("444455556666"), PolicyName: jsii.String("P"),
		PermissionsBoundary: jsii.String("arn:aws:iam::aws:policy/PowerUserAccess"), MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(12)),
		Tags: map[string]string{"b": "2", "a": "1"}, OnDelete: DeleteRole,
	}
}

// tokenProps gives each property a value known only at deploy: parameters,
// pseudo parameters, an import; none of them is judged at synth.
func tokenProps(s awscdk.Stack) *QBusinessRoleProps {
	param := func(id string) *string {
		return awscdk.NewCfnParameter(s, jsii.String(id), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	}
	return &QBusinessRoleProps{
		RoleName: param("Name"), Path: param("Path"), Description: param("Description"),
		ApplicationId: awscdk.Fn_ImportValue(jsii.String("app-id")), SubscriptionId: param("Subscription"),
		Region: awscdk.Aws_REGION(), SourceAccount: awscdk.Aws_ACCOUNT_ID(), PolicyName: param("Policy"),
		PermissionsBoundary: awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"), nil),
		MaxSessionDuration:  awscdk.Duration_Seconds(awscdk.Token_AsNumber(param("Seconds"))),
		Tags:                map[string]string{"team": *param("Team"), *param("Key"): "v"},
	}
}
