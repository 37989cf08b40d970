//go:build integration

package qbrolecdk

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// stackWith is a stack whose context turns off the switches that on has off.
func stackWith(on execrole.Switches) awscdk.Stack {
	_, stack := newStack(false, "")
	if !on.OriginGuard {
		stack.Node().SetContext(jsii.String(OriginGuardContext), "false")
	}
	if !on.VerifyRequests {
		stack.Node().SetContext(jsii.String(VerifyRequestsContext), "false")
	}
	return stack
}

// The function reads the request check's switch from the environment variable
// cfnverify names, set from the context: only "false" (or false, as cdk.json
// may spell it) turns it off, and the policy has the CloudFormation reads
// exactly when the code checks.
func TestVerifyRequestsContext(t *testing.T) {
	cases := []struct {
		name  string
		value any // nil: no context value
		want  string
	}{
		{"unset", nil, "true"},
		{"true", "true", "true"},
		{"false", "false", "false"},
		{"false as a JSON boolean", false, "false"},
		{"another spelling stays on", "False", "true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stack := newStack(false, "")
			if c.value != nil {
				stack.Node().SetContext(jsii.String(VerifyRequestsContext), c.value)
			}
			NewQBusinessRole(stack, "Role", nil)
			tpl := parsed(t, stack)
			fns := tpl.Resources("AWS::Lambda::Function")
			if len(fns) != 1 {
				t.Fatalf("functions %v", fns)
			}
			vars, _ := cfntemplate.Lookup(tpl.Props(fns[0]), "Environment", "Variables").(map[string]any)
			if len(vars) != 1 || vars[cfnverify.SwitchEnv] != c.want {
				t.Errorf("environment %v, want only %s=%s", vars, cfnverify.SwitchEnv, c.want)
			}
			policies := tpl.Resources("AWS::IAM::Policy")
			if len(policies) != 1 {
				t.Fatalf("policies %v", policies)
			}
			reads := strings.Contains(fmt.Sprint(tpl.Props(policies[0])["PolicyDocument"]), execrole.VerifyRequests().Sid)
			if reads != cfnverify.On(c.want) {
				t.Errorf("the code checks requests: %v; the policy allows the reads: %v", cfnverify.On(c.want), reads)
			}
		})
	}
}

// The synthesized policy allows the CloudFormation reads exactly as
// template.yaml's does, for every combination of both switches (IAM policy
// evaluator): the two reads on the stacks of the account and Region only,
// only from inside the function when the origin guard is on, no other
// CloudFormation action, nothing of CloudFormation with the reads off.
func TestSynthesizedPolicyReadsStacksLikeTemplateYAML(t *testing.T) {
	eval, err := iamauthz.StartEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	for _, on := range []execrole.Switches{{OriginGuard: true, VerifyRequests: true}, {OriginGuard: true}, {VerifyRequests: true}, {}} {
		t.Run(fmt.Sprintf("%s=%v,%s=%v", OriginGuardContext, on.OriginGuard, VerifyRequestsContext, on.VerifyRequests), func(t *testing.T) {
			d := cfntemplate.Deployment{Partition: "aws", AccountID: "123456789012", Region: "us-east-1", StackName: "TestStack",
				Params: map[string]string{"RequireSourceFunctionArn": fmt.Sprint(on.OriginGuard), "VerifyRequestsWithCloudFormation": fmt.Sprint(on.VerifyRequests)}}
			cdkFn, samFn := functions(t, stackWith(on), d)
			cdkV, err := iamauthz.Judge(eval, cdkFn, iamauthz.VerifyReads(cdkFn, d, on))
			if err != nil {
				t.Fatal(err)
			}
			samV, err := iamauthz.Judge(eval, samFn, iamauthz.VerifyReads(samFn, d, on))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range cdkV.Failures {
				t.Errorf("synthesized: %s", f)
			}
			for _, f := range samV.Failures {
				t.Errorf("template.yaml: %s", f)
			}
			if !slices.Equal(cdkV.Results, samV.Results) {
				t.Errorf("the synthesized policy decides differently from template.yaml's:\n%v\n%v", cdkV.Results, samV.Results)
			}
		})
	}
}

// functions is the provider function of stack, with one QBusinessRole
// added, and template.yaml's, each with its policies as deployed in d.
func functions(t *testing.T, stack awscdk.Stack, d cfntemplate.Deployment) (cdk, sam iamauthz.Function) {
	t.Helper()
	NewQBusinessRole(stack, "Role", nil)
	tpl := parsed(t, stack)
	fns := tpl.Resources("AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("functions %v", fns)
	}
	cdk, err := iamauthz.FunctionOf(tpl, fns[0], d)
	if err != nil {
		t.Fatal(err)
	}
	if sam, err = iamauthz.SAMFunction(d); err != nil {
		t.Fatal(err)
	}
	return cdk, sam
}
