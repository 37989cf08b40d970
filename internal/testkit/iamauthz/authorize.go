package iamauthz

import (
	"errors"
	"fmt"
	"strings"
)

// Authorize judges a call the function makes from inside its execution
// environment to another service than IAM (CloudFormation's reads of the
// check of a request) — the IAM action (cloudformation:DescribeStackResource)
// on resource with the access key accessKeyID — with the evaluator and the
// policies of the key's caller, as the proxy judges the function's IAM calls
// arriving at Inside; it records the decision. nil: allowed; otherwise the
// error is IAM's AccessDenied message. It is the authorization hook of the
// CloudFormation double (internal/testkit/cfnapi).
func (p *Proxy) Authorize(action, resource, accessKeyID string) error {
	caller, known := p.callers[accessKeyID]
	if !known {
		return fmt.Errorf("iamauthz: access key %s: the security token included in the request is invalid", accessKeyID)
	}
	account := p.account
	if parts := strings.SplitN(resource, ":", 6); len(parts) == 6 && parts[4] != "" {
		account = parts[4]
	}
	c := Check{Principal: caller.Principal, Action: action, Resource: resource, Account: account,
		Context: map[string]any{"lambda:SourceFunctionArn": p.functionARN}}
	result, err := p.eval.Evaluate(c, caller.Policies)
	if err != nil {
		return fmt.Errorf("iamauthz: %w", err)
	}
	_, request, _ := strings.Cut(action, ":")
	p.mu.Lock()
	p.decisions = append(p.decisions, Decision{Check: c, Request: request, Inside: true, Result: result})
	p.mu.Unlock()
	if result != Allowed {
		return errors.New(denial(c, result))
	}
	return nil
}
