package cfntemplate_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/cfntemplate"
	"github.com/qbrole/qbrole/internal/execrole"
)

const samTemplate = "../../template.yaml"

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

// The execution role's IAM statements are execrole's, statement for statement.
func TestSAMExecutionRoleMatchesTheCode(t *testing.T) {
	tpl := loadSAM(t)
	var iamPolicy []any
	for _, p := range tpl.Props("QBusinessRoleFunctionRole")["Policies"].([]any) {
		if cfntemplate.Lookup(p, "PolicyName") == "ManageQBusinessRoles" {
			iamPolicy = cfntemplate.Lookup(p, "PolicyDocument", "Statement").([]any)
		}
	}
	want := execrole.Document()
	if len(iamPolicy) != len(want) {
		t.Fatalf("%d IAM statements, execrole has %d", len(iamPolicy), len(want))
	}
	for i := range want {
		// JSON round trip: the same types on both sides.
		var w any
		b, _ := json.Marshal(want[i])
		_ = json.Unmarshal(b, &w)
		if !reflect.DeepEqual(cfntemplate.Canonical(iamPolicy[i]), cfntemplate.Canonical(w)) {
			g, _ := json.Marshal(iamPolicy[i])
			t.Errorf("statement %d:\n template %s\n execrole %s", i, g, b)
		}
	}
	for _, bad := range cfntemplate.UnguardedWrites(iamPolicy) {
		t.Errorf("template.yaml: %s", bad)
	}
	for _, p := range tpl.Props("QBusinessRoleFunctionRole")["Policies"].([]any) {
		for _, s := range cfntemplate.Lookup(p, "PolicyDocument", "Statement").([]any) {
			for _, a := range cfntemplate.Strings(cfntemplate.Lookup(s, "Action")) {
				if strings.HasPrefix(a, "iam:") && cfntemplate.Lookup(p, "PolicyName") != "ManageQBusinessRoles" {
					t.Errorf("IAM action %s outside the checked policy", a)
				}
				if strings.Contains(a, "*") {
					t.Errorf("wildcard action %s", a)
				}
			}
		}
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
	files, _ := filepath.Glob("../../events/*.json")
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

func TestSAMTemplateLints(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found; make test installs it with pip")
	}
	if out, err := exec.Command(lint, samTemplate).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
