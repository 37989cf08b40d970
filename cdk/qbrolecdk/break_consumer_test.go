//go:build integration

// Break tests: the construct as a consumer's app uses it (the exported API
// only), with the values a CDK app really hands it.
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

// breakPanic runs f and returns what it panicked with ("" when it did not).
func breakPanic(f func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	f()
	return ""
}

// breakStack is a consumer's stack (env nil: environment-agnostic) with an
// application and its index; bundling is skipped (a shared provider is used
// throughout, so there is nothing to bundle anyway).
func breakStack(env *awscdk.Environment) (awscdk.Stack, awsqbusiness.CfnApplication, awsqbusiness.CfnIndex) {
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
// At deploy the function receives exactly one of the two, and accepts it.
// The README promises that a token is judged as a stand-in "and its real
// value is left to the function"; but synth puts a stand-in in BOTH
// properties and refuses the app ("SecretArn: not with BucketName").
func TestBreakConditionalBucketOrSecretIsRefusedAtSynth(t *testing.T) {
	s, application, index := breakStack(nil)
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
	props := &qbrolecdk.QBusinessRoleProps{
		RoleType: qbrolecdk.DataSourceRole, ApplicationId: application.AttrApplicationId(), IndexId: index.AttrIndexId(),
		BucketName: only(isS3, bucket.ValueAsString()), SecretArn: only(isSecret, secret.ValueAsString()),
		ProviderExportName: sharedProvider,
	}
	if p := breakPanic(func() { qbrolecdk.NewQBusinessRole(s, "Connector", props) }); p != "" {
		t.Errorf("synth refused a template the function accepts under either condition:\n%s", p)
	}
}

// The function judges a SecretArn against the stack's partition, region and
// account ("SecretArn must be in the stack's partition/region/account"), and
// the README says synth checks it "when the stack has an environment". In a
// stack with an environment in cn-north-1 (partition aws-cn), a SecretArn
// of the aws partition passes synth, because CDK leaves Stack.Partition a
// token even when the region is known, and synthStack then takes the
// secret's own partition; the function refuses it at deploy, so the first
// deploy fails and rolls back. (The region determines the partition:
// aws-cdk-lib's region-info, RegionInfo.get(region).partition.)
func TestBreakSecretArnOfAnotherPartitionPassesSynth(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("cn-north-1")}
	s, application, _ := breakStack(env)
	secretArn := "arn:aws:secretsmanager:cn-north-1:123456789012:secret:plugin-creds-AbCdEf"
	stack, err := roles.ParseStackID("arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Consumer/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{"RoleType": "PluginRole", "ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "SecretArn": secretArn}
	if _, err := roles.ParseSpec(props, stack, "Plugin"); err == nil || !strings.Contains(err.Error(), "SecretArn: ") {
		t.Fatalf("premise: the function in cn-north-1 accepts %s: %v", secretArn, err)
	}
	p := breakPanic(func() {
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
// undefined). Synth accepts it, and so does the function, which writes it
// into the role's policy: the role then cannot read the secret (see
// internal/roles TestBreakPartialSecretArnGrantsNothing). Synth should
// refuse it by name, as it refuses other SecretArns the role cannot use.
func TestBreakFromSecretNameV2ArnPassesSynth(t *testing.T) {
	s, application, _ := breakStack(&awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")})
	secret := awssecretsmanager.Secret_FromSecretNameV2(s, jsii.String("Creds"), jsii.String("jira-creds"))
	if secret.SecretFullArn() != nil {
		t.Fatalf("premise: fromSecretNameV2 has a full ARN %s", *secret.SecretFullArn())
	}
	p := breakPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Plugin", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.PluginRole,
			ApplicationId: application.AttrApplicationId(), SecretArn: secret.SecretArn(), ProviderExportName: sharedProvider})
	})
	if !strings.Contains(p, "SecretArn: ") {
		t.Errorf("synth accepted SecretArn %s (no 6-character suffix: the role will not be able to read the secret); panic: %q",
			*secret.SecretArn(), p)
	}
}

// RoleType is a string type in Go; a template that lets the deployer choose
// it (a parameter with AllowedValues) is judged at synth as an
// ApplicationRole, its RoleType token being dropped, and refused for the
// very properties the chosen type needs.
func TestBreakRoleTypeTokenIsJudgedAsApplicationRole(t *testing.T) {
	s, application, index := breakStack(nil)
	roleType := awscdk.NewCfnParameter(s, jsii.String("RoleType"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedValues: jsii.Strings("DataSourceRole"),
	})
	p := breakPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Role", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.RoleType(*roleType.ValueAsString()),
			ApplicationId: application.AttrApplicationId(), IndexId: index.AttrIndexId(), ProviderExportName: sharedProvider})
	})
	if p != "" {
		t.Errorf("synth judged a RoleType token as ApplicationRole and refused the app:\n%s", p)
	}
}

// The application's ARN handed as ApplicationId (AttrApplicationArn for
// AttrApplicationId, AttrIndexArn for AttrIndexId: neighbours in every IDE's
// completion list) passes synth as a stand-in; the function refuses it at
// deploy ("must be ... 36 letters, digits and hyphens"), after the
// application and index were created, and the stack rolls back. Synth can
// see which attribute the token reads (it resolves to Fn::GetAtt
// [Application, ApplicationArn]).
func TestBreakApplicationArnAsApplicationIdPassesSynth(t *testing.T) {
	s, application, index := breakStack(nil)
	p := breakPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Docs", &qbrolecdk.QBusinessRoleProps{RoleType: qbrolecdk.DataSourceRole,
			ApplicationId: application.AttrApplicationArn(), IndexId: index.AttrIndexArn(), ProviderExportName: sharedProvider})
	})
	for _, name := range []string{"ApplicationId: ", "IndexId: "} {
		if !strings.Contains(p, name) {
			t.Errorf("synth did not refuse %s given an ARN attribute (panic: %q)", strings.TrimSuffix(name, ": "), p)
		}
	}
}

// Tags are counted at synth without the entries that hold a token: 48 tags
// (the most the function takes, IAM's 50 less the two ownership tags) plus
// one whose value is a parameter pass synth, and the function refuses the
// 49 at deploy ("at most 48 tags"). The entry's presence is known at synth
// even when its value is not, as for the scalar properties the stand-ins
// judge.
func TestBreakTokenTagIsNotCountedAtSynth(t *testing.T) {
	s, _, _ := breakStack(nil)
	tags := map[string]string{}
	for i := range 48 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	tags["owner"] = *awscdk.NewCfnParameter(s, jsii.String("Owner"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	p := breakPanic(func() {
		qbrolecdk.NewQBusinessRole(s, "Role", &qbrolecdk.QBusinessRoleProps{Tags: tags, ProviderExportName: sharedProvider})
	})
	if !strings.Contains(p, "Tags: ") {
		t.Errorf("49 tags, one of them a token, passed synth; the function refuses more than 48 (panic: %q)", p)
	}
}
