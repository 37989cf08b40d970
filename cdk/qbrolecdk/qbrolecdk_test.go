//go:build integration

package qbrolecdk

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// newStack is a stack in an app that skips bundling (fast), unless bundle.
func newStack(bundle bool, outdir string) (awscdk.App, awscdk.Stack) {
	ctx := map[string]any{}
	if !bundle {
		ctx["aws:cdk:bundling-stacks"] = []string{}
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	app := awscdk.NewApp(props)
	return app, awscdk.NewStack(app, jsii.String("TestStack"), nil)
}

func template(stack awscdk.Stack) assertions.Template {
	return assertions.Template_FromStack(stack, nil)
}

func TestGivenOneRoleThenOneProviderAndOneResource(t *testing.T) {
	_, stack := newStack(false, "")
	NewQBusinessRole(stack, "Role", nil)
	tpl := template(stack)
	counts := map[string]float64{
		"AWS::Lambda::Function": 1, "AWS::IAM::Role": 1, "AWS::IAM::Policy": 1, "AWS::Logs::LogGroup": 1, ResourceType: 1,
	}
	for typ, n := range counts {
		t.Run(typ, func(t *testing.T) { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
		"MemorySize": FunctionMemoryMB, "Timeout": FunctionTimeoutMinutes * 60,
		"LoggingConfig": map[string]any{"LogFormat": "JSON"},
	})
	tpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 30})
}

// The provider is the Go struct itself (NewConstruct_Override), found again by
// its id: one per stack, none shared between stacks, no state outside the tree.
func TestOneProviderPerStack(t *testing.T) {
	app, stack := newStack(false, "")
	other := awscdk.NewStack(app, jsii.String("OtherStack"), nil)
	nested := constructs.NewConstruct(stack, jsii.String("Nested"))
	a := NewQBusinessRole(stack, "A", nil)
	b := NewQBusinessRole(nested, "B", nil)
	c := NewQBusinessRole(other, "C", nil)
	if a.Provider == nil || a.Provider != b.Provider || ProviderFor(nested) != a.Provider {
		t.Errorf("providers in one stack: %p %p", a.Provider, b.Provider)
	}
	if c.Provider == a.Provider {
		t.Error("two stacks share a provider")
	}
	if got := stack.Node().FindChild(jsii.String(providerID)); got != constructs.IConstruct(a.Provider) {
		t.Errorf("the tree holds %T, not the provider", got)
	}
	assertions.Template_FromStack(other, nil).ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
}

// A construct of another kind under the provider's id is refused clearly.
func TestProviderIDTakenByAnotherConstruct(t *testing.T) {
	_, stack := newStack(false, "")
	constructs.NewConstruct(stack, jsii.String(providerID))
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "not a qbrole provider") {
			t.Errorf("panic %v, want one naming the clash", p)
		}
	}()
	NewQBusinessRole(stack, "Role", nil)
}

// Ids and a secret ARN of the forms the function accepts.
const (
	testAppID     = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	testIndexID   = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	testSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qbrole-docs-AbCdEf"
)

