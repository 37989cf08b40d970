//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func synthApp(t *testing.T, roleType string) (awscdk.Stack, string) {
	t.Helper()
	out := t.TempDir()
	ctx := map[string]any{"aws:cdk:bundling-stacks": []string{}}
	if roleType != "" {
		ctx["roleType"] = roleType
	}
	app := newApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(out)})
	app.Synth(nil)
	return app.Node().FindChild(jsii.String("QBusinessRoleDemo")).(awscdk.Stack), filepath.Join(out, "QBusinessRoleDemo.template.json")
}

func TestApp(t *testing.T) {
	for _, roleType := range []string{"", "ServiceLinkedRole"} {
		name := roleType
		if name == "" {
			name = "ApplicationRole (default)"
		}
		t.Run(name, func(t *testing.T) {
			stack, file := synthApp(t, roleType)
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
			t.Run("cfn-lint", func(t *testing.T) {
				lint, err := exec.LookPath("cfn-lint")
				if err != nil {
					t.Fatal("cfn-lint not found; make test installs it with pip")
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

// What ships — the Lambda binary, and the construct library with the
// function it bundles — imports no CDK (the binary), and none of the test
// infrastructure: the IAM policy evaluator and its proxy (AGPL-licensed
// simulator behind them), moto's helpers, the fault injector.
func TestShippedCodeImportsNoCDKAndNoTestTools(t *testing.T) {
	// Test infrastructure sits under internal/testkit, dev programs under
	// internal/devtools; test helpers beside their package end in "test".
	testTools := []string{"/internal/testkit/", "/internal/devtools/", "/cfntest", "/rolestest"}
	for _, pkg := range []string{"github.com/qbrole/qbrole/lambda", "github.com/qbrole/qbrole/cdk/qbrolecdk"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, dep := range strings.Fields(string(out)) {
			cdk := strings.Contains(dep, "aws-cdk-go") || strings.Contains(dep, "jsii") || strings.Contains(dep, "cdk-nag") ||
				strings.HasPrefix(dep, "github.com/qbrole/qbrole/cdk")
			if strings.HasSuffix(pkg, "/lambda") && cdk {
				t.Errorf("the Lambda binary imports %s", dep)
			}
			for _, tool := range testTools {
				if strings.Contains(dep, tool) {
					t.Errorf("%s imports the test tool %s", pkg, dep)
				}
			}
		}
	}
}
