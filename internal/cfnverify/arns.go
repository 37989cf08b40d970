package cfnverify

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// function is the function's own ARN, without a qualifier.
type function struct {
	arn.ARN
	unqualified string
}

// parseFunctionARN reads arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME,
// with or without a version or alias after it (AWS Lambda Developer Guide,
// "Understanding Lambda function ARNs": qualified and unqualified,
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
func parseFunctionARN(s string) (function, error) {
	a, err := arn.Parse(s)
	parts := strings.Split(a.Resource, ":")
	if err != nil || a.Service != "lambda" || a.Region == "" || a.AccountID == "" || parts[0] != "function" ||
		len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
		return function{}, fmt.Errorf("the function's own ARN %q is not a Lambda function ARN", s)
	}
	a.Resource = parts[0] + ":" + parts[1]
	return function{ARN: a, unqualified: a.String()}, nil
}

// checkServiceToken refuses a request whose ServiceToken is not this
// function's ARN, unqualified or with a version or alias: CloudFormation sends
// the ServiceToken it invoked in ResourceProperties ("CloudFormation custom
// resource request and response reference",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html).
func (f function) checkServiceToken(props map[string]any) error {
	token, _ := props["ServiceToken"].(string)
	qualifier, qualified := strings.CutPrefix(token, f.unqualified+":")
	if token == f.unqualified || qualified && qualifier != "" && !strings.Contains(qualifier, ":") {
		return nil
	}
	return refuse(true, "the request's ServiceToken %q is not this function (%s)", token, f.unqualified)
}

// checkStackID refuses a StackId that is not a stack ARN of this function's
// partition, account and Region: a Lambda-backed custom resource's
// ServiceToken "must be from the same Region in which you are creating the
// stack" (CloudFormation Template Reference,
// "AWS::CloudFormation::CustomResource",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html),
// and the function manages roles of its own account only.
func (f function) checkStackID(stackID string) error {
	s, err := arn.Parse(stackID)
	if err != nil || s.Service != "cloudformation" || !strings.HasPrefix(s.Resource, "stack/") {
		return refuse(true, "StackId %q is not a CloudFormation stack ARN", stackID)
	}
	if s.Partition != f.Partition || s.AccountID != f.AccountID || s.Region != f.Region {
		return refuse(true, "stack %s is in account %s, Region %s (%s); this function serves account %s, Region %s (%s) only",
			stackID, s.AccountID, s.Region, s.Partition, f.AccountID, f.Region, f.Partition)
	}
	return nil
}
