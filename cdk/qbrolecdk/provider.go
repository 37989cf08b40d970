// Package qbrolecdk is the CDK (Go) construct library of qbrole: QBusinessRole
// creates the IAM role of an Amazon Q Business application (or its
// service-linked role) through the Custom::QBusinessRole custom resource, and
// Provider is the Lambda function behind it, one per stack, built from this
// module's source by local Go bundling (no Docker).
package qbrolecdk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/lambdabuild"
	"github.com/qbrole/qbrole/internal/schema"
)

// providerID is the provider's construct id under its stack.
const providerID = "QBusinessRoleProvider"

// Function settings, the same as template.yaml's.
const (
	FunctionMemoryMB = 128
	// FunctionTimeoutMinutes leaves room for the service-linked role's deletion.
	FunctionTimeoutMinutes = 10
)

// OriginGuardContext is the context key that turns the origin guard off:
// "-c qbrole:requireSourceFunctionArn=false", for a partition where Lambda
// does not supply lambda:SourceFunctionArn (see the README). On by default.
const OriginGuardContext = "qbrole:requireSourceFunctionArn"

// VerifyRequestsContext is the context key that turns the function's check of
// each request against CloudFormation off, and with it the two CloudFormation
// reads of its policy: "-c qbrole:verifyRequestsWithCloudFormation=false",
// only for local tools that have no CloudFormation to ask. On by default.
const VerifyRequestsContext = "qbrole:verifyRequestsWithCloudFormation"

// verifyRequestsEnv is the function's environment variable that the code reads
// the check's switch from: cfnverify.SwitchEnv, which a test compares it with.
// Spelled here because internal/cfnverify holds the function's CloudFormation
// client, and importing it would bring the AWS SDK into the construct library.
const verifyRequestsEnv = "QBROLE_VERIFY_REQUESTS"

// Provider is the custom resource's Lambda function with its execution role,
// the role's IAM policy and the log group. There is one per stack;
// ProviderFor finds or makes it.
type Provider struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	// Policy holds the function's IAM permissions. It is a resource of its own
	// (it names the function, which names the role); custom resources depend on it.
	Policy   awsiam.Policy
	LogGroup awslogs.LogGroup
}

// ServiceToken is the function's ARN, the ServiceToken of the stack's
// Custom::QBusinessRole resources. (A pointer-receiver method: jsii needs one
// on a Go struct made with NewConstruct_Override.)
func (p *Provider) ServiceToken() *string { return p.Function.FunctionArn() }

// ProviderFor returns the stack's provider, creating it on first use. It
// panics if the stack has a construct of another kind under the provider's id.
func ProviderFor(scope constructs.Construct) *Provider {
	stack := awscdk.Stack_Of(scope)
	existing := stack.Node().TryFindChild(jsii.String(providerID))
	if existing == nil {
		return newProvider(stack)
	}
	// Made by newProvider with NewConstruct_Override, the construct is the
	// *Provider itself.
	p, ok := existing.(*Provider)
	if !ok {
		panic(fmt.Sprintf("qbrole: %s is taken by a construct that is not a qbrole provider", *existing.Node().Path()))
	}
	return p
}

func newProvider(stack awscdk.Stack) *Provider {
	on := switches(stack)
	p := &Provider{}
	constructs.NewConstruct_Override(p, stack, jsii.String(providerID))
	logs := awslogs.NewLogGroup(p, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(p, jsii.String("ExecutionRole"), &awsiam.RoleProps{
		Description: jsii.String("Execution role of the " + schema.ResourceType + " provider (qbrole)"),
		// As in template.yaml: no aws:SourceAccount condition, which iam:PassRole makes moot.
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"WriteOwnLogs": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
					Resources: &[]*string{logs.LogGroupArn()},
				}),
			}}),
		},
	})
	fn := awslambda.NewFunction(p, jsii.String("Function"), &awslambda.FunctionProps{
		Description:   jsii.String(schema.ResourceType + " provider (qbrole)"),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          code(),
		MemorySize:    jsii.Number(FunctionMemoryMB),
		Timeout:       awscdk.Duration_Minutes(jsii.Number(FunctionTimeoutMinutes)),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		// The code reads the switch here, the policy below allows the reads only when it is on.
		Environment: &map[string]*string{verifyRequestsEnv: jsii.String(fmt.Sprint(on.VerifyRequests))},
	})
	// Not a child of the role: the function depends on its role and all the
	// role's children, and this policy names the function.
	policy := awsiam.NewPolicy(p, jsii.String("ManageOwnedQBusinessRoles"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{role},
		Statements: statements(fn.FunctionArn(), on),
	})
	suppressWildcards(policy)
	p.Function, p.Role, p.Policy, p.LogGroup = fn, role, policy, logs
	return p
}

