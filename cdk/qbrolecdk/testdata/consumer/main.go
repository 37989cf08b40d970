package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsqbusiness"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/cdk/qbrolecdk"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Assistant"), nil)

	// The IAM Identity Center instance the users sign in with, given at deploy:
	// cdk deploy --parameters IdentityCenterInstanceArn=arn:aws:sso:::instance/ssoins-...
	idc := awscdk.NewCfnParameter(stack, jsii.String("IdentityCenterInstanceArn"), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		Description: jsii.String("ARN of the IAM Identity Center instance of the Q Business application"),
	})
	role := qbrolecdk.NewQBusinessRole(stack, "Role", &qbrolecdk.QBusinessRoleProps{
		Tags:               map[string]string{"team": "platform"},
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		// For AWSServiceRoleForQBusiness instead: RoleType: qbrolecdk.ServiceLinkedRole,
		// and drop Tags and MaxSessionDuration (that role takes only Description
		// and OnDelete; synth refuses the others, naming them).
	})
	application := awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{
		DisplayName:               jsii.String("assistant"),
		RoleArn:                   role.RoleArn(), // also role.RoleName(), role.RoleId()
		IdentityType:              jsii.String("AWS_IAM_IDC"),
		IdentityCenterInstanceArn: idc.ValueAsString(),
	})

	// An index, and an S3 data source whose role trusts only this application
	// and writes only to this index (PluginRole and RetrieverRole likewise).
	index := awsqbusiness.NewCfnIndex(stack, jsii.String("Index"), &awsqbusiness.CfnIndexProps{
		ApplicationId: application.AttrApplicationId(),
		DisplayName:   jsii.String("documents"),
	})
	// The S3 bucket of the documents, given at deploy as well:
	// cdk deploy --parameters IdentityCenterInstanceArn=... --parameters DocumentsBucketName=...
	bucket := awscdk.NewCfnParameter(stack, jsii.String("DocumentsBucketName"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"),
	}).ValueAsString()
	documentsRole := qbrolecdk.NewQBusinessRole(stack, "DocumentsRole", &qbrolecdk.QBusinessRoleProps{
		RoleType:      qbrolecdk.DataSourceRole,
		ApplicationId: application.AttrApplicationId(),
		IndexId:       index.AttrIndexId(),
		BucketName:    bucket,
	})
	awsqbusiness.NewCfnDataSource(stack, jsii.String("Documents"), &awsqbusiness.CfnDataSourceProps{
		ApplicationId: application.AttrApplicationId(),
		IndexId:       index.AttrIndexId(),
		DisplayName:   jsii.String("documents"),
		RoleArn:       documentsRole.RoleArn(),
		Configuration: map[string]any{ // the Amazon S3 connector's JSON schema
			"type":                    "S3",
			"syncMode":                "FULL_CRAWL",
			"connectionConfiguration": map[string]any{"repositoryEndpointMetadata": map[string]any{"BucketName": bucket}},
			"repositoryConfigurations": map[string]any{"document": map[string]any{"fieldMappings": []any{map[string]any{
				"indexFieldName": "s3_document_id", "indexFieldType": "STRING", "dataSourceFieldName": "s3_document_id",
			}}}},
		},
	})
	app.Synth(nil)
}
