package cfntemplate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

const samTemplate = "../../../template.yaml"

func loadSAM(t *testing.T) cfntemplate.Template {
	t.Helper()
	tpl, err := cfntemplate.Load(samTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestSAMFunction(t *testing.T) {
	tpl := loadSAM(t)
	if tpl["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v", tpl["Transform"])
	}
	fns := tpl.Resources("AWS::Serverless::Function")
	if len(fns) != 1 {
		t.Fatalf("functions %v", fns)
	}
	fn := tpl.Props(fns[0])
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"runtime", fn["Runtime"], "provided.al2023"},
		{"architecture", fn["Architectures"], []any{"arm64"}},
		{"handler", fn["Handler"], "bootstrap"},
		{"build method", cfntemplate.Lookup(tpl.Resource(fns[0]), "Metadata", "BuildMethod"), "makefile"},
		{"JSON logs", cfntemplate.Lookup(fn, "LoggingConfig", "LogFormat"), "JSON"},
		{"execution role", fn["Role"], map[string]any{"Fn::GetAtt": []any{"QBusinessRoleFunctionRole", "Arn"}}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%v, want %v", c.got, c.want)
			}
		})
	}
	if timeout, _ := fn["Timeout"].(int); timeout < 300 || timeout > 900 {
		t.Errorf("Timeout %v: want room for the service-linked role's deletion (300–900 s)", fn["Timeout"])
	}
	logs := tpl.Resources("AWS::Logs::LogGroup")
	if len(logs) != 1 || !reflect.DeepEqual(tpl.Props(logs[0])["RetentionInDays"], map[string]any{"Ref": "LogRetentionInDays"}) {
		t.Errorf("log group %v: want a retention parameter", logs)
	}
	// Nothing account- or region-specific: works in a StackSet anywhere.
	raw, _ := os.ReadFile(samTemplate)
	if m := regexp.MustCompile(`\b\d{12}\b|\b[a-z]{2}-[a-z]+-\d\b|arn:aws:`).FindString(string(raw)); m != "" {
		t.Errorf("template hard-codes %q; use pseudo parameters", m)
	}
}

// deployment is where the tests pretend the SAM template is deployed.
var deployment = cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "us-east-1", StackName: "qbrole"}

// The execution role's IAM policy is execrole's, statement for statement,
// once CloudFormation has filled it in; with RequireSourceFunctionArn=false,
// without the origin guard. Its only other policy writes its own logs.
func TestSAMExecutionRoleMatchesTheCode(t *testing.T) {
	tpl := loadSAM(t)
	for _, guard := range []bool{true, false} {
		t.Run(fmt.Sprintf("RequireSourceFunctionArn=%v", guard), func(t *testing.T) {
			d := deployment
			d.Params = map[string]string{"RequireSourceFunctionArn": fmt.Sprint(guard)}
			policies, err := tpl.RolePolicies("QBusinessRoleFunctionRole", d)
			if err != nil {
				t.Fatal(err)
			}
			want := execrole.Document(execrole.All(execrole.Switches{OriginGuard: guard}), execrole.Values{Partition: "aws", AccountID: d.AccountID,
				FunctionARN: d.FunctionARN("QBusinessRoleFunction")})
			var names []string
			for _, p := range policies {
				names = append(names, p.Name)
				switch p.Name {
				case "QBusinessRoleFunctionPolicy":
					if !cfntemplate.SamePolicy(p.Document, want) {
						g, _ := json.MarshalIndent(p.Document, "", " ")
						w, _ := json.MarshalIndent(want, "", " ")
						t.Errorf("template:\n%s\nexecrole:\n%s", g, w)
					}
					for _, bad := range cfntemplate.UnguardedWrites(p.Document["Statement"].([]any)) {
						t.Errorf("template.yaml: %s", bad)
					}
				case "WriteOwnLogs":
					for _, s := range p.Document["Statement"].([]any) {
						for _, a := range cfntemplate.Strings(cfntemplate.Lookup(s, "Action")) {
							if !strings.HasPrefix(a, "logs:") || strings.Contains(a, "*") {
								t.Errorf("log policy action %s", a)
							}
						}
					}
				}
			}
			if !slices.Equal(names, []string{"WriteOwnLogs", "QBusinessRoleFunctionPolicy"}) {
				t.Errorf("policies of the execution role: %v", names)
			}
		})
	}
}