// switches reads OriginGuardContext and VerifyRequestsContext: only "false"
// turns either off.
func switches(scope constructs.Construct) execrole.Switches {
	on := func(key string) bool { return fmt.Sprint(scope.Node().TryGetContext(jsii.String(key))) != "false" }
	return execrole.Switches{OriginGuard: on(OriginGuardContext), VerifyRequests: on(VerifyRequestsContext)}
}

// nagWildcardReasons explains each wildcard of the execution role to cdk-nag's
// AwsSolutions-IAM5, in the finding format it reports.
var nagWildcardReasons = map[string]string{
	"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*": "Application roles take names and paths their users choose. " +
		"Reads are on roles only; every write is conditioned on the qbrole ownership tag, on the role (iam:ResourceTag) or in the creating request (aws:RequestTag).",
	"Resource::*": "iam:ListRoles has no resource type; it is a read, used to find the Q Business service-linked role under its path.",
	"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*": "iam:RemoveRoleFromInstanceProfile is authorized on the instance profile, " +
		"which cannot carry the role's tags; the code calls it only while deleting a role it owns.",
	"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role" + schema.ServiceLinkedRolePath + schema.ServiceLinkedRoleName + "*": "The wildcard is the end of " +
		"the one Q Business service-linked role's name under its service path; IAM chooses the name.",
	"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/*": "The function reads the stack named by each request " +
		"(cloudformation:DescribeStackResource and DescribeStacks, read-only) to check it against CloudFormation; it may be any stack " +
		"of the account and Region that uses the provider.",
}

// suppressWildcards records the reasons as cdk-nag metadata on the policy, so
// apps that run cdk-nag see them without this library importing cdk-nag.
func suppressWildcards(policy awsiam.Policy) {
	keys := make([]string, 0, len(nagWildcardReasons))
	for k := range nagWildcardReasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rules := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		rules = append(rules, map[string]any{"id": "AwsSolutions-IAM5", "reason": nagWildcardReasons[k], "applies_to": []string{k}})
	}
	cfn := policy.Node().DefaultChild().(awscdk.CfnResource)
	cfn.AddMetadata(jsii.String("cdk_nag"), map[string]any{"rules_to_suppress": rules})
}

// statements turns execrole's statements (the one source shared with the
// code and template.yaml) into CDK policy statements for the function fnArn.
func statements(fnArn *string, on execrole.Switches) *[]awsiam.PolicyStatement {
	sub := func(s string) *string {
		if !strings.Contains(s, "${AWS::") && !strings.Contains(s, execrole.FunctionARN) {
			return jsii.String(s) // IAM policy variables such as ${aws:RequestTag/…} stay as they are
		}
		s = strings.ReplaceAll(s, "${aws:", "${!aws:")
		if !strings.Contains(s, execrole.FunctionARN) {
			return awscdk.Fn_Sub(jsii.String(s), nil)
		}
		return awscdk.Fn_Sub(jsii.String(s), &map[string]*string{strings.Trim(execrole.FunctionARN, "${}"): fnArn})
	}
	var out []awsiam.PolicyStatement
	for _, s := range execrole.All(on) {
		props := &awsiam.PolicyStatementProps{Sid: jsii.String(s.Sid), Actions: jsii.Strings(s.Actions...), Effect: awsiam.Effect_ALLOW}
		if s.IsDeny() {
			props.Effect = awsiam.Effect_DENY
		}
		var res []*string
		for _, r := range s.Resources {
			res = append(res, sub(r))
		}
		props.Resources = &res
		if len(s.Conditions) > 0 {
			cond := map[string]any{}
			for op, kv := range s.Conditions {
				m := map[string]any{}
				for k, vs := range kv {
					var vals []*string
					for _, v := range vs {
						vals = append(vals, sub(v))
					}
					m[k] = vals
				}
				cond[op] = m
			}
			props.Conditions = &cond
		}
		out = append(out, awsiam.NewPolicyStatement(props))
	}
	return &out
}

