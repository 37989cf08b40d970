//go:build integration

package cfnapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
)

// The double's reads judged by the IAM policy evaluator, through the
// authorizing proxy's Authorize, against a policy given inline: read access
// to the stacks of the function's own account and Region only, and no
// DescribeStacks.
func TestReadsJudgedByTheIAMPolicyEvaluator(t *testing.T) {
	eval, err := iamauthz.StartEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	policy := iamauthz.Policy{Name: "reads", Document: map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": "cloudformation:DescribeStackResource",
			"Resource": "arn:aws:cloudformation:us-east-1:123456789012:stack/*"}},
	}}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	principal := "arn:aws:sts::123456789012:assumed-role/qbrole-role/f"
	proxy, err := iamauthz.NewProxy("http://127.0.0.1:1", nil, eval, "123456789012", fn,
		map[string]iamauthz.Caller{key: {Principal: principal, Policies: []iamauthz.Policy{policy}}})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s := newServer(t, cfnapi.Options{Authorize: proxy.Authorize})

	if status, body := read(cfnapi.DescribeStackResource, stackID, "Role").call(t, s); status != http.StatusOK {
		t.Errorf("own stack: %d %s", status, body)
	}
	otherAccount := strings.Replace(stackID, "123456789012", "210987654321", 1)
	for _, c := range []struct {
		name string
		req  request
		msg  string
	}{
		{"a stack of another account", read(cfnapi.DescribeStackResource, otherAccount, "Role"),
			"User: " + principal + " is not authorized to perform: cloudformation:DescribeStackResource on resource: " + otherAccount},
		{"DescribeStacks, not in the policy", read(cfnapi.DescribeStacks, stackID, ""),
			"because no identity-based policy allows the cloudformation:DescribeStacks action"},
	} {
		status, body := c.req.call(t, s)
		if _, code, msg := errorOf(t, body); status != http.StatusForbidden || code != "AccessDenied" || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s %q", c.name, status, code, msg)
		}
	}
	decisions := proxy.Decisions()
	if len(decisions) != 3 || decisions[0].Result != iamauthz.Allowed || decisions[1].Result != iamauthz.ImplicitlyDenied ||
		decisions[2].Request != cfnapi.DescribeStacks || !decisions[0].Inside || decisions[0].Context["lambda:SourceFunctionArn"] != fn {
		t.Errorf("decisions %+v", decisions)
	}
}
