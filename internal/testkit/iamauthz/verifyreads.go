package iamauthz

import (
	"fmt"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

// VerifyReads is every CloudFormation request the tests judge for the reads
// of the request check (execrole.VerifyRequests), made with the function's
// credentials in deployment d: DescribeStackResource and DescribeStacks on
// any stack of d's account and Region are Allowed when the switch is on and
// denied when it is off; on a stack of another account or another Region, and
// every other CloudFormation action on the function's own stacks, they are
// denied either way.
//
// The request context is empty: no condition of the policy applies to these
// actions (the origin guard denies iam:* only), so the decision cannot hang
// on one.
func VerifyReads(fn Function, d cfntemplate.Deployment, on bool) []Case {
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
		reads        = []string{"cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"}
	)
	var out []Case
	add := func(name, action, resource, want string) {
		out = append(out, Case{Name: name, Origin: Inside, Want: want,
			Check: Check{Principal: fn.Principal, Action: action, Resource: resource, Account: d.AccountID, Context: map[string]any{}}})
	}
	readWant := Denied
	if on {
		readWant = Allowed
	}
	for _, a := range reads {
		add("read a stack of the account and Region", a, ours, readWant)
		add("read a stack of another account", a, otherAccount, Denied)
		add("read a stack of another Region", a, elsewhere, Denied)
	}
	for _, a := range []string{"DeleteStack", "UpdateStack", "CreateStack", "DescribeStackEvents", "DescribeStackResources",
		"GetTemplate", "SignalResource", "ContinueUpdateRollback", "CancelUpdateStack"} {
		add("another CloudFormation action on the account's stack", "cloudformation:"+a, ours, Denied)
	}
	// ListStacks has no resource type: it is authorized on "*".
	add("list the stacks", "cloudformation:ListStacks", "*", Denied)
	return out
}