// code is the function's asset: bootstrap built by goBundler. The asset hash
// is the bundled output's, so any change of the code makes a new version.
func code() awslambda.Code {
	dir := moduleDir()
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(dir, "lambda")), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Required by the type; never used, since local bundling always succeeds or fails loudly.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1.26")),
			Local: &goBundler{dir: dir},
		},
	})
}

// Module is this module's path.
const Module = "github.com/qbrole/qbrole"

// moduleDir is this module's directory as the go command of the app being
// synthesized sees it: a checkout (a replace directive, this module's own
// tests) or the read-only module cache.
func moduleDir() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return dir
	}
	// Without a usable go command: the source next to this file, so that the
	// bundler can say what is missing.
	if _, file, _, ok := runtime.Caller(0); ok {
		return filepath.Join(filepath.Dir(file), "..", "..")
	}
	panic(fmt.Sprintf("qbrole: cannot find the module %s: %v", Module, err))
}

// goBundler cross-compiles the function for linux/arm64 with the local Go
// toolchain, in this module's own directory: with its go.mod and go.sum,
// whatever the app's module covers. jsii needs it passed as a pointer.
type goBundler struct {
	dir string
	// goBin overrides the go command (tests).
	goBin string
}

// TryBundle builds bootstrap into outputDir. Without Go it panics with a clear
// message rather than falling back to Docker.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := b.build(*outputDir); err != nil {
		panic(err.Error())
	}
	return jsii.Bool(true)
}

// minGo is the oldest Go that builds this module (its go.mod's go line).
const minGo = "1.26.6"

func (b *goBundler) build(outputDir string) error {
	goBin := b.goBin
	if goBin == "" {
		goBin = "go"
	}
	need := fmt.Sprintf("qbrole: building the %s function needs Go %s or later on PATH", schema.ResourceType, minGo)
	path, err := exec.LookPath(goBin)
	if err != nil {
		return fmt.Errorf("%s: %w; install it from https://go.dev/dl/", need, err)
	}
	version, err := exec.Command(path, "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Errorf("%s: %s env GOVERSION: %w", need, path, err)
	}
	if v := strings.TrimSpace(string(version)); !atLeast(strings.TrimPrefix(v, "go"), minGo) {
		return fmt.Errorf("%s, found %s; install a newer one from https://go.dev/dl/", need, v)
	}
	cmd := exec.Command(path, lambdabuild.Args(filepath.Join(outputDir, "bootstrap"))...)
	cmd.Dir = b.dir
	// The module's own go.mod and go.sum, never a workspace's; the module cache is read-only.
	cmd.Env = append(append(os.Environ(), lambdabuild.TargetEnv...), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("qbrole: go build %s in %s: %w\n%s", lambdabuild.Package, b.dir, err, out)
	}
	return nil
}

// atLeast compares dotted versions such as 1.26.8 and 1.26.6 (a pre-release
// such as 1.27rc1 counts as its release).
func atLeast(have, want string) bool {
	num := func(s string) []int {
		var out []int
		for _, part := range strings.Split(s, ".") {
			n := 0
			for _, c := range part {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			out = append(out, n)
		}
		return out
	}
	h, w := num(have), num(want)
	for i := range w {
		if i >= len(h) {
			return false
		}
		if h[i] != w[i] {
			return h[i] > w[i]
		}
	}
	return true
}
