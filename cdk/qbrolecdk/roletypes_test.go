//go:build integration

package qbrolecdk

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsqbusiness"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

// roleTypesStack adds to stack an application whose role qbrole makes, its
// index, and a role of each type that trusts one application, each wired
// where AWS's resource takes it: an S3 data-source role to an
// AWS::QBusiness::DataSource's RoleArn, a plugin role to a ServiceNow
// AWS::QBusiness::Plugin's AuthConfiguration.BasicAuthConfiguration.RoleArn,
// a retriever role to a Kendra AWS::QBusiness::Retriever's RoleArn. Every
// role gets base's props (the provider) besides its own. The ids it has no
// resource for (the plugin's secret, the Kendra index) are parameters.
//
// AWS sources: the resources' properties, CloudFormation Template Reference,
// "AWS::QBusiness::DataSource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qbusiness-datasource.html,
// "AWS::QBusiness::Plugin",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qbusiness-plugin.html,
// "AWS::QBusiness::Retriever",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-qbusiness-retriever.html;
// the S3 data source's configuration, Amazon Q Business User Guide,
// "Connecting Amazon Q Business to Amazon S3 using APIs" (its JSON schema:
// type S3, syncMode, connectionConfiguration.repositoryEndpointMetadata.BucketName,
// repositoryConfigurations.document.fieldMappings required),
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/s3-api.html; the
// plugin, "Configuring a ServiceNow plugin for Amazon Q Business" (basic
// authentication from a Secrets Manager secret, the instance's base URL),
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/servicenow-plugin.html.
func roleTypesStack(stack awscdk.Stack, base QBusinessRoleProps) map[RoleType]*QBusinessRole {
	param := func(id string) *string {
		return awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	}
	role := func(id string, set func(p *QBusinessRoleProps)) *QBusinessRole {
		p := base
		set(&p)
		return NewQBusinessRole(stack, id, &p)
	}
	appRole := role("Role", func(*QBusinessRoleProps) {})
	app := awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{
		DisplayName: jsii.String("assistant"), RoleArn: appRole.RoleArn(),
		IdentityType: jsii.String("AWS_IAM_IDC"), IdentityCenterInstanceArn: param("IdentityCenterInstanceArn"),
	})
	index := awsqbusiness.NewCfnIndex(stack, jsii.String("Index"), &awsqbusiness.CfnIndexProps{
		ApplicationId: app.AttrApplicationId(), DisplayName: jsii.String("documents"),
	})
	const bucket = "qbrole-docs"
	docs := role("DocumentsRole", func(p *QBusinessRoleProps) {
		p.RoleType, p.ApplicationId, p.IndexId, p.BucketName = DataSourceRole, app.AttrApplicationId(), index.AttrIndexId(), jsii.String(bucket)
	})
	awsqbusiness.NewCfnDataSource(stack, jsii.String("Documents"), &awsqbusiness.CfnDataSourceProps{
		ApplicationId: app.AttrApplicationId(), IndexId: index.AttrIndexId(), DisplayName: jsii.String("documents"),
		RoleArn: docs.RoleArn(),
		Configuration: map[string]any{
			"type": "S3", "syncMode": "FULL_CRAWL",
			"connectionConfiguration": map[string]any{"repositoryEndpointMetadata": map[string]any{"BucketName": bucket}},
			"repositoryConfigurations": map[string]any{"document": map[string]any{"fieldMappings": []any{map[string]any{
				"indexFieldName": "s3_document_id", "indexFieldType": "STRING", "dataSourceFieldName": "s3_document_id"}}}},
		},
	})
	secret := param("PluginSecretArn")
	plugin := role("PluginRole", func(p *QBusinessRoleProps) {
		p.RoleType, p.ApplicationId, p.SecretArn = PluginRole, app.AttrApplicationId(), secret
	})
	awsqbusiness.NewCfnPlugin(stack, jsii.String("Tickets"), &awsqbusiness.CfnPluginProps{
		ApplicationId: app.AttrApplicationId(), DisplayName: jsii.String("tickets"), Type: jsii.String("SERVICE_NOW"),
		ServerUrl: jsii.String("https://example.service-now.com"),
		AuthConfiguration: &awsqbusiness.CfnPlugin_PluginAuthConfigurationProperty{
			BasicAuthConfiguration: &awsqbusiness.CfnPlugin_BasicAuthConfigurationProperty{RoleArn: plugin.RoleArn(), SecretArn: secret},
		},
	})
	kendra := param("KendraIndexId")
	retriever := role("RetrieverRole", func(p *QBusinessRoleProps) {
		p.RoleType, p.ApplicationId, p.KendraIndexId = RetrieverRole, app.AttrApplicationId(), kendra
	})
	awsqbusiness.NewCfnRetriever(stack, jsii.String("Kendra"), &awsqbusiness.CfnRetrieverProps{
		ApplicationId: app.AttrApplicationId(), DisplayName: jsii.String("kendra"), Type: jsii.String("KENDRA_INDEX"),
		RoleArn: retriever.RoleArn(),
		Configuration: &awsqbusiness.CfnRetriever_RetrieverConfigurationProperty{
			KendraIndexConfiguration: &awsqbusiness.CfnRetriever_KendraIndexConfigurationProperty{IndexId: kendra},
		},
	})
	return map[RoleType]*QBusinessRole{ApplicationRole: appRole, DataSourceRole: docs, PluginRole: plugin, RetrieverRole: retriever}
}

