// Command cdk is the sample CDK app of qbrole: a stack with an Amazon Q
// Business application role made by the QBusinessRole construct and wired to
// an AWS::QBusiness::Application, checked by cdk-nag's AwsSolutions rules.
//
// Context (cdk synth -c key=value):
//
//	roleType=ServiceLinkedRole           use AWSServiceRoleForQBusiness instead of an application role
//	identityCenterInstanceArn=arn:...    the IAM Identity Center instance of the application
//
// and the construct library's two switches (qbrolecdk; see the README), each
// on unless "false":
//
//	qbrole:requireSourceFunctionArn=false           no origin guard (a partition without lambda:SourceFunctionArn)
//	qbrole:verifyRequestsWithCloudFormation=false   no check of each request against CloudFormation (local tools only)
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsqbusiness"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/qbrole/qbrole/cdk/qbrolecdk"
)

// DemoStackProps configure the sample stack.
type DemoStackProps struct {
	awscdk.StackProps
	// RoleType chooses an application role (default) or the service-linked role.
	RoleType qbrolecdk.RoleType
	// IdentityCenterInstanceArn is passed to the application when set.
	IdentityCenterInstanceArn string
}

// NewDemoStack builds the sample stack.
func NewDemoStack(scope constructs.Construct, id string, props *DemoStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	role := qbrolecdk.NewQBusinessRole(stack, "Role", &qbrolecdk.QBusinessRoleProps{
		RoleType: props.RoleType,
		Tags:     tagsFor(props.RoleType),
	})
	appProps := &awsqbusiness.CfnApplicationProps{
		DisplayName: jsii.String("qbrole-demo"),
		Description: jsii.String("Q Business application whose role qbrole made"),
		RoleArn:     role.RoleArn(),
	}
	if props.IdentityCenterInstanceArn != "" {
		appProps.IdentityCenterInstanceArn = jsii.String(props.IdentityCenterInstanceArn)
	}
	awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), appProps)
	awscdk.NewCfnOutput(stack, jsii.String("RoleArn"), &awscdk.CfnOutputProps{Value: role.RoleArn()})
	awscdk.NewCfnOutput(stack, jsii.String("RoleName"), &awscdk.CfnOutputProps{Value: role.RoleName()})
	return stack
}

// tagsFor returns the demo's tags; a service-linked role takes none.
func tagsFor(t qbrolecdk.RoleType) map[string]string {
	if t == qbrolecdk.ServiceLinkedRole {
		return nil
	}
	return map[string]string{"app": "qbrole-demo"}
}

// newApp builds the app from its context, with cdk-nag's checks.
func newApp(props *awscdk.AppProps) awscdk.App {
	app := awscdk.NewApp(props)
	stackProps := &DemoStackProps{RoleType: qbrolecdk.ApplicationRole}
	if v, ok := app.Node().TryGetContext(jsii.String("roleType")).(string); ok && v != "" {
		stackProps.RoleType = qbrolecdk.RoleType(v)
	}
	if v, ok := app.Node().TryGetContext(jsii.String("identityCenterInstanceArn")).(string); ok {
		stackProps.IdentityCenterInstanceArn = v
	}
	NewDemoStack(app, "QBusinessRoleDemo", stackProps)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return app
}

func main() {
	defer jsii.Close()
	newApp(nil).Synth(nil)
}