func TestCustomResourceProperties(t *testing.T) {
	cases := []struct {
		name  string
		props *QBusinessRoleProps
		want  map[string]any
	}{
		{"defaults", nil, map[string]any{}},
		{"service-linked role", &QBusinessRoleProps{RoleType: ServiceLinkedRole, Description: jsii.String("d"), OnDelete: RetainRole},
			map[string]any{"RoleType": "ServiceLinkedRole", "Description": "d", "OnDelete": "Retain"}},
		{"the page as it is now", &QBusinessRoleProps{RoleName: jsii.String("r"), SubscriptionPermissions: ExcludeSubscriptionPermissions},
			map[string]any{"RoleName": "r", "SubscriptionPermissions": "Exclude"}},
		{"data-source role of an S3 bucket", &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(testAppID),
			IndexId: jsii.String(testIndexID), BucketName: jsii.String("qbrole-docs")},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": testAppID, "IndexId": testIndexID, "BucketName": "qbrole-docs"}},
		{"data-source role with a secret", &QBusinessRoleProps{RoleType: DataSourceRole, ApplicationId: jsii.String(testAppID),
			IndexId: jsii.String(testIndexID), SecretArn: jsii.String(testSecretArn)},
			map[string]any{"RoleType": "DataSourceRole", "ApplicationId": testAppID, "IndexId": testIndexID, "SecretArn": testSecretArn}},
		{"plugin role", &QBusinessRoleProps{RoleType: PluginRole, ApplicationId: jsii.String(testAppID), SecretArn: jsii.String(testSecretArn)},
			map[string]any{"RoleType": "PluginRole", "ApplicationId": testAppID, "SecretArn": testSecretArn}},
		{"retriever role", &QBusinessRoleProps{RoleType: RetrieverRole, ApplicationId: jsii.String(testAppID), KendraIndexId: jsii.String(testIndexID)},
			map[string]any{"RoleType": "RetrieverRole", "ApplicationId": testAppID, "KendraIndexId": testIndexID}},
		{"every application role prop", &QBusinessRoleProps{
			RoleType: ApplicationRole, RoleName: jsii.String("r"), Path: jsii.String("/q/"), Description: jsii.String("d"),
			ApplicationId: jsii.String("a1b2c3d4-e5f6-7890-abcd-ef1234567890"), SubscriptionId: jsii.String("s"),
			Region: jsii.String("eu-west-1"), SourceAccount: jsii.String("444455556666"), PolicyName: jsii.String("P"),
			PermissionsBoundary: jsii.String("arn:aws:iam::aws:policy/PowerUserAccess"), MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(2)),
			Tags: map[string]string{"b": "2", "a": "1"}, OnDelete: DeleteRole,
		}, map[string]any{
			"RoleType": "ApplicationRole", "RoleName": "r", "Path": "/q/", "Description": "d",
			"ApplicationId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "SubscriptionId": "s", "Region": "eu-west-1",
			"SourceAccount": "444455556666", "PolicyName": "P", "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
			"MaxSessionDuration": float64(7200), "OnDelete": "Delete",
			"Tags": []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stack := newStack(false, "")
			NewQBusinessRole(stack, "Role", c.props)
			want := map[string]any{
				"ServiceToken":   assertions.Match_ObjectLike(&map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()}),
				"ServiceTimeout": "660", // 11 minutes
			}
			for k, v := range c.want {
				want[k] = v
			}
			template(stack).HasResourceProperties(jsii.String(ResourceType), assertions.Match_ObjectEquals(&want))
		})
	}
}

