//go:build integration

package deploy

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

const function = "QBusinessRoleFunction"

// dist/stackset.json deploys what template.yaml deploys: the same parameters
// (and the two of the code's location), conditions and outputs, the same
// resources, and the function's properties one to one, its code read from
// the bucket <CodeS3BucketPrefix>-<region>. No transform: service-managed
// StackSets "don't currently support the use of macros in templates (This
// includes the AWS::Include and AWS::Serverless transforms ...)" (CreateStackSet,
// Capabilities: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
func TestStackSetTemplateIsTemplateYAML(t *testing.T) {
	sam := cfntemplate.MustLoad(t, root+"template.yaml")
	set := cfntemplate.MustLoad(t, filepath.Join(built, "dist", "stackset.json"))
	if set["Transform"] != nil || cfntemplate.Lookup(set, "Metadata", "AWS::ServerlessRepo::Application") != nil {
		t.Errorf("stackset.json keeps SAM's Transform %v or its Serverless Application Repository metadata", set["Transform"])
	}
	params, _ := set["Parameters"].(map[string]any)
	for _, code := range []string{"CodeS3BucketPrefix", "CodeS3Key"} {
		if params[code] == nil {
			t.Errorf("no parameter %s", code)
		}
		delete(params, code)
	}
	for _, section := range []string{"Parameters", "Conditions", "Outputs"} {
		if !reflect.DeepEqual(set[section], sam[section]) {
			t.Errorf("%s differ:\n stackset %v\n template %v", section, set[section], sam[section])
		}
	}
	samRes, _ := sam["Resources"].(map[string]any)
	setRes, _ := set["Resources"].(map[string]any)
	if a, b := slices.Sorted(maps.Keys(setRes)), slices.Sorted(maps.Keys(samRes)); !slices.Equal(a, b) {
		t.Fatalf("resources %v, want %v", a, b)
	}
	for id := range samRes {
		if id != function && !reflect.DeepEqual(setRes[id], samRes[id]) {
			t.Errorf("%s differs:\n stackset %v\n template %v", id, setRes[id], samRes[id])
		}
	}
	fn := sam.Resource(function)
	if got := set.Resource(function)["Type"]; got != "AWS::Lambda::Function" || fn["Type"] != "AWS::Serverless::Function" {
		t.Errorf("function type %v", got)
	}
	want := map[string]any{
		"Code": map[string]any{
			"S3Bucket": map[string]any{"Fn::Sub": "${CodeS3BucketPrefix}-${AWS::Region}"},
			"S3Key":    map[string]any{"Ref": "CodeS3Key"},
		},
		// What SAM adds to every function it makes, as sam deploy does.
		"Tags": []any{map[string]any{"Key": "lambda:createdBy", "Value": "SAM"}},
	}
	for k, v := range sam.Props(function) {
		if k != "CodeUri" {
			want[k] = v
		}
	}
	if got := set.Props(function); !reflect.DeepEqual(got, want) {
		t.Errorf("function properties:\n got  %v\n want %v", got, want)
	}
	raw, _ := os.ReadFile(filepath.Join(built, "dist", "stackset.json"))
	if m := regexp.MustCompile(`\b\d{12}\b|\b[a-z]{2}-[a-z]+-\d\b|arn:aws:`).FindString(string(raw)); m != "" {
		t.Errorf("stackset.json hard-codes %q: one stack set serves every account and region", m)
	}
}

func TestTemplatesLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found; make test installs it")
	}
	for _, f := range []string{snippet, filepath.Join(built, "dist", "stackset.json"), filepath.Join(built, "dist", "template.yaml")} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if out, err := exec.Command(lint, f).CombinedOutput(); err != nil {
				t.Errorf("cfn-lint %s: %v\n%s", f, err, out)
			}
		})
	}
}

