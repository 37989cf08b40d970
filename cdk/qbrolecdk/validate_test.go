//go:build integration

package qbrolecdk

import (
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsqbusiness"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
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
	const (
		appID   = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
		indexID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
		secret  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qbrole-docs-AbCdEf"
	)
	// inStack is the environment of the stack the function runs for (below).
	inStack := &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}
	invalid := []struct {
		name  string
		props QBusinessRoleProps
		// cfn is what CloudFormation would send the function for props.
		cfn map[string]any
		// named are the properties the message must name.
		named []string
		// env is the stack's environment; nil: environment-agnostic.
		env *awscdk.Environment
	}{
		{"data-source role without IndexId",
			QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(appID)},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": appID}, []string{"IndexId"}, nil},
		{"data-source role for any application, its bucket name not S3's",
			QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String("*"), IndexId: jsii.String(indexID), BucketName: jsii.String("Docs_Bucket")},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": "*", "IndexId": indexID, "BucketName": "Docs_Bucket"},
			[]string{"ApplicationId", "BucketName"}, nil},
		{"data-source role with BucketName and SecretArn",
			QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(appID), IndexId: jsii.String(indexID),
				BucketName: jsii.String("qbrole-docs"), SecretArn: jsii.String(secret)},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": appID, "IndexId": indexID, "BucketName": "qbrole-docs", "SecretArn": secret},
			[]string{"SecretArn"}, nil},
		{"data-source role with a secret of another account than the stack's environment",
			QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(appID), IndexId: jsii.String(indexID),
				SecretArn: jsii.String(strings.Replace(secret, "123456789012", "444455556666", 1))},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": appID, "IndexId": indexID,
				"SecretArn": strings.Replace(secret, "123456789012", "444455556666", 1)},
			[]string{"SecretArn"}, inStack},
		// CDK joins the stack's partition into an ARN (Secret.fromSecretNameV2);
		// the stack's environment knows the rest, so synth evaluates the join.
		{"plugin role whose SecretArn, joined with the stack's partition, is of another region than the stack's environment",
			QBusinessRoleProps{RoleType: PluginRole, ApplicationId: jsii.String(appID), SecretArn: awscdk.Fn_Join(jsii.String(""),
				&[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(strings.TrimPrefix(strings.Replace(secret, "eu-west-1", "us-east-1", 1), "arn:aws"))})},
			map[string]any{"RoleType": "PluginRole", "ApplicationId": appID, "SecretArn": strings.Replace(secret, "eu-west-1", "us-east-1", 1)},
			[]string{"SecretArn"}, inStack},
		{"plugin role without SecretArn, with the application role's SubscriptionId",
			QBusinessRoleProps{RoleType: PluginRole, ApplicationId: jsii.String(appID), SubscriptionId: jsii.String("s")},
			map[string]any{"RoleType": "PluginRole", "ApplicationId": appID, "SubscriptionId": "s"},
			[]string{"SecretArn", "SubscriptionId"}, nil},
		{"plugin role whose SecretArn is no secret's",
			QBusinessRoleProps{RoleType: PluginRole, ApplicationId: jsii.String(appID), SecretArn: jsii.String("arn:aws:ssm:eu-west-1:123456789012:parameter/p")},
			map[string]any{"RoleType": "PluginRole", "ApplicationId": appID, "SecretArn": "arn:aws:ssm:eu-west-1:123456789012:parameter/p"},
			[]string{"SecretArn"}, nil},
		{"retriever role without KendraIndexId, with a data source's IndexId",
			QBusinessRoleProps{RoleType: RetrieverRole, ApplicationId: jsii.String(appID), IndexId: jsii.String(indexID)},
			map[string]any{"RoleType": "RetrieverRole", "ApplicationId": appID, "IndexId": indexID},
			[]string{"KendraIndexId", "IndexId"}, nil},
		{"retriever role without ApplicationId, its KendraIndexId a token: only ApplicationId is missing",
			QBusinessRoleProps{RoleType: RetrieverRole, KendraIndexId: awscdk.Fn_ImportValue(jsii.String("kendra-index-id"))},
			map[string]any{"RoleType": "RetrieverRole", "KendraIndexId": indexID}, []string{"ApplicationId"}, nil},
		{"application role with a token in a property only the data-source role takes",
			QBusinessRoleProps{IndexId: awscdk.Fn_ImportValue(jsii.String("index-id"))},
			map[string]any{"IndexId": indexID}, []string{"IndexId"}, nil},
		{"service-linked role with the application role's MaxSessionDuration and Tags",
			QBusinessRoleProps{RoleType: ServiceLinkedRole, MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)), Tags: map[string]string{"team": "platform"}},
			map[string]any{"RoleType": "ServiceLinkedRole", "MaxSessionDuration": "3600", "Tags": []any{map[string]any{"Key": "team", "Value": "platform"}}},
			[]string{"MaxSessionDuration", "Tags"}, nil},
		{"SubscriptionPermissions Exclude with an ApplicationId",
			QBusinessRoleProps{SubscriptionPermissions: ExcludeSubscriptionPermissions, ApplicationId: jsii.String("a1b2c3d4-e5f6-7890-abcd-ef1234567890")},
			map[string]any{"SubscriptionPermissions": "Exclude", "ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
			[]string{"ApplicationId"}, nil},
		{"service-linked role with a RoleName",
			QBusinessRoleProps{RoleType: ServiceLinkedRole, RoleName: jsii.String("mine")},
			map[string]any{"RoleType": "ServiceLinkedRole", "RoleName": "mine"}, []string{"RoleName"}, nil},
		{"RoleName with a space", QBusinessRoleProps{RoleName: jsii.String("my role")},
			map[string]any{"RoleName": "my role"}, []string{"RoleName"}, nil},
		{"RoleName over 64 characters", QBusinessRoleProps{RoleName: jsii.String(strings.Repeat("r", 65))},
			map[string]any{"RoleName": strings.Repeat("r", 65)}, []string{"RoleName"}, nil},
		{"49 tags (48 with the 2 ownership tags)", QBusinessRoleProps{Tags: manyTags},
			map[string]any{"Tags": manyCfnTags}, []string{"Tags"}, nil},
		{"tag key with the aws: prefix", QBusinessRoleProps{Tags: map[string]string{"aws:team": "x"}},
			map[string]any{"Tags": []any{map[string]any{"Key": "aws:team", "Value": "x"}}}, []string{"Tags[0].Key"}, nil},
		{"MaxSessionDuration of 13 hours", QBusinessRoleProps{MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(13))},
			map[string]any{"MaxSessionDuration": "46800"}, []string{"MaxSessionDuration"}, nil},
		{"MaxSessionDuration of 30 minutes", QBusinessRoleProps{MaxSessionDuration: awscdk.Duration_Minutes(jsii.Number(30))},
			map[string]any{"MaxSessionDuration": "1800"}, []string{"MaxSessionDuration"}, nil},
		{"Path without its closing slash", QBusinessRoleProps{Path: jsii.String("/q")},
			map[string]any{"Path": "/q"}, []string{"Path"}, nil},
		{"unknown RoleType", QBusinessRoleProps{RoleType: RoleType("Application")},
			map[string]any{"RoleType": "Application"}, []string{"RoleType"}, nil},
		{"unknown OnDelete", QBusinessRoleProps{OnDelete: OnDelete("Keep")},
			map[string]any{"OnDelete": "Keep"}, []string{"OnDelete"}, nil},
		{"Region and SourceAccount malformed", QBusinessRoleProps{Region: jsii.String("EU"), SourceAccount: jsii.String("1234")},
			map[string]any{"Region": "EU", "SourceAccount": "1234"}, []string{"Region", "SourceAccount"}, nil},
		{"PermissionsBoundary not a policy ARN", QBusinessRoleProps{PermissionsBoundary: jsii.String("PowerUserAccess")},
			map[string]any{"PermissionsBoundary": "PowerUserAccess"}, []string{"PermissionsBoundary"}, nil},
		{"a token elsewhere hides no error", QBusinessRoleProps{RoleName: jsii.String("my role"), Region: awscdk.Aws_REGION()},
			map[string]any{"RoleName": "my role", "Region": "eu-west-1"}, []string{"RoleName"}, nil},
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
			s := stackIn(c.env)
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
		"data-source role of the stack's application and index (attributes: tokens)": func(s awscdk.Stack) *QBusinessRoleProps {
			app, index := applicationAndIndex(s)
			return &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: app.AttrApplicationId(), IndexId: index.AttrIndexId()}
		},
		"S3 data-source role, every property of its own given": func(awscdk.Stack) *QBusinessRoleProps {
			return &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(appID), IndexId: jsii.String(indexID),
				BucketName: jsii.String("qbrole-docs.example-1"), RoleName: jsii.String("docs-QBusiness"), Tags: map[string]string{"team": "search"}}
		},
		"S3 data-source role, its bucket a parameter": func(s awscdk.Stack) *QBusinessRoleProps {
			app, index := applicationAndIndex(s)
			bucket := awscdk.NewCfnParameter(s, jsii.String("Bucket"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
			return &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: app.AttrApplicationId(), IndexId: index.AttrIndexId(), BucketName: bucket}
		},
		// The stack has no environment: the function judges the secret's
		// partition, region and account only at deploy.
		"data-source role with a secret, environment-agnostic stack": func(awscdk.Stack) *QBusinessRoleProps {
			return &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(appID), IndexId: jsii.String(indexID),
				SecretArn: jsii.String("arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:qbrole-docs-AbCdEf")}
		},
		"plugin role, its secret a token": func(s awscdk.Stack) *QBusinessRoleProps {
			app, _ := applicationAndIndex(s)
			return &QBusinessRoleProps{RoleType: PluginRole, ApplicationId: app.AttrApplicationId(),
				SecretArn: awscdk.Fn_ImportValue(jsii.String("plugin-secret-arn")), OnDelete: RetainRole}
		},
		"retriever role": func(s awscdk.Stack) *QBusinessRoleProps {
			app, _ := applicationAndIndex(s)
			return &QBusinessRoleProps{RoleType: RetrieverRole, ApplicationId: app.AttrApplicationId(),
				KendraIndexId: jsii.String(indexID), MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(2))}
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

