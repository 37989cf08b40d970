//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

func synthApp(t *testing.T, context map[string]any) (awscdk.Stack, string) {
	t.Helper()
	out := t.TempDir()
	ctx := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	for k, v := range context {
		ctx[k] = v
	}
	app := newApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(out)})
	app.Synth(nil)
	return app.Node().FindChild(jsii.String("QBusinessRoleDemo")).(awscdk.Stack), filepath.Join(out, "QBusinessRoleDemo.template.json")
}

// idcARN is an IAM Identity Center instance ARN of the documented form.
const idcARN = "arn:aws:sso:::instance/ssoins-0123456789abcdef"

func TestApp(t *testing.T) {
	cases := []struct {
		name, roleType, idc string
		// wantIdc is the application's IdentityCenterInstanceArn.
		wantIdc any
	}{
		{"ApplicationRole (default)", "", "", map[string]any{"Ref": IdentityCenterInstanceArnParameter}},
		{"ServiceLinkedRole", "ServiceLinkedRole", "", map[string]any{"Ref": IdentityCenterInstanceArnParameter}},
		{"identityCenterInstanceArn from the context", "", idcARN, idcARN},
	}
	for _, c := range cases {
		roleType := c.roleType
		t.Run(c.name, func(t *testing.T) {
			ctx := map[string]any{}
			if roleType != "" {
				ctx["roleType"] = roleType
			}
			if c.idc != "" {
				ctx["identityCenterInstanceArn"] = c.idc
			}
			stack, file := synthApp(t, ctx)
			t.Run("cdk-nag AwsSolutions: no unsuppressed errors", func(t *testing.T) {
				errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("*"),
					assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
				for _, e := range *errs {
					b, _ := json.Marshal(e)
					t.Errorf("cdk-nag: %s", b)
				}
			})
			t.Run("the application gets the role's ARN", func(t *testing.T) {
				tpl := assertions.Template_FromStack(stack, nil)
				tpl.HasResourceProperties(jsii.String("AWS::QBusiness::Application"), map[string]any{
					"RoleArn": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^Role")), "Arn"}},
				})
				want := map[string]any{}
				if roleType != "" {
					want["RoleType"] = roleType
				}
				tpl.HasResourceProperties(jsii.String("Custom::QBusinessRole"), assertions.Match_ObjectLike(&want))
			})
			t.Run("the application has an identity setup (IAM Identity Center)", func(t *testing.T) {
				tpl := assertions.Template_FromStack(stack, nil)
				tpl.HasResourceProperties(jsii.String("AWS::QBusiness::Application"), map[string]any{
					"IdentityType": "AWS_IAM_IDC", "IdentityCenterInstanceArn": c.wantIdc,
				})
				params := *tpl.FindParameters(jsii.String(IdentityCenterInstanceArnParameter), nil)
				if _, asked := c.wantIdc.(map[string]any); asked != (len(params) == 1) {
					t.Errorf("parameters %v: want the parameter %s only when the context names no instance", params, IdentityCenterInstanceArnParameter)
				}
			})
			t.Run("cfn-lint", func(t *testing.T) {
				lint, err := devenv.PythonTool("cfn-lint")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(file); err != nil {
					t.Fatal(err)
				}
				// W3005: CDK writes DependsOn that cfn-lint finds redundant; CDK's own, nothing of ours.
				out, err := exec.Command(lint, "--ignore-checks", "W3005", "--", file).CombinedOutput()
				if err != nil {
					t.Errorf("cfn-lint: %v\n%s", err, out)
				}
			})
		})
	}
}