// logicalID is the custom resource's logical id in its stack.
func logicalID(r *QBusinessRole) string {
	return *awscdk.Stack_Of(r).GetLogicalId(r.Resource.Node().DefaultChild().(awscdk.CfnElement))
}

// getAtt is {"Fn::GetAtt": [id, attr]}.
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// A data-source role takes its application's and index's ids from their
// attributes (tokens, accepted at synth) and the data source its ARN; the
// plugin and retriever roles likewise; one provider serves all four roles;
// and cdk-nag's AwsSolutions checks find no error in the stack.
func TestRoleTypesWiredToTheApplication(t *testing.T) {
	_, stack := newStack(false, "")
	roles := roleTypesStack(stack, QBusinessRoleProps{})
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	tpl := template(stack)
	appID, indexID := getAtt("Application", "ApplicationId"), getAtt("Index", "IndexId")
	custom := func(r RoleType, own map[string]any) {
		t.Helper()
		want := map[string]any{"RoleType": string(r), "ApplicationId": appID}
		for k, v := range own {
			want[k] = v
		}
		tpl.HasResourceProperties(jsii.String(ResourceType), assertions.Match_ObjectLike(&want))
	}
	custom(DataSourceRole, map[string]any{"IndexId": indexID, "BucketName": "qbrole-docs"})
	custom(PluginRole, map[string]any{"SecretArn": map[string]any{"Ref": "PluginSecretArn"}})
	custom(RetrieverRole, map[string]any{"KendraIndexId": map[string]any{"Ref": "KendraIndexId"}})
	tpl.HasResourceProperties(jsii.String("AWS::QBusiness::DataSource"), map[string]any{
		"ApplicationId": appID, "IndexId": indexID, "RoleArn": getAtt(logicalID(roles[DataSourceRole]), "Arn"),
	})
	tpl.HasResourceProperties(jsii.String("AWS::QBusiness::Plugin"), map[string]any{
		"AuthConfiguration": map[string]any{"BasicAuthConfiguration": map[string]any{
			"RoleArn": getAtt(logicalID(roles[PluginRole]), "Arn"), "SecretArn": map[string]any{"Ref": "PluginSecretArn"}}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::QBusiness::Retriever"), map[string]any{
		"RoleArn": getAtt(logicalID(roles[RetrieverRole]), "Arn"),
	})
	tpl.HasResourceProperties(jsii.String("AWS::QBusiness::Application"), map[string]any{
		"RoleArn": getAtt(logicalID(roles[ApplicationRole]), "Arn"),
	})
	tpl.ResourceCountIs(jsii.String(ResourceType), jsii.Number(4))
	tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))

	errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	for _, e := range *errs {
		b, _ := json.Marshal(e)
		t.Errorf("cdk-nag: %s", b)
	}
}

// roleTypesGoldenStack is roleTypesStack on the shared provider (the
// provider's own resources are goldenStack's), every role's Arn in an output.
func roleTypesGoldenStack() awscdk.Stack {
	_, stack := newStack(false, "")
	roles := roleTypesStack(stack, QBusinessRoleProps{ProviderExportName: jsii.String("qbrole-provider-ServiceToken")})
	for _, r := range roles {
		awscdk.NewCfnOutput(stack, jsii.String(*r.Node().Id()+"Arn"), &awscdk.CfnOutputProps{Value: r.RoleArn()})
	}
	return stack
}

// The template of every role type, wired to its resource, is the committed
// one: a change to what the construct renders for them is a visible diff.
// cfn-lint finds it valid: it checks the AWS::QBusiness resources' properties
// against their CloudFormation schemas (the plugin's and retriever's Type
// among their allowed values, say).
func TestRoleTypesTemplateGolden(t *testing.T) {
	compareGolden(t, roleTypesGoldenTemplate, *template(roleTypesGoldenStack()).ToJSON())
	lint, err := devenv.PythonTool("cfn-lint")
	if err != nil {
		t.Fatal(err)
	}
	// W3005: CDK writes DependsOn that cfn-lint finds redundant; CDK's own, nothing of ours.
	if out, err := exec.Command(lint, "--ignore-checks", "W3005", "--", roleTypesGoldenTemplate).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