// Synth judges every combination of present and absent for the properties
// that may be absent at deploy, up to maxCandidates combinations; past it,
// it leaves the props to the function rather than refuse them on a partial
// judgement. The props carry a tag the function refuses whatever the rest:
// with as many optional properties as maxCandidates allows, it is refused;
// with one more, left to the function.
func TestJudgeLeavesTooManyCombinationsToTheFunction(t *testing.T) {
	optional := []string{schema.PropRoleName, schema.PropPath, schema.PropDescription, schema.PropApplicationID,
		schema.PropSubscriptionID, schema.PropRegion, schema.PropSourceAccount, schema.PropPolicyName,
		schema.PropPermissionsBoundary, schema.PropMaxSessionDuration, schema.PropIndexID, schema.PropBucketName}
	within := bits.Len(maxCandidates) - 1 // 2^within combinations
	if within+1 > len(optional) {
		t.Fatalf("premise: %d optional properties for a cap of %d", len(optional), maxCandidates)
	}
	props := func(n int) synthProps {
		sp := synthProps{known: map[string]any{schema.PropTags: []any{map[string]any{"Key": "aws:team", "Value": "v"}}},
			tokens: optional[:n], optional: map[string]bool{}}
		for _, name := range sp.tokens {
			sp.optional[name] = true
		}
		return sp
	}
	if err := judge(props(within), placeholderStack, "Role"); err == nil || !strings.Contains(err.Error(), "Tags[0].Key: ") {
		t.Errorf("%d optional properties (%d combinations): want the tag refused, got %v", within, 1<<within, err)
	}
	if err := judge(props(within+1), placeholderStack, "Role"); err != nil {
		t.Errorf("%d optional properties (%d combinations, over %d): want them left to the function, got %v",
			within+1, 1<<(within+1), maxCandidates, err)
	}
}

// stackIn is a stack in an app that skips bundling, with env as its
// environment (nil: environment-agnostic).
func stackIn(env *awscdk.Environment) awscdk.Stack {
	ctx := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	return awscdk.NewStack(app, jsii.String("TestStack"), &awscdk.StackProps{Env: env})
}

// applicationAndIndex adds an application and its index to s.
func applicationAndIndex(s awscdk.Stack) (awsqbusiness.CfnApplication, awsqbusiness.CfnIndex) {
	app := awsqbusiness.NewCfnApplication(s, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{DisplayName: jsii.String("assistant")})
	index := awsqbusiness.NewCfnIndex(s, jsii.String("Index"), &awsqbusiness.CfnIndexProps{
		ApplicationId: app.AttrApplicationId(), DisplayName: jsii.String("documents"),
	})
	return app, index
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
