//go:build integration

// Regression tests of synth's judgement of tokens, from a break-it review:
// the construct as a consumer's app uses it (the exported API only), with the
// values a CDK app really hands it.
package qbrolecdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsqbusiness"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/cdk/qbrolecdk"
	"github.com/qbrole/qbrole/internal/roles"
)

// synthPanic runs f and returns what it panicked with ("" when it did not).
func synthPanic(f func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	f()
	return ""
}

// consumerStack is a consumer's stack (env nil: environment-agnostic) with an
// application and its index; bundling is skipped (a shared provider is used
// throughout, so there is nothing to bundle anyway).
func consumerStack(env *awscdk.Environment) (awscdk.Stack, awsqbusiness.CfnApplication, awsqbusiness.CfnIndex) {
	ctx := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	s := awscdk.NewStack(app, jsii.String("Consumer"), &awscdk.StackProps{Env: env})
	application := awsqbusiness.NewCfnApplication(s, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{DisplayName: jsii.String("a")})
	index := awsqbusiness.NewCfnIndex(s, jsii.String("Index"), &awsqbusiness.CfnIndexProps{
		ApplicationId: application.AttrApplicationId(), DisplayName: jsii.String("i"),
	})
	return s, application, index
}

var sharedProvider = jsii.String("qbrole-provider-ServiceToken")

// One reusable template for any connector: the deployer picks, by a
// parameter, an S3 source (BucketName) or one whose credentials are in
// Secrets Manager (SecretArn), each property present only under its
// condition (Fn::If with AWS::NoValue, which "removes the corresponding
// resource property": AWS CloudFormation Template Reference, "Pseudo
// parameters reference", AWS::NoValue,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html).
// At deploy the function receives exactly one of the two, and accepts it, so
// synth does too: a property that may be absent is judged present and
// absent, and refused only when every combination is (once, synth put a
// stand-in in both and refused the app: "SecretArn: not with BucketName").
// With a RoleName the function refuses whatever the condition, synth
// refuses, with the message of both present.
func TestConditionalPropertiesAreJudgedPresentAndAbsent(t *testing.T) {
	s, application, index := consumerStack(nil)
	kind := awscdk.NewCfnParameter(s, jsii.String("SourceKind"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedValues: jsii.Strings("S3", "SECRET"),
	})
	bucket := awscdk.NewCfnParameter(s, jsii.String("Bucket"), &awscdk.CfnParameterProps{Type: jsii.String("String"), Default: jsii.String("none")})
	secret := awscdk.NewCfnParameter(s, jsii.String("Secret"), &awscdk.CfnParameterProps{Type: jsii.String("String"), Default: jsii.String("none")})
	isS3 := awscdk.NewCfnCondition(s, jsii.String("IsS3"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(kind.ValueAsString(), jsii.String("S3")),
	})
	isSecret := awscdk.NewCfnCondition(s, jsii.String("IsSecret"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(kind.ValueAsString(), jsii.String("SECRET")),
	})
	only := func(c awscdk.CfnCondition, v *string) *string {
		return awscdk.Token_AsString(awscdk.Fn_ConditionIf(c.LogicalId(), v, awscdk.Aws_NO_VALUE()), nil)
	}
	props := func(roleName *string) *qbrolecdk.QBusinessRoleProps {
		return &qbrolecdk.QBusinessRoleProps{
			RoleType: qbrolecdk.DataSourceRole, ApplicationId: application.AttrApplicationId(), IndexId: index.AttrIndexId(),
			BucketName: only(isS3, bucket.ValueAsString()), SecretArn: only(isSecret, secret.ValueAsString()),
			RoleName: roleName, ProviderExportName: sharedProvider,
		}
	}
	if p := synthPanic(func() { qbrolecdk.NewQBusinessRole(s, "Connector", props(nil)) }); p != "" {
		t.Errorf("synth refused a template the function accepts under either condition:\n%s", p)
	}
	p := synthPanic(func() { qbrolecdk.NewQBusinessRole(s, "Misnamed", props(jsii.String("my role"))) })
	for _, name := range []string{"RoleName: ", "SecretArn: not with BucketName"} {
		if !strings.Contains(p, name) {
			t.Errorf("a RoleName refused under every condition: the refusal (both present) does not name %q: %q", name, p)
		}
	}
}

// The function judges a SecretArn against the stack's partition, region and
// account, and synth does too when the stack has an environment. CDK leaves
// Stack.Partition a token even when the region is known; synth takes the
// partition from the region (CDK's region-info), not from the secret (once,
// a SecretArn of the aws partition passed synth in cn-north-1, partition
// aws-cn, and the first deploy failed and rolled back).
func TestSecretArnOfAnotherPartitionThanTheRegionsIsRefusedAtSynth(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("cn-north-1")}
	s, application, _ := consumerStack(env)
	secretArn := "arn:aws:secretsmanager:cn-north-1:123456789012:secret:plugin-creds-AbCdEf"
	stack, err := roles.ParseStackID("arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Consumer/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{"RoleType": "PluginRole", "ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "SecretArn": secretArn}
	if _, err := roles.ParseSpec(props, stack, "Plugin"); err == nil || !strings.Contains(err.Error(), "SecretArn: ") {
		t.Fatalf("premise: the function in cn-north-1 accepts %s: %v", secretArn, err)
	}
	p := synthPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Plugin", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.PluginRole,
			ApplicationId: application.AttrApplicationId(), SecretArn: jsii.String(secretArn), ProviderExportName: sharedProvider})
	})
	if !strings.Contains(p, "SecretArn: ") {
		t.Errorf("synth of a stack in cn-north-1 accepted SecretArn %s, which the function refuses at deploy (panic: %q)", secretArn, p)
	}
}