// The export of a stack set's stacks. moto's service-managed stack instances
// (TestStackSetCommands) are hidden stacks whose exports it does not
// register, so the template is deployed here as a stack named like a stack
// instance (StackSet-<...>-<id>) with the parameters the README gives the
// stack set: the function's code must be in the bucket <prefix>-<region>
// (moto's Lambda reads the object: a wrong bucket fails the stack), and the
// export is the fixed name, whatever the stack's name.
func TestStackSetTemplateDeploys(t *testing.T) {
	const instance = "StackSet-qbrole-provider-0f1e2d3c"
	cases := []struct {
		name       string
		params     []string
		wantExport string // "" when the stack must fail
	}{
		{"fixed export name", []string{"CodeS3BucketPrefix=qbrole-code", "ServiceTokenExportName=qbrole-provider-ServiceToken"},
			"qbrole-provider-ServiceToken"},
		{"default export name", []string{"CodeS3BucketPrefix=qbrole-code"}, instance + "-ServiceToken"},
		{"code in no bucket of the region", []string{"CodeS3BucketPrefix=elsewhere"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newCLI(t)
			aws.codeBucket("qbrole-code")
			out, err := aws.createStack(instance, "dist/stackset.json", c.params...)
			if c.wantExport == "" {
				if err == nil && aws.stackStatus(instance) == "CREATE_COMPLETE" {
					t.Fatalf("the stack was created with its code in no bucket: %s", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("create-stack: %v\n%s", err, out)
			}
			if s := aws.stackStatus(instance); s != "CREATE_COMPLETE" {
				t.Fatalf("stack %s", s)
			}
			token := aws.export(c.wantExport)
			if !strings.Contains(token, ":function:"+instance+"-"+function+"-") {
				t.Errorf("export %s = %q, want the function's ARN", c.wantExport, token)
			}
			arch := aws.must("lambda", "get-function", "--function-name", token, "--query", "Configuration.Runtime", "--output", "text")
			if arch != "provided.al2023" {
				t.Errorf("runtime %s", arch)
			}
		})
	}
}

// An account that already has the provider as the stack qbrole-provider
// (SAM's or aws cloudformation deploy's; here dist/stackset.json, the
// transform's output, under that name, since moto does not run the
// transform) exports qbrole-provider-ServiceToken. A stack set's instance
// given that export name is refused there: "For each AWS account, Export
// names must be unique within a Region" (Fn::ImportValue,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-importvalue.html);
// moto says "Export names must be unique across a given region". With
// another export name, as the README has such accounts do, it deploys beside
// the old provider, both exports there.
func TestStackSetExportBesideAProvider(t *testing.T) {
	aws := newCLI(t)
	aws.codeBucket("qbrole-code")
	if out, err := aws.createStack("qbrole-provider", "dist/stackset.json", "CodeS3BucketPrefix=qbrole-code"); err != nil {
		t.Fatalf("the account's own provider: %v\n%s", err, out)
	}
	old := aws.export("qbrole-provider-ServiceToken")
	if old == "" {
		t.Fatal("the account's own provider exports no qbrole-provider-ServiceToken")
	}
	out, err := aws.createStack("StackSet-qbrole-provider-0f1e2d3c", "dist/stackset.json",
		"CodeS3BucketPrefix=qbrole-code", "ServiceTokenExportName=qbrole-provider-ServiceToken")
	if err == nil || !strings.Contains(out, "Export names must be unique") {
		t.Errorf("an instance exporting qbrole-provider-ServiceToken beside the provider: %v, want the export refused\n%s", err, out)
	}
	if got := aws.export("qbrole-provider-ServiceToken"); got != old {
		t.Errorf("qbrole-provider-ServiceToken is now %q, was %q", got, old)
	}
	const other = "StackSet-qbrole-stackset-1a2b3c4d"
	if out, err := aws.createStack(other, "dist/stackset.json",
		"CodeS3BucketPrefix=qbrole-code", "ServiceTokenExportName=qbrole-stackset-ServiceToken"); err != nil {
		t.Fatalf("an instance with another export name: %v\n%s", err, out)
	}
	if s := aws.stackStatus(other); s != "CREATE_COMPLETE" {
		t.Fatalf("stack %s", s)
	}
	if token := aws.export("qbrole-stackset-ServiceToken"); !strings.Contains(token, ":function:"+other+"-"+function+"-") {
		t.Errorf("export qbrole-stackset-ServiceToken = %q, want the instance's function", token)
	}
}
