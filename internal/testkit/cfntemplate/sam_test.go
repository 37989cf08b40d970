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

	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

const samTemplate = "../../../template.yaml"

func loadSAM(t *testing.T) cfntemplate.Template {
	t.Helper()
	return cfntemplate.MustLoad(t, samTemplate)
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
// once CloudFormation has filled it in, for each value of both switches: with
// RequireSourceFunctionArn=false without the origin guard, with
// VerifyRequestsWithCloudFormation=false without the CloudFormation reads. Its
// only other policy writes its own logs.
func TestSAMExecutionRoleMatchesTheCode(t *testing.T) {
	tpl := loadSAM(t)
	for _, on := range allSwitches {
		t.Run(fmt.Sprintf("RequireSourceFunctionArn=%v,VerifyRequestsWithCloudFormation=%v", on.OriginGuard, on.VerifyRequests), func(t *testing.T) {
			d := deployment
			d.Params = samParams(on)
			policies, err := tpl.RolePolicies("QBusinessRoleFunctionRole", d)
			if err != nil {
				t.Fatal(err)
			}
			want := execrole.Document(execrole.All(on), execrole.Values{Partition: "aws", Region: d.Region, AccountID: d.AccountID,
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
	for _, p := range []string{"RequireSourceFunctionArn", "VerifyRequestsWithCloudFormation"} {
		if d := cfntemplate.Lookup(tpl, "Parameters", p, "Default"); d != "true" {
			t.Errorf("%s defaults to %v", p, d)
		}
	}
}

// allSwitches is every combination of the execution role's two switches.
var allSwitches = []execrole.Switches{
	{OriginGuard: true, VerifyRequests: true}, {OriginGuard: true}, {VerifyRequests: true}, {},
}

// samParams are template.yaml's parameter values for the switches.
func samParams(on execrole.Switches) map[string]string {
	return map[string]string{"RequireSourceFunctionArn": fmt.Sprint(on.OriginGuard), "VerifyRequestsWithCloudFormation": fmt.Sprint(on.VerifyRequests)}
}

// The function reads the switch of the request check from the environment
// variable cfnverify names, set from the parameter: the code turns the check
// off exactly when the template drops the reads from the policy.
func TestSAMVerifyRequestsSwitch(t *testing.T) {
	tpl := loadSAM(t)
	vars, _ := cfntemplate.Lookup(tpl.Props("QBusinessRoleFunction"), "Environment", "Variables").(map[string]any)
	if len(vars) != 1 || !reflect.DeepEqual(vars[cfnverify.SwitchEnv], map[string]any{"Ref": "VerifyRequestsWithCloudFormation"}) {
		t.Errorf("environment %v: want only %s, the parameter VerifyRequestsWithCloudFormation", vars, cfnverify.SwitchEnv)
	}
	groups, _ := cfntemplate.Lookup(tpl, "Metadata", "AWS::CloudFormation::Interface", "ParameterGroups").([]any)
	var function []string
	for _, g := range groups {
		if cfntemplate.Lookup(g, "Label", "default") == "Function" {
			function = cfntemplate.Strings(cfntemplate.Lookup(g, "Parameters"))
		}
	}
	if !slices.Contains(function, "VerifyRequestsWithCloudFormation") {
		t.Errorf("the Function parameter group %v lacks VerifyRequestsWithCloudFormation", function)
	}
	for _, value := range []string{"true", "false"} {
		t.Run(value, func(t *testing.T) {
			d := deployment
			d.Params = map[string]string{"VerifyRequestsWithCloudFormation": value}
			env, err := tpl.Resolve(vars, d.Env(tpl))
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(cfntemplate.Lookup(env, cfnverify.SwitchEnv))
			if got != value {
				t.Errorf("%s=%q, want %q", cfnverify.SwitchEnv, got, value)
			}
			policies, err := tpl.RolePolicies("QBusinessRoleFunctionRole", d)
			if err != nil {
				t.Fatal(err)
			}
			reads := false
			for _, p := range policies {
				reads = reads || strings.Contains(fmt.Sprint(p.Document), execrole.VerifyRequests().Sid)
			}
			if reads != cfnverify.On(got) {
				t.Errorf("the code checks requests: %v; the policy allows the reads: %v", cfnverify.On(got), reads)
			}
		})
	}
}

func TestSAMOutputsAndExample(t *testing.T) {
	tpl := loadSAM(t)
	out := cfntemplate.Lookup(tpl, "Outputs", "ServiceToken")
	if !reflect.DeepEqual(cfntemplate.Lookup(out, "Value"), map[string]any{"Fn::GetAtt": []any{"QBusinessRoleFunction", "Arn"}}) {
		t.Errorf("ServiceToken output %v", out)
	}
	// The export is <stack name>-ServiceToken unless ServiceTokenExportName
	// names it (a StackSet's instances have a stack name each).
	exports := []struct{ param, want string }{
		{"", deployment.StackName + "-ServiceToken"},
		{"qbrole-provider-ServiceToken", "qbrole-provider-ServiceToken"},
	}
	if d := cfntemplate.Lookup(tpl, "Parameters", "ServiceTokenExportName", "Default"); d != "" {
		t.Errorf("ServiceTokenExportName defaults to %v, want empty", d)
	}
	for _, e := range exports {
		d := deployment
		d.Params = map[string]string{"ServiceTokenExportName": e.param}
		got, err := tpl.Resolve(cfntemplate.Lookup(out, "Export", "Name"), d.Env(tpl))
		if err != nil || got != e.want {
			t.Errorf("ServiceTokenExportName=%q: export %v (%v), want %s", e.param, got, err, e.want)
		}
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

// newestChangelogVersion is the first "## X.Y.Z" heading of CHANGELOG.md.
func newestChangelogVersion(t *testing.T) string {
	t.Helper()
	log, err := os.ReadFile("../../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)\b`).FindSubmatch(log)
	if m == nil {
		t.Fatal("CHANGELOG.md has no version heading (## X.Y.Z)")
	}
	return string(m[1])
}

// Every version the README names (upgrading from one, say) is one of
// CHANGELOG.md's.
func TestReadmeNamesChangelogVersions(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile("../../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	// qbrole's versions, as the README names them ("from 0.2.0", "version
	// 0.3.0", "qbrole 0.3.0"); the pinned tools' versions follow their names.
	for _, m := range regexp.MustCompile(`(?i)\b(?:from|to|version|qbrole) v?(\d+\.\d+\.\d+)\b`).FindAllStringSubmatch(string(readme), -1) {
		if !strings.Contains(string(log), "## "+m[1]+" ") {
			t.Errorf("README names version %s, which CHANGELOG.md does not", m[1])
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
	if v, _ := meta["SemanticVersion"].(string); v != newestChangelogVersion(t) {
		t.Errorf("SemanticVersion %s is not the newest version of CHANGELOG.md (%s)", v, newestChangelogVersion(t))
	}
	license, _ := os.ReadFile("../../../LICENSE")
	if meta["SpdxLicenseId"] != "MIT" || !strings.HasPrefix(string(license), "MIT License") {
		t.Errorf("SpdxLicenseId %v does not match LICENSE", meta["SpdxLicenseId"])
	}
}
