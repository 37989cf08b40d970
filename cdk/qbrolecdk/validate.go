package qbrolecdk

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// placeholderStack stands in for what only CloudFormation knows at deploy
// time (the stack's partition, region and account) where neither the stack's
// environment nor a SecretArn tells it (see synthStack).
var placeholderStack = roles.Stack{Partition: "aws", Region: "us-east-1", AccountID: "123456789012"}

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
// attribute, Aws.REGION) is not judged, and left to the function, as CDK's
// own checks skip Token.isUnresolved values (aws-cdk issue #11633,
// "[@aws-cdk/aws-ec2] VpnConnection does not support unresolved tokens",
// fixed by skipping the check for a token,
// https://github.com/aws/aws-cdk/issues/11633); but its presence is: a
// stand-in the function accepts is judged in its place (standIns), so that a
// required property given as a token is there (a data-source role's
// ApplicationId from awsqbusiness.CfnApplication's AttrApplicationId()) and
// one the RoleType does not take is refused by name.
func validate(c constructs.Construct, props map[string]any) {
	resolved, tokens := resolvedProperties(props)
	stack := synthStack(c, resolved)
	substitutes := standIns(stack)
	for _, name := range tokens {
		if v, ok := substitutes[name]; ok {
			resolved[name] = v
		}
	}
	if _, err := roles.ParseSpec(resolved, stack, *c.Node().Id()); err != nil {
		panic(fmt.Sprintf("qbrole: %s: %v", *c.Node().Path(), err))
	}
}

// standIns are the values judged in place of a token, one per property that
// takes a string or a number, each one the function accepts in stack (the
// SecretArn is a secret of stack's partition, region and account). A token
// in a property without one (RoleType, OnDelete, SubscriptionPermissions,
// whose Go types hold the values the library names) is left out, and its
// default judged.
func standIns(stack roles.Stack) map[string]any {
	const id = "00000000-0000-0000-0000-000000000000" // 36 characters, as Q Business and Kendra ids
	return map[string]any{
		schema.PropRoleName:            "QBusinessSynthStandIn",
		schema.PropPath:                "/",
		schema.PropDescription:         "stand-in",
		schema.PropPolicyName:          "QBusinessSynthStandIn",
		schema.PropPermissionsBoundary: "arn:" + stack.Partition + ":iam::aws:policy/SynthStandIn",
		schema.PropMaxSessionDuration:  float64(roles.DefaultMaxSessionDuration),
		schema.PropApplicationID:       id,
		schema.PropSubscriptionID:      id,
		schema.PropRegion:              stack.Region,
		schema.PropSourceAccount:       stack.AccountID,
		schema.PropIndexID:             id,
		schema.PropBucketName:          "qbrole-synth-stand-in",
		schema.PropSecretArn: fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:qbrole-synth-stand-in-AbCdEf",
			stack.Partition, stack.Region, stack.AccountID),
		schema.PropKendraIndexID: id,
	}
}

// synthStack is the stack the properties are judged in. The function judges
// a SecretArn against the stack it runs for (the secret must be of its
// partition, region and account), which synth knows only when the stack has
// an environment: there each of the three is the stack's own; where CDK has
// not resolved it (an environment-agnostic stack), a literal SecretArn's
// stands in for it, so that only the ARN's form is judged; else
// placeholderStack's, used by ParseSpec as defaults only.
func synthStack(c constructs.Construct, resolved map[string]any) roles.Stack {
	s := placeholderStack
	if arn, ok := resolved[schema.PropSecretArn].(string); ok {
		if f := strings.SplitN(arn, ":", 6); len(f) == 6 {
			s = within(s, f[1], f[3], f[4])
		}
	}
	st := awscdk.Stack_Of(c)
	known := func(v *string, otherwise string) string {
		if v == nil || *awscdk.Token_IsUnresolved(v) {
			return otherwise
		}
		return *v
	}
	return within(s, known(st.Partition(), s.Partition), known(st.Region(), s.Region), known(st.Account(), s.AccountID))
}

// within is s moved to partition, region and account, when they are those of
// a stack (as ParseStackID reads a stack's ARN); else s.
func within(s roles.Stack, partition, region, account string) roles.Stack {
	moved, err := roles.ParseStackID(fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/synth/0", partition, region, account))
	if err != nil {
		return s
	}
	return roles.Stack{Partition: moved.Partition, Region: moved.Region, AccountID: moved.AccountID}
}

// resolvedProperties is props as JSON would carry them (strings, numbers,
// lists, objects), without the values CDK has not resolved: a list entry (a
// tag) with a token in it is left out, and a property whose value is a token
// is left out and named in tokens.
func resolvedProperties(props map[string]any) (resolved map[string]any, tokens []string) {
	raw, err := json.Marshal(props)
	if err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		panic(fmt.Sprintf("qbrole: rendering the properties: %v", err))
	}
	resolved = make(map[string]any, len(generic))
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
			resolved[k] = kept
		case holdsToken(v):
			tokens = append(tokens, k)
		default:
			resolved[k] = v
		}
	}
	return resolved, tokens
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