// parsed is the stack's synthesized template, for cfntemplate's resolver.
func parsed(t *testing.T, stack awscdk.Stack) cfntemplate.Template {
	t.Helper()
	raw, err := json.Marshal(template(stack).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfntemplate.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// The execution role's IAM policy is execrole's, statement for statement, once
// CloudFormation has filled it in, for each value of both context switches:
// with OriginGuardContext false without the origin guard, with
// VerifyRequestsContext false without the CloudFormation reads. Its only other
// policy writes its own logs.
func TestExecutionRoleIsExecrolesStatements(t *testing.T) {
	for _, on := range []execrole.Switches{{OriginGuard: true, VerifyRequests: true}, {OriginGuard: true}, {VerifyRequests: true}, {}} {
		t.Run(fmt.Sprintf("%s=%v,%s=%v", OriginGuardContext, on.OriginGuard, VerifyRequestsContext, on.VerifyRequests), func(t *testing.T) {
			stack := stackWith(on)
			NewQBusinessRole(stack, "Role", nil)
			tpl := parsed(t, stack)
			fn := tpl.Resources("AWS::Lambda::Function")
			if len(fn) != 1 {
				t.Fatalf("functions %v", fn)
			}
			roleID, err := tpl.FunctionRole(fn[0])
			if err != nil {
				t.Fatal(err)
			}
			d := cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "us-east-1", StackName: "TestStack"}
			policies, err := tpl.RolePolicies(roleID, d)
			if err != nil {
				t.Fatal(err)
			}
			want := execrole.Document(execrole.All(on), execrole.Values{Partition: "aws", Region: d.Region, AccountID: d.AccountID, FunctionARN: d.FunctionARN(fn[0])})
			var iamPolicies int
			for _, p := range policies {
				sts := p.Document["Statement"].([]any)
				if p.Name == "WriteOwnLogs" {
					for _, s := range sts {
						for _, a := range cfntemplate.Strings(cfntemplate.Lookup(s, "Action")) {
							if !strings.HasPrefix(a, "logs:") || strings.Contains(a, "*") {
								t.Errorf("log statement action %v", a)
							}
						}
						if cfntemplate.Lookup(s, "Resource") == "*" {
							t.Error("logs on *")
						}
					}
					continue
				}
				iamPolicies++
				if !cfntemplate.SamePolicy(p.Document, want) {
					g, _ := json.MarshalIndent(p.Document, "", " ")
					w, _ := json.MarshalIndent(want, "", " ")
					t.Errorf("%s:\n%s\nexecrole:\n%s", p.Name, g, w)
				}
				for _, bad := range cfntemplate.UnguardedWrites(sts) {
					t.Errorf("synthesized template: %s", bad)
				}
			}
			if iamPolicies != 1 || len(policies) != 2 {
				t.Errorf("%d policies, %d with IAM statements: want WriteOwnLogs and one IAM policy", len(policies), iamPolicies)
			}
			role := tpl.Props(roleID)
			if role["ManagedPolicyArns"] != nil {
				t.Errorf("managed policies %v: want only the inline statements", role["ManagedPolicyArns"])
			}
			trust := cfntemplate.Lookup(role, "AssumeRolePolicyDocument", "Statement", 0).(map[string]any)
			if cfntemplate.Lookup(trust, "Principal", "Service") != "lambda.amazonaws.com" || trust["Action"] != "sts:AssumeRole" || trust["Effect"] != "Allow" {
				t.Errorf("trust %v", trust)
			}
		})
	}
}

// Every custom resource waits for the function's IAM policy, and the function
// does not depend on it (the policy names the function).
func TestCustomResourcesDependOnThePolicy(t *testing.T) {
	_, stack := newStack(false, "")
	NewQBusinessRole(stack, "A", nil)
	NewQBusinessRole(stack, "B", &QBusinessRoleProps{RoleType: ServiceLinkedRole})
	tpl := template(stack)
	policies := *tpl.FindResources(jsii.String("AWS::IAM::Policy"), nil)
	if len(policies) != 1 {
		t.Fatalf("policies %v", policies)
	}
	for id := range policies {
		dependsOnPolicy := map[string]any{"DependsOn": assertions.Match_ArrayWith(&[]any{id})}
		tpl.AllResources(jsii.String(ResourceType), dependsOnPolicy)
		if fns := *tpl.FindResources(jsii.String("AWS::Lambda::Function"), dependsOnPolicy); len(fns) != 0 {
			t.Errorf("function %v depends on its policy: a cycle", fns)
		}
	}
}

// The real thing, once: the asset is a linux/arm64 ELF named bootstrap.
func TestGivenBundlingThenAssetIsArm64Bootstrap(t *testing.T) {
	out := t.TempDir()
	app, stack := newStack(true, out)
	NewQBusinessRole(stack, "Role", nil)
	app.Synth(nil)
	matches, _ := filepath.Glob(filepath.Join(out, "asset.*", "bootstrap"))
	if len(matches) != 1 {
		entries, _ := os.ReadDir(out)
		t.Fatalf("bootstrap assets %v in %v", matches, entries)
	}
	f, err := elf.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v %v, want a 64-bit arm64 executable", f.Machine, f.Class, f.Type)
	}
	if st, _ := os.Stat(matches[0]); st.Mode()&0o111 == 0 {
		t.Error("bootstrap is not executable")
	}
}

func TestWithoutGoBundlingFailsClearly(t *testing.T) {
	b := &goBundler{dir: moduleDir(), goBin: "no-such-go-toolchain"}
	err := b.build(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "needs Go") {
		t.Fatalf("error = %v", err)
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "needs Go") {
			t.Errorf("TryBundle panic = %v", p)
		}
	}()
	b.TryBundle(jsii.String(t.TempDir()), nil)
}