// The function keeps the name SAM generates: a name of our own would replace
// it, changing the ServiceToken that every existing Custom::QBusinessRole
// carries, and CloudFormation does not support updating a ServiceToken
// (AWS::CloudFormation::CustomResource reference). The example resource
// waits for the function's IAM permissions.
func TestSAMFunctionKeepsItsNameAndTheExampleWaitsForThePolicy(t *testing.T) {
	tpl := loadSAM(t)
	if n, ok := tpl.Props("QBusinessRoleFunction")["FunctionName"]; ok {
		t.Errorf("FunctionName %v", n)
	}
	if d := tpl.Resource("ExampleRole")["DependsOn"]; d != "QBusinessRoleFunctionPolicy" {
		t.Errorf("ExampleRole DependsOn %v", d)
	}
	if d := cfntemplate.Lookup(tpl, "Parameters", "RequireSourceFunctionArn", "Default"); d != "true" {
		t.Errorf("RequireSourceFunctionArn defaults to %v", d)
	}
}

func TestSAMOutputsAndExample(t *testing.T) {
	tpl := loadSAM(t)
	out := cfntemplate.Lookup(tpl, "Outputs", "ServiceToken")
	if !reflect.DeepEqual(cfntemplate.Lookup(out, "Value"), map[string]any{"Fn::GetAtt": []any{"QBusinessRoleFunction", "Arn"}}) ||
		!reflect.DeepEqual(cfntemplate.Lookup(out, "Export", "Name"), map[string]any{"Fn::Sub": "${AWS::StackName}-ServiceToken"}) {
		t.Errorf("ServiceToken output %v", out)
	}
	ex := tpl.Resource("ExampleRole")
	if ex["Type"] != "Custom::QBusinessRole" || ex["Condition"] != "CreateExample" {
		t.Errorf("example %v", ex)
	}
	if d := cfntemplate.Lookup(tpl, "Parameters", "CreateExampleRole", "Default"); d != "false" {
		t.Errorf("example is on by default: %v", d)
	}
	if v := cfntemplate.Lookup(tpl, "Outputs", "ExampleRoleArn", "Value"); !reflect.DeepEqual(v, map[string]any{"Fn::GetAtt": []any{"ExampleRole", "Arn"}}) {
		t.Errorf("ExampleRoleArn = %v", v)
	}
}

// The events carry a ServiceToken of the shape the template's output has:
// the function SAM names <stack>-QBusinessRoleFunction-<suffix>.
func TestEventsServiceTokenMatchesTemplate(t *testing.T) {
	files, _ := filepath.Glob("../../../events/*.json")
	if len(files) == 0 {
		t.Fatal("no events")
	}
	shape := regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-]+-QBusinessRoleFunction-[A-Za-z0-9]+$`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			ServiceToken       string
			ResourceProperties struct{ ServiceToken string }
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(ev.ServiceToken) || ev.ResourceProperties.ServiceToken != ev.ServiceToken {
			t.Errorf("%s: ServiceToken %q", filepath.Base(f), ev.ServiceToken)
		}
	}
}

// template.yaml can be published with `sam publish`: the Serverless
// Application Repository's metadata is complete, and its files exist.
func TestSAMIsPublishable(t *testing.T) {
	tpl := loadSAM(t)
	meta, _ := cfntemplate.Lookup(tpl, "Metadata", "AWS::ServerlessRepo::Application").(map[string]any)
	for _, key := range []string{"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "SemanticVersion", "SourceCodeUrl"} {
		if v, _ := meta[key].(string); strings.TrimSpace(v) == "" {
			t.Errorf("AWS::ServerlessRepo::Application lacks %s", key)
		}
	}
	if v, _ := meta["SemanticVersion"].(string); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("SemanticVersion %q", v)
	}
	for _, key := range []string{"LicenseUrl", "ReadmeUrl"} {
		if f, _ := meta[key].(string); f != "" {
			if _, err := os.Stat(filepath.Join("../../..", f)); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		}
	}
	license, _ := os.ReadFile("../../../LICENSE")
	if meta["SpdxLicenseId"] != "MIT" || !strings.HasPrefix(string(license), "MIT License") {
		t.Errorf("SpdxLicenseId %v does not match LICENSE", meta["SpdxLicenseId"])
	}
}
