package iamauthz

import (
	"fmt"

	"github.com/qbrole/qbrole/internal/execrole"
	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

// VerifyReads is every CloudFormation request the tests judge for the reads
// of the request check (execrole.VerifyRequests) and their guard
// (execrole.GuardStackReads), made with the function's credentials in
// deployment d whose switches are on, from each origin:
//
//   - DescribeStackResource and DescribeStacks on a stack of d's account and
//     Region are Allowed from inside the function (under any of its ARNs)
//     when the reads are on, and denied when they are off;
//   - from outside the function or from another function, the same reads are
//     denied explicitly when both switches are on (the guard, whatever the
//     stack), and denied when the reads are off; with the origin guard off
//     and the reads on they are Allowed from anywhere: that is the documented
//     gap of RequireSourceFunctionArn=false (the function's credentials are
//     then good outside it, for the reads as for IAM);
//   - the reads of a stack of another account or another Region, every other
//     CloudFormation action on the account's stacks, and listing the stacks
//     are denied from everywhere, whatever the switches.
func VerifyReads(fn Function, d cfntemplate.Deployment, on execrole.Switches) []Case {
	stack := func(region, account, name string) string {
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/6f1c2b3a-0d4e-4f50-8a9b-0c1d2e3f4a5b", d.Partition, region, account, name)
	}
	otherRegion := "eu-west-1"
	if d.Region == otherRegion {
		otherRegion = "us-east-1"
	}
	var (
		ours         = stack(d.Region, d.AccountID, "any-name")
		otherAccount = stack(d.Region, "210987654321", "any-name")
		elsewhere    = stack(otherRegion, d.AccountID, "any-name")
		reads        = execrole.VerifyRequests().Actions
		guarded      = on.OriginGuard && on.VerifyRequests
	)
	var out []Case
	for _, o := range origins {
		add := func(name, action, resource, want string) {
			out = append(out, Case{Name: name, Origin: o, Want: want,
				Check: Check{Principal: fn.Principal, Action: action, Resource: resource, Account: d.AccountID, Context: o.context(fn, nil)}})
		}
		// What the reads' guard decides from o, where no Allow applies.
		otherwise := Denied
		if guarded && !o.fromFunction() {
			otherwise = ExplicitlyDenied
		}
		readWant := otherwise
		if on.VerifyRequests && (o.fromFunction() || !on.OriginGuard) {
			readWant = Allowed
		}
		for _, a := range reads {
			add("read a stack of the account and Region", a, ours, readWant)
			add("read a stack of another account", a, otherAccount, otherwise)
			add("read a stack of another Region", a, elsewhere, otherwise)
		}
		for _, a := range []string{"DeleteStack", "UpdateStack", "CreateStack", "DescribeStackEvents", "DescribeStackResources",
			"GetTemplate", "SignalResource", "ContinueUpdateRollback", "CancelUpdateStack"} {
			add("another CloudFormation action on the account's stack", "cloudformation:"+a, ours, Denied)
		}
		// ListStacks has no resource type: it is authorized on "*".
		add("list the stacks", "cloudformation:ListStacks", "*", Denied)
	}
	return out
}
