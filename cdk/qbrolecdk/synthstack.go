package qbrolecdk

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

// placeholderStack stands in for what only CloudFormation knows at deploy
// time (the stack's partition, region and account) where neither the stack's
// environment nor a SecretArn tells it (see synthStack).
var placeholderStack = roles.Stack{Partition: "aws", Region: "us-east-1", AccountID: "123456789012"}

// knownEnv is what synth knows of the stack's partition, region and account
// ("" where it does not: an environment-agnostic stack).
type knownEnv struct {
	partition, region, account string
}

// stackEnv is what c's stack knows of its environment. CDK leaves the
// stack's partition a token even when its region is known; the region
// determines it, as CDK's region-info tells for the regions it knows
// (regioninfo.RegionInfo_Get(region).Partition(), "The name of the ARN
// partition for this region (e.g: aws)": aws-cdk-go awscdk/v2 regioninfo;
// class RegionInfo, https://docs.amazonaws.cn/cdk/api/v2/docs/@aws-cdk_region-info.RegionInfo.html).
func stackEnv(c constructs.Construct) knownEnv {
	st := awscdk.Stack_Of(c)
	known := func(v *string) string {
		if v == nil || *awscdk.Token_IsUnresolved(v) {
			return ""
		}
		return *v
	}
	e := knownEnv{partition: known(st.Partition()), region: known(st.Region()), account: known(st.Account())}
	if e.partition == "" && e.region != "" {
		if p := regioninfo.RegionInfo_Get(&e.region).Partition(); p != nil {
			e.partition = *p
		}
	}
	return e
}

// evaluate is the string a Fn::Join of strings and pseudo parameters e
// knows (AWS::Partition, AWS::Region, AWS::AccountId) comes to, as
// CloudFormation joins them (AWS CloudFormation Template Reference,
// "Fn::Join": "appends a set of values into a single value, separated by the
// specified delimiter",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-join.html):
// the form CDK gives an ARN built from the stack's own (awssecretsmanager's
// Secret.fromSecretNameV2). ok is false for any other form.
func (e knownEnv) evaluate(form any) (joined string, ok bool) {
	m, _ := form.(map[string]any)
	args, _ := m["Fn::Join"].([]any)
	if len(m) != 1 || len(args) != 2 {
		return "", false
	}
	separator, isString := args[0].(string)
	parts, isList := args[1].([]any)
	if !isString || !isList {
		return "", false
	}
	pseudo := map[string]string{"AWS::Partition": e.partition, "AWS::Region": e.region, "AWS::AccountId": e.account}
	values := make([]string, 0, len(parts))
	for _, p := range parts {
		ref, _ := p.(map[string]any)
		s, isString := p.(string)
		if name, _ := ref["Ref"].(string); len(ref) == 1 && pseudo[name] != "" {
			s, isString = pseudo[name], true
		}
		if !isString {
			return "", false
		}
		values = append(values, s)
	}
	return strings.Join(values, separator), true
}

// synthStack is the stack the properties are judged in. The function judges
// a SecretArn against the stack it runs for (the secret must be of its
// partition, region and account), which synth knows where env does: there
// each of the three is the stack's own; where it does not (an
// environment-agnostic stack), a known SecretArn's stands in for it, so
// that only the ARN's form is judged; else placeholderStack's, used by
// ParseSpec as defaults only.
func synthStack(env knownEnv, known map[string]any) roles.Stack {
	s := placeholderStack
	if arn, ok := known[schema.PropSecretArn].(string); ok {
		if f := strings.SplitN(arn, ":", 6); len(f) == 6 {
			s = within(s, f[1], f[3], f[4])
		}
	}
	or := func(v, otherwise string) string {
		if v == "" {
			return otherwise
		}
		return v
	}
	return within(s, or(env.partition, s.Partition), or(env.region, s.Region), or(env.account, s.AccountID))
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
