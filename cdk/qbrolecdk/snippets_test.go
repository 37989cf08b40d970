//go:build integration

package qbrolecdk

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

// The README's TypeScript snippet synthesizes (aws-cdk-lib from npm, installed
// by `make cdk-ts`), and its custom resources (the application role, the
// data-source role) are those the Go construct makes with the same properties
// and the shared provider: same type, ServiceToken, ServiceTimeout and
// properties, the references to the application and its index included.
func TestTypeScriptSnippetSynthesizesTheConstructsResource(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mods := filepath.Join(root, ".cdkts", "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "aws-cdk-lib")); err != nil {
		t.Fatal("aws-cdk-lib for the TypeScript snippet is not installed: run `make cdk-ts` (make test does)")
	}
	// Compiled beside the packages, so that both tsc and node find them.
	work, err := os.MkdirTemp(filepath.Join(root, ".cdkts"), "test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	src, err := os.ReadFile("../typescript/app.ts")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "app.ts"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "CDK_OUTDIR="+filepath.Join(work, "cdk.out"), "NODE_PATH="+mods, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run(filepath.Join(mods, ".bin", "tsc"), "--strict", "--module", "commonjs", "--target", "es2022", "--moduleResolution", "node",
		"--skipLibCheck", "--outDir", "out", "app.ts")
	run("node", filepath.Join("out", "app.js"))
	ts := cfntemplate.MustLoad(t, filepath.Join(work, "cdk.out", "Assistant.template.json"))

	roles := func(tpl cfntemplate.Template) map[string]any {
		out := map[string]any{}
		for key, props := range byType(t, tpl) {
			if strings.HasPrefix(key, ResourceType) {
				out[key] = props
			}
		}
		return out
	}
	tsRoles, goRoles := roles(ts), roles(parsed(t, snippetStack()))
	if len(tsRoles) != 2 || !reflect.DeepEqual(tsRoles, goRoles) {
		t.Errorf("TypeScript's roles\n%v\nthe Go construct's\n%v", tsRoles, goRoles)
	}
	if len(ts.Resources("AWS::Lambda::Function")) != 0 || len(ts.Resources("AWS::QBusiness::Application")) != 1 {
		t.Error("the TypeScript stack has a function of its own, or no application")
	}
	checkIdentitySetup(t, ts, "TypeScript")
	checkPythonSnippet(t, work, ts)
}

// checkPythonSnippet runs the README's Python snippet (cdk/python/app.py)
// against testdata/pystub, a strict stand-in for the few aws-cdk-lib classes it
// uses (the Python aws-cdk-lib cannot be installed here), and checks that its
// template's parameters and resources are the TypeScript snippet's: same types
// and properties, references compared by the referenced resource's type, since
// CDK names a custom resource's logical id with a hash of its path.
func checkPythonSnippet(t *testing.T, work string, ts cfntemplate.Template) {
	t.Helper()
	stub, err := filepath.Abs("testdata/pystub")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "py.out")
	cmd := exec.Command("python3", "../python/app.py")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+stub, "PYTHONDONTWRITEBYTECODE=1", "CDK_OUTDIR="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 cdk/python/app.py: %v\n%s", err, msg)
	}
	py := cfntemplate.MustLoad(t, filepath.Join(out, "Assistant.template.json"))
	if got, want := byType(t, py), byType(t, ts); !reflect.DeepEqual(got, want) {
		t.Errorf("the Python snippet's resources are not the TypeScript snippet's:\nPython     %v\nTypeScript %v", got, want)
	}
	for name, p := range map[string]any(py)["Parameters"].(map[string]any) {
		if want := cfntemplate.Lookup(map[string]any(ts), "Parameters", name); !reflect.DeepEqual(p, want) {
			t.Errorf("parameter %s: Python %v, TypeScript %v", name, p, want)
		}
	}
	checkIdentitySetup(t, py, "Python")
}