// CDK's own way to name an existing secret, Secret.fromSecretNameV2, gives a
// secretArn without the six random characters Secrets Manager adds ("the
// ARN will not have the 6-character suffix", aws-cdk-lib
// aws_secretsmanager.Secret.fromSecretNameV2; its secretFullArn is
// undefined), as a Fn::Join of the stack's partition and literals. In a
// stack with an environment synth evaluates it, and the function's
// validation refuses it by name: the role could not read the secret (see
// internal/roles TestBreakPartialSecretArnGrantsNothing). This passes once
// the function refuses a SecretArn without the suffix.
func TestSuffixlessSecretArnOfFromSecretNameV2IsRefusedAtSynth(t *testing.T) {
	s, application, _ := consumerStack(&awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")})
	secret := awssecretsmanager.Secret_FromSecretNameV2(s, jsii.String("Creds"), jsii.String("jira-creds"))
	if secret.SecretFullArn() != nil {
		t.Fatalf("premise: fromSecretNameV2 has a full ARN %s", *secret.SecretFullArn())
	}
	p := synthPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Plugin", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.PluginRole,
			ApplicationId: application.AttrApplicationId(), SecretArn: secret.SecretArn(), ProviderExportName: sharedProvider})
	})
	if !strings.Contains(p, "SecretArn: ") {
		t.Errorf("synth accepted SecretArn %s (no 6-character suffix: the role will not be able to read the secret); panic: %q",
			*secret.SecretArn(), p)
	}
}

// RoleType is a string type in Go; a template may let the deployer choose
// it (a parameter with AllowedValues). Synth judges the props with every
// RoleType and refuses them only when every RoleType does (once, it dropped
// the token, judged an ApplicationRole and refused the very properties the
// chosen type needs); a RoleName no RoleType takes is still refused.
func TestRoleTypeTokenIsJudgedWithEveryRoleType(t *testing.T) {
	s, application, index := consumerStack(nil)
	roleType := awscdk.NewCfnParameter(s, jsii.String("RoleType"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedValues: jsii.Strings("DataSourceRole"),
	})
	props := func(roleName *string) *qbrolecdk.QBusinessRoleProps {
		return &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.RoleType(*roleType.ValueAsString()), RoleName: roleName,
			ApplicationId: application.AttrApplicationId(), IndexId: index.AttrIndexId(), ProviderExportName: sharedProvider}
	}
	if p := synthPanic(func() { qbrolecdk.NewQBusinessRole(s, "Role", props(nil)) }); p != "" {
		t.Errorf("synth refused props a DataSourceRole takes, its RoleType a token:\n%s", p)
	}
	if p := synthPanic(func() { qbrolecdk.NewQBusinessRole(s, "Misnamed", props(jsii.String("my role"))) }); !strings.Contains(p, "RoleName: ") {
		t.Errorf("synth accepted a RoleName no RoleType takes, its RoleType a token (panic: %q)", p)
	}
}

// The application's ARN handed as ApplicationId (AttrApplicationArn for
// AttrApplicationId, AttrIndexArn for AttrIndexId: neighbours in every IDE's
// completion list) is refused at synth, naming each property and the id
// attribute to give: the token resolves to Fn::GetAtt [Application,
// ApplicationArn]. (Once it passed synth as a stand-in; the function refused
// it at deploy, after the application and index were created.)
func TestArnAttributeGivenAsIdIsRefusedAtSynth(t *testing.T) {
	s, application, index := consumerStack(nil)
	p := synthPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Docs", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.DataSourceRole,
			ApplicationId: application.AttrApplicationArn(), IndexId: index.AttrIndexArn(), ProviderExportName: sharedProvider})
	})
	for _, want := range []string{"ApplicationId: ", "AttrApplicationId()", "IndexId: ", "AttrIndexId()"} {
		if !strings.Contains(p, want) {
			t.Errorf("synth's refusal of ARN attributes as ids does not name %s (panic: %q)", want, p)
		}
	}
}

// A tag whose value is a token counts at synth: 48 tags (the most the
// function takes, IAM's 50 less the two ownership tags) plus one whose value
// is a parameter are refused, as the function refuses the 49 at deploy ("at
// most 48 tags"). The entry's presence is known at synth even when its value
// is not (once, the entry was left out and the 49 passed synth).
func TestTagWithATokenCountsAtSynth(t *testing.T) {
	s, _, _ := consumerStack(nil)
	tags := map[string]string{}
	for i := range 48 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	tags["owner"] = *awscdk.NewCfnParameter(s, jsii.String("Owner"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	p := synthPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Role", &qbrolecdk.QBusinessRoleProps{Tags: tags, ProviderExportName: sharedProvider})
	})
	if !strings.Contains(p, "Tags: ") {
		t.Errorf("49 tags, one of them a token, passed synth; the function refuses more than 48 (panic: %q)", p)
	}
}
