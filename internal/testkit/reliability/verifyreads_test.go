//go:build integration

package reliability_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// cdkGolden is the CDK construct's synthesized template as committed; its
// own test (cdk/qbrolecdk, TestTemplateGolden) keeps it equal to what the
// construct synthesizes with the default context.
const cdkGolden = "../../../cdk/qbrolecdk/testdata/template.golden.json"

// samFunction is template.yaml's function deployed as iamauthz.Deployment,
// with both switches' parameters.
func samFunction(t *testing.T, on execrole.Switches) iamauthz.Function {
	t.Helper()
	d := iamauthz.Deployment
	d.Params = map[string]string{"RequireSourceFunctionArn": fmt.Sprint(on.OriginGuard), "VerifyRequestsWithCloudFormation": fmt.Sprint(on.VerifyRequests)}
	fn, err := iamauthz.SAMFunction(d)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// cdkFunction is the provider function of the CDK golden template.
func cdkFunction(t *testing.T) iamauthz.Function {
	t.Helper()
	tpl, err := cfntemplate.Load(cdkGolden)
	if err != nil {
		t.Fatal(err)
	}
	fns := tpl.Resources("AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("functions %v in %s", fns, cdkGolden)
	}
	fn, err := iamauthz.FunctionOf(tpl, fns[0], iamauthz.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

// TestLeastPrivilegeCloudFormationReads: the execution role may read exactly
// the stacks of its own account and Region, with exactly the two actions the
// request check calls, only from inside the function when the origin guard is
// on (denied explicitly from anywhere else), and nothing at all of
// CloudFormation with the switch off; judged by the IAM policy evaluator for
// template.yaml's policy (every combination of both switches) and the CDK
// construct's (its golden template; the construct's own tests judge every
// combination of the context values).
func TestLeastPrivilegeCloudFormationReads(t *testing.T) {
	both := execrole.Switches{OriginGuard: true, VerifyRequests: true}
	cases := []struct {
		name string
		fn   iamauthz.Function
		on   execrole.Switches
	}{
		{"template.yaml, both switches on", samFunction(t, both), both},
		{"template.yaml, VerifyRequestsWithCloudFormation=false", samFunction(t, execrole.Switches{OriginGuard: true}), execrole.Switches{OriginGuard: true}},
		{"template.yaml, RequireSourceFunctionArn=false", samFunction(t, execrole.Switches{VerifyRequests: true}), execrole.Switches{VerifyRequests: true}},
		{"template.yaml, both switches off", samFunction(t, execrole.Switches{}), execrole.Switches{}},
		{"CDK construct (golden template)", cdkFunction(t), both},
	}
	checks := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reads := iamauthz.VerifyReads(c.fn, iamauthz.Deployment, c.on)
			v, err := iamauthz.Judge(authz.Evaluator, c.fn, reads)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range v.Failures {
				t.Error(f)
			}
			checks += len(reads)
		})
	}
	if t.Failed() {
		return
	}
	fmt.Printf("least privilege (CloudFormation reads): %d checks on template.yaml's and the CDK construct's policies: "+
		"DescribeStackResource and DescribeStacks only, only on the account's stacks in its Region, only from inside the function "+
		"with the origin guard on, none with the switch off\n", checks)
}

// TestVerifyRequestsChangesNothingElse: with the reads on, the execution
// role's policies are those with the switch off plus the statement of the
// reads and, with the origin guard on, their guard; every IAM decision of the
// attack catalogue is the same, and the reads are the only actions of neither
// IAM nor the function's own logs (allowed, and denied by their guard).
func TestVerifyRequestsChangesNothingElse(t *testing.T) {
	reads := execrole.VerifyRequests().Actions
	for _, guard := range []bool{true, false} {
		t.Run(fmt.Sprintf("RequireSourceFunctionArn=%v", guard), func(t *testing.T) {
			on := samFunction(t, execrole.Switches{OriginGuard: guard, VerifyRequests: true})
			off := samFunction(t, execrole.Switches{OriginGuard: guard})
			added, foreign := []string{execrole.VerifyRequests().Sid}, reads
			if guard {
				added, foreign = append(added, execrole.GuardStackReads().Sid), slices.Concat(reads, reads)
			}
			if got := withoutStatements(t, on.Policies, added...); !cfntemplate.SamePolicy(got, off.Policies) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(off.Policies, "", " ")
				t.Errorf("without the reads' statement:\n%s\nwith the switch off:\n%s", g, w)
			}
			onV, err := iamauthz.Judge(authz.Evaluator, on, iamauthz.Catalogue(on, iamauthz.Deployment.Partition, iamauthz.Deployment.AccountID))
			if err != nil {
				t.Fatal(err)
			}
			offV, err := iamauthz.Judge(authz.Evaluator, off, iamauthz.Catalogue(off, iamauthz.Deployment.Partition, iamauthz.Deployment.AccountID))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(onV.Results, offV.Results) {
				t.Errorf("the reads change IAM decisions:\n%v\n%v", onV.Results, offV.Results)
			}
			if got := foreignActions(on.Policies); !slices.Equal(got, foreign) {
				t.Errorf("actions outside IAM and the log policy %v, want only %v", got, foreign)
			}
			if got := foreignActions(off.Policies); len(got) != 0 {
				t.Errorf("switch off, actions outside IAM and the log policy %v", got)
			}
		})
	}
}

// withoutStatements is policies with the statements sids taken out.
func withoutStatements(t *testing.T, policies []iamauthz.Policy, sids ...string) []iamauthz.Policy {
	t.Helper()
	out := make([]iamauthz.Policy, 0, len(policies))
	found := map[string]int{}
	for _, p := range policies {
		doc := map[string]any{}
		for k, v := range p.Document {
			doc[k] = v
		}
		var kept []any
		for _, s := range p.Document["Statement"].([]any) {
			if sid, _ := cfntemplate.Lookup(s, "Sid").(string); slices.Contains(sids, sid) {
				found[sid]++
				continue
			}
			kept = append(kept, s)
		}
		doc["Statement"] = kept
		out = append(out, iamauthz.Policy{Name: p.Name, Document: doc})
	}
	for _, sid := range sids {
		if found[sid] != 1 {
			t.Errorf("statement %s found %d times, want once", sid, found[sid])
		}
	}
	return out
}

// foreignActions lists, in order, the actions of every statement that are
// neither IAM's nor, in the log policy, CloudWatch Logs'.
func foreignActions(policies []iamauthz.Policy) []string {
	var out []string
	for _, p := range policies {
		for _, s := range p.Document["Statement"].([]any) {
			for _, a := range cfntemplate.Strings(cfntemplate.Lookup(s, "Action")) {
				if !strings.HasPrefix(a, "iam:") && !(p.Name == "WriteOwnLogs" && strings.HasPrefix(a, "logs:")) {
					out = append(out, a)
				}
			}
		}
	}
	return out
}
