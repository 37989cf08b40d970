//go:build integration

package reliability_test

import (
	"slices"
	"sync"

	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// readsHook is the CloudFormation double's authorization hook for a rig whose
// IAM calls go through p: each read is judged by the IAM policy evaluator with
// the policies p gives the function — once template.yaml's execution role
// carries the reads (its parameter VerifyRequestsWithCloudFormation, branch
// issue19-policy). Until then template.yaml grants no read, and the reads are
// judged with its policies and the reads' statement given inline
// (inlineReads); remove that fallback when the template carries them.
func readsHook(p *iamauthz.Proxy) func(action, stackARN, accessKeyID string) error {
	if templateGrantsReads() {
		return p.Authorize
	}
	return inlineReads().Authorize
}

var (
	grantsOnce sync.Once
	grants     bool
	inlineOnce sync.Once
	inline     *iamauthz.Proxy
)

// templateGrantsReads reports whether template.yaml's execution role may
// read a stack of the account with DescribeStackResource.
func templateGrantsReads() bool {
	grantsOnce.Do(func() {
		result, err := authz.Evaluator.Evaluate(iamauthz.Check{Principal: authz.Function.Principal, Action: "cloudformation:DescribeStackResource",
			Resource: stackID, Account: iamauthz.Deployment.AccountID, Context: map[string]any{"lambda:SourceFunctionArn": authz.Function.ARN}},
			authz.Function.Policies)
		grants = err == nil && result == iamauthz.Allowed
	})
	return grants
}

// inlineReads is a proxy that gives the function template.yaml's policies
// and the two reads on the stacks of its account and Region.
func inlineReads() *iamauthz.Proxy {
	inlineOnce.Do(func() {
		d := iamauthz.Deployment
		reads := iamauthz.Policy{Name: "VerifyRequestsInline", Document: map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Effect": "Allow",
				"Action":   []any{"cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"},
				"Resource": "arn:" + d.Partition + ":cloudformation:" + d.Region + ":" + d.AccountID + ":stack/*"}},
		}}
		p, err := authz.NewProxy(moto, append(slices.Clone(authz.Function.Policies), reads))
		if err != nil {
			panic(err)
		}
		inline = p
	})
	return inline
}