// snippetStack is the snippets' roles made with the Go construct, with the
// same properties, on the shared provider, beside the same application,
// index and bucket parameter.
func snippetStack() awscdk.Stack {
	_, stack := newStack(false, "")
	shared := jsii.String("qbrole-provider-ServiceToken")
	NewQBusinessRole(stack, "Role", &QBusinessRoleProps{ProviderExportName: shared,
		Tags: map[string]string{"team": "platform"}, MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1))})
	app, index := applicationAndIndex(stack)
	bucket := awscdk.NewCfnParameter(stack, jsii.String("DocumentsBucketName"), &awscdk.CfnParameterProps{Type: jsii.String("String")})
	NewQBusinessRole(stack, "DocumentsRole", &QBusinessRoleProps{ProviderExportName: shared, RoleType: DataSourceRole,
		ApplicationId: app.AttrApplicationId(), IndexId: index.AttrIndexId(), BucketName: bucket.ValueAsString()})
	return stack
}

// byType is a template's resources' properties, other than CDK's metadata,
// keyed by type (each key once), a Custom::QBusinessRole's by type and
// RoleType when it has one, with references to resources naming that key
// instead of the logical id.
func byType(t *testing.T, tpl cfntemplate.Template) map[string]any {
	t.Helper()
	resources, _ := map[string]any(tpl)["Resources"].(map[string]any)
	typeOf := map[string]string{}
	for id, r := range resources {
		typeOf[id], _ = r.(map[string]any)["Type"].(string)
		if roleType, ok := cfntemplate.Lookup(r, "Properties", "RoleType").(string); ok && typeOf[id] == ResourceType {
			typeOf[id] += " " + roleType
		}
	}
	var rename func(v any) any
	rename = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 && typeOf[att[0].(string)] != "" {
				return map[string]any{"Fn::GetAtt": []any{typeOf[att[0].(string)], att[1]}}
			}
			out := map[string]any{}
			for k, x := range v {
				out[k] = rename(x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = rename(x)
			}
			return out
		}
		return v
	}
	out := map[string]any{}
	for id, typ := range typeOf {
		if typ == "AWS::CDK::Metadata" {
			continue
		}
		if _, dup := out[typ]; dup {
			t.Fatalf("two resources of type %s", typ)
		}
		out[typ] = rename(resources[id].(map[string]any)["Properties"])
	}
	return out
}

// checkIdentitySetup checks that the README's application has an identity
// setup, which Amazon Q Business requires of a new application though the
// resource schema marks only DisplayName required: IdentityType AWS_IAM_IDC
// with the IAM Identity Center instance from the template's parameter
// IdentityCenterInstanceArn (Amazon Q Business API Reference, "Application",
// identityType's values AWS_IAM_IDP_SAML | AWS_IAM_IDP_OIDC | AWS_IAM_IDC |
// AWS_QUICKSIGHT_IDP | ANONYMOUS,
// https://docs.aws.amazon.com/amazonq/latest/api-reference/API_Application.html;
// Amazon Q Business User Guide, "Configuring an Amazon Q Business application
// using AWS IAM Identity Center",
// https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/create-application.html).
func checkIdentitySetup(t *testing.T, tpl cfntemplate.Template, what string) {
	t.Helper()
	apps := tpl.Resources("AWS::QBusiness::Application")
	if len(apps) != 1 {
		t.Fatalf("%s: applications %v, want one", what, apps)
	}
	props := tpl.Props(apps[0])
	if props["IdentityType"] != "AWS_IAM_IDC" ||
		!reflect.DeepEqual(props["IdentityCenterInstanceArn"], map[string]any{"Ref": "IdentityCenterInstanceArn"}) {
		t.Errorf("%s: the application's identity setup is IdentityType %v, IdentityCenterInstanceArn %v: want AWS_IAM_IDC and the parameter's value",
			what, props["IdentityType"], props["IdentityCenterInstanceArn"])
	}
	if typ := cfntemplate.Lookup(map[string]any(tpl), "Parameters", "IdentityCenterInstanceArn", "Type"); typ != "String" {
		t.Errorf("%s: parameter IdentityCenterInstanceArn of type %v, want String", what, typ)
	}
}
