package qbrolecdk

import (
	"errors"
	"fmt"
	"maps"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

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
// one the RoleType does not take is refused by name. What the token's own
// form tells is used too (readProperties): a token that may be absent at
// deploy, one that reads an ARN attribute where an id is wanted, one CDK
// built from what the stack's environment knows.
func validate(c constructs.Construct, props map[string]any) {
	env := stackEnv(c)
	sp := readProperties(c, props, env)
	err := judge(sp, synthStack(env, sp.known), *c.Node().Id())
	if len(sp.refused) > 0 {
		err = &roles.InvalidPropertiesError{Errors: append(sp.refused, propertyErrors(err)...)}
	}
	if err != nil {
		panic(fmt.Sprintf("qbrole: %s: %v", *c.Node().Path(), err))
	}
}

// maxCandidates bounds the property sets judged for one resource (each
// token's choices multiplied: its stand-ins, and absent when it may be). Past
// it, the properties are left to the function: a template with that many
// conditional properties is not refused on a guess.
const maxCandidates = 1024

// absent is the choice of leaving out a property whose token may resolve to
// AWS::NoValue.
type absentChoice struct{}

var absent = absentChoice{}

// judge runs the function's validation on every property set the tokens in
// sp may come to (see choices), and refuses only when it refuses every one:
// a value the function accepts in some deployment is not refused at synth.
// The refusal reported is that of a set with every property present (a
// conditional property judged as given), the one with the fewest property
// errors when the choice of a RoleType (or another enumerated property) given
// as a token leaves several: with a RoleType literal and no such token it is
// the one set with all present, so the message is the function's own.
func judge(sp synthProps, stack roles.Stack, logicalID string) error {
	names, options := choices(sp, standIns(stack))
	total := 1
	for _, o := range options {
		if total *= len(o); total > maxCandidates {
			return nil
		}
	}
	var reported error
	fewest := 0
	for i := range total {
		props, allPresent := maps.Clone(sp.known), true
		digits := i // i in the mixed radix of the options' counts
		for j, name := range names {
			pick := options[j][digits%len(options[j])]
			digits /= len(options[j])
			if pick == absent {
				allPresent = false
				continue
			}
			props[name] = pick
		}
		_, err := roles.ParseSpec(props, stack, logicalID)
		if err == nil {
			return nil
		}
		if n := len(propertyErrors(err)); allPresent && (reported == nil || n < fewest) {
			reported, fewest = err, n
		}
	}
	return reported
}

// choices are, for each token in sp (names, in order), the values it is
// judged as: a property whose values the library names (RoleType, OnDelete,
// SubscriptionPermissions) with each of them; any other with its stand-in;
// and, when the token may be absent, without it. A RoleType chosen at deploy
// (a parameter) is so judged with every RoleType, and the props refused only
// when no RoleType takes them, rather than left unjudged: what no RoleType
// takes (a malformed RoleName, a tag too many) is still refused at synth. A
// token in a property without a stand-in is left out, its default judged.
func choices(sp synthProps, substitutes map[string]any) (names []string, options [][]any) {
	enumerated := map[string][]any{
		schema.PropOnDelete:                {string(schema.DeleteRole), string(schema.RetainRole)},
		schema.PropSubscriptionPermissions: {string(schema.IncludeSubscriptionPermissions), string(schema.ExcludeSubscriptionPermissions)},
	}
	for _, t := range schema.RoleTypes() {
		enumerated[schema.PropRoleType] = append(enumerated[schema.PropRoleType], string(t))
	}
	for _, name := range sp.tokens {
		values, ok := enumerated[name]
		if v, has := substitutes[name]; has && !ok {
			values, ok = []any{v}, true
		}
		if !ok {
			continue
		}
		if sp.optional[name] {
			values = append(values[:len(values):len(values)], absent)
		}
		names, options = append(names, name), append(options, values)
	}
	return names, options
}

// propertyErrors are the property errors err lists (err itself when it
// lists none; none when nil).
func propertyErrors(err error) []error {
	var invalid *roles.InvalidPropertiesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &invalid):
		return invalid.Errors
	default:
		return []error{err}
	}
}

// standIns are the values judged in place of a token, one per property that
// takes a string or a number, each one the function accepts in stack (the
// SecretArn is a secret of stack's partition, region and account).
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
