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
	awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{
		DisplayName:               jsii.String("assistant"),
		RoleArn:                   role.RoleArn(), // also role.RoleName(), role.RoleId()
		IdentityType:              jsii.String("AWS_IAM_IDC"),
		IdentityCenterInstanceArn: idc.ValueAsString(),
	})
	app.Synth(nil)
}
