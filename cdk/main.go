// Command cdk is the sample CDK app of qbrole: a stack with an Amazon Q
// Business application role made by the QBusinessRole construct and wired to
// an AWS::QBusiness::Application, checked by cdk-nag's AwsSolutions rules.
//
// Context (cdk synth -c key=value):
//
//	roleType=ServiceLinkedRole           use AWSServiceRoleForQBusiness instead of an application role
//	identityCenterInstanceArn=arn:...    the IAM Identity Center instance of the application; without
//	                                     it, the template's parameter IdentityCenterInstanceArn asks
//	                                     for it at deploy (cdk deploy --parameters ...)
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
	// IdentityCenterInstanceArn is the application's IAM Identity Center
	// instance; when empty, the template asks for it in the parameter
	// IdentityCenterInstanceArnParameter.
	IdentityCenterInstanceArn string
}

// IdentityCenterInstanceArnParameter is the template's parameter for the
// application's IAM Identity Center instance, when the context names none.
const IdentityCenterInstanceArnParameter = "IdentityCenterInstanceArn"

// NewDemoStack builds the sample stack.
func NewDemoStack(scope constructs.Construct, id string, props *DemoStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	role := qbrolecdk.NewQBusinessRole(stack, "Role", &qbrolecdk.QBusinessRoleProps{
		RoleType: props.RoleType,
		Tags:     tagsFor(props.RoleType),
	})
	// Amazon Q Business requires an identity setup of a new application, though
	// the resource schema marks only DisplayName required; this one is IAM
	// Identity Center (Amazon Q Business API Reference, "Application",
	// identityType, https://docs.aws.amazon.com/amazonq/latest/api-reference/API_Application.html;
	// User Guide, "Configuring an Amazon Q Business application using AWS IAM
	// Identity Center", https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application.html).
	awsqbusiness.NewCfnApplication(stack, jsii.String("Application"), &awsqbusiness.CfnApplicationProps{
		DisplayName:               jsii.String("qbrole-demo"),
		Description:               jsii.String("Q Business application whose role qbrole made"),
		RoleArn:                   role.RoleArn(),
		IdentityType:              jsii.String("AWS_IAM_IDC"),
		IdentityCenterInstanceArn: identityCenterInstanceArn(stack, props.IdentityCenterInstanceArn),
	})
	awscdk.NewCfnOutput(stack, jsii.String("RoleArn"), &awscdk.CfnOutputProps{Value: role.RoleArn()})
	awscdk.NewCfnOutput(stack, jsii.String("RoleName"), &awscdk.CfnOutputProps{Value: role.RoleName()})
	return stack
}

// identityCenterInstanceArn is arn, or, when empty, the value of the
// template's parameter IdentityCenterInstanceArnParameter, given at deploy.
func identityCenterInstanceArn(stack awscdk.Stack, arn string) *string {
	if arn != "" {
		return jsii.String(arn)
	}
	return awscdk.NewCfnParameter(stack, jsii.String(IdentityCenterInstanceArnParameter), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		Description: jsii.String("ARN of the IAM Identity Center instance of the Q Business application"),
	}).ValueAsString()
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
