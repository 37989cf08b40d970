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

	role := qbrolecdk.NewQBusinessRole(stack, "Role", &qbrolecdk.QBusinessRoleProps{
		Tags:               map[string]string{"team": "platform"},
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		// RoleType: qbrolecdk.ServiceLinkedRole, for AWSServiceRoleForQBusiness instead
	})
	awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{
		DisplayName: jsii.String("assistant"),
		RoleArn:     role.RoleArn(), // also role.RoleName(), role.RoleId()
	})
	app.Synth(nil)
}