// The synthesized policy decides every case of the attack catalogue exactly
// as template.yaml's does (IAM policy evaluator; see internal/testkit/iamauthz).
func TestSynthesizedPolicyDecidesLikeTemplateYAML(t *testing.T) {
	eval, err := iamauthz.StartEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	d := cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "eu-west-1", StackName: "TestStack"}
	_, stack := newStack(false, "")
	cdkFn, samFn := functions(t, stack, d)
	// One catalogue, the function's own identity substituted in each.
	cdkV, err := iamauthz.Judge(eval, cdkFn, iamauthz.Catalogue(cdkFn, d.Partition, d.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	samV, err := iamauthz.Judge(eval, samFn, iamauthz.Catalogue(samFn, d.Partition, d.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cdkV.Failures {
		t.Errorf("synthesized: %s", f)
	}
	if !slices.Equal(cdkV.Results, samV.Results) {
		t.Errorf("the synthesized policy decides differently from template.yaml's:\n%v\n%v", cdkV.Results, samV.Results)
	}
	fmt.Printf("attack suite (decisions, CDK-synthesized policy): %d checks, %d as wanted, all as template.yaml's\n%s",
		len(cdkV.Results), len(cdkV.Results)-len(cdkV.Failures), cdkV)
}

// With a shared provider the stack has no function, role, policy or log group
// of its own; the custom resource calls the shared one.
func TestSharedProvider(t *testing.T) {
	token := "arn:aws:lambda:eu-west-1:123456789012:function:qbrole-provider-QBusinessRoleFunction-AbCdEf123456"
	cases := []struct {
		name  string
		props QBusinessRoleProps
		want  any
	}{
		{"by ServiceToken", QBusinessRoleProps{ServiceToken: jsii.String(token)}, token},
		{"by the provider stack's export", QBusinessRoleProps{ProviderExportName: jsii.String("qbrole-provider-ServiceToken")},
			map[string]any{"Fn::ImportValue": "qbrole-provider-ServiceToken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stack := newStack(false, "")
			r := NewQBusinessRole(stack, "Role", &c.props)
			tpl := template(stack)
			for _, typ := range []string{"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup"} {
				tpl.ResourceCountIs(jsii.String(typ), jsii.Number(0))
			}
			tpl.ResourceCountIs(jsii.String(ResourceType), jsii.Number(1))
			tpl.HasResource(jsii.String(ResourceType), map[string]any{
				"Properties": map[string]any{"ServiceToken": c.want},
				"DependsOn":  assertions.Match_Absent(),
			})
			if r.Provider != nil {
				t.Errorf("provider %v, want none", r.Provider)
			}
		})
	}
	t.Run("both at once", func(t *testing.T) {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "not both") {
				t.Errorf("panic %v", p)
			}
		}()
		_, stack := newStack(false, "")
		NewQBusinessRole(stack, "Role", &QBusinessRoleProps{ServiceToken: jsii.String(token), ProviderExportName: jsii.String("x")})
	})
}

// Logical ids are what CloudFormation knows a deployed resource by: they are
// those of 0.2.0 (testdata/logical-ids.txt, synthesized by that release), so
// upgrading the library replaces nothing.
func TestLogicalIDsAreStable(t *testing.T) {
	want, err := os.ReadFile("testdata/logical-ids.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, stack := newStack(false, "")
	NewQBusinessRole(stack, "Role", nil)
	NewQBusinessRole(stack, "ServiceLinked", &QBusinessRoleProps{RoleType: ServiceLinkedRole})
	var got []string
	for id, r := range (*template(stack).ToJSON())["Resources"].(map[string]any) {
		got = append(got, fmt.Sprintf("%s %s", id, r.(map[string]any)["Type"]))
	}
	slices.Sort(got)
	if g := strings.Join(got, "\n") + "\n"; g != string(want) {
		t.Errorf("logical ids\n%s\nwant\n%s", g, want)
	}
}
