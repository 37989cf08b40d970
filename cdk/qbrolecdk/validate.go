package qbrolecdk

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/qbrole/qbrole/internal/roles"
)

// synthStack stands in for what only CloudFormation knows at deploy time (the
// stack's partition, region and account). ParseSpec uses them as defaults
// only (Region, SourceAccount), never to judge a value the props give, so no
// refusal here can come from them.
var synthStack = roles.Stack{Partition: "aws", Region: "us-east-1", AccountID: "123456789012"}

// validate refuses, at synth, properties the function would refuse at deploy:
// it gives the function's own validation (roles.ParseSpec, which answers the
// request FAILED with this message as its Reason) the properties as rendered
// into the template, so the two cannot drift apart. It panics, as CDK's own
// constructs throw at construction when their props break the construct's
// rules (aws-cdk-lib, core/lib/errors.d.ts: "A ValidationError is thrown when
// input props are failing to pass the rules of the construct. It usually means
// the underlying CloudFormation resource(s) would not deploy with a given
// configuration", https://app.unpkg.com/aws-cdk-lib@2.234.1/files/core/lib/errors.d.ts);
// the message names the construct's path and, through ParseSpec, each
// property. A value CDK has not resolved yet (a token: a parameter, an
// attribute, Aws.REGION) is left out, its default judged in its place, and
// left to the function, as CDK's own checks skip Token.isUnresolved values
// (aws-cdk issue #11633, "[@aws-cdk/aws-ec2] VpnConnection does not support
// unresolved tokens", fixed by skipping the check for a token,
// https://github.com/aws/aws-cdk/issues/11633).
func validate(c constructs.Construct, props map[string]any) {
	if _, err := roles.ParseSpec(resolvedProperties(props), synthStack, *c.Node().Id()); err != nil {
		panic(fmt.Sprintf("qbrole: %s: %v", *c.Node().Path(), err))
	}
}

// resolvedProperties is props as JSON would carry them (strings, numbers,
// lists, objects), without the values CDK has not resolved: a property whose
// value is a token, and a list entry (a tag) with a token in it.
func resolvedProperties(props map[string]any) map[string]any {
	raw, err := json.Marshal(props)
	if err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	out := make(map[string]any, len(generic))
	for k, v := range generic {
		list, isList := v.([]any)
		switch {
		case isList:
			kept := make([]any, 0, len(list))
			for _, e := range list {
				if !holdsToken(e) {
					kept = append(kept, e)
				}
			}
			out[k] = kept
		case !holdsToken(v):
			out[k] = v
		}
	}
	return out
}

// holdsToken tells whether v, or a value in it (one level of object), is an
// unresolved CDK token.
func holdsToken(v any) bool {
	if m, ok := v.(map[string]any); ok {
		for _, e := range m {
			if *awscdk.Token_IsUnresolved(e) {
				return true
			}
		}
		return false
	}
	return *awscdk.Token_IsUnresolved(v)
}
