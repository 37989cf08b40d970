package execrole

// StackARNsInRegion is every CloudFormation stack of the function's own account and
// Region: the stacks whose requests the function may receive.
const StackARNsInRegion = "arn:" + Partition + ":cloudformation:" + Region + ":" + AccountID + ":stack/*"

// VerifyRequests is the statement that lets the function check each request
// against CloudFormation before any IAM write (internal/cfnverify): it reads
// the stack the request names, with the function's own credentials.
//
// Only reads, and only on the stacks of the function's own account and
// Region: a request names its stack by StackId, and a custom resource's stack
// is always in the function's Region (CloudFormation Template Reference,
// "AWS::CloudFormation::CustomResource": the ServiceToken "must be from the
// same Region in which you are creating the stack",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html).
// A request naming a stack elsewhere is refused by the check itself; the
// policy makes sure the function could not read one anyway.
//
// Both actions are authorized on the stack (Service Authorization Reference,
// "Actions, resources, and condition keys for AWS CloudFormation",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html:
// DescribeStackResource requires the resource type stack, DescribeStacks
// takes it optionally), whose ARN is
// arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}.
// The check calls DescribeStackResource on every request and DescribeStacks
// only for a Delete of a replaced resource, each with the request's StackId
// as StackName.
//
// Not in Statements: those are the IAM calls of the code's IAM interface
// (Actions is compared with it). The origin guard denies iam:* only; with it
// on, GuardStackReads denies these reads from outside the function.
func VerifyRequests() Statement {
	return Statement{
		Sid:       "VerifyRequestsWithCloudFormation",
		Actions:   []string{"cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"},
		Resources: []string{StackARNsInRegion},
	}
}

// GuardStackReads is the statement that denies the reads of VerifyRequests
// when they are not made from inside the provider function, under the same
// condition as OriginGuard. Without it, credentials copied out of the
// function could read every stack of the account and Region, and
// DescribeStacks shows a stack's parameters and outputs.
//
// Lambda injects lambda:SourceFunctionArn into the credentials context of an
// AWS API request that comes from within the function's execution
// environment, so that an identity policy can control the API actions the
// function's code makes to other AWS services, not IAM only (Lambda Developer
// Guide, "Using source function ARN to control function access behavior",
// https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
//
// All adds it only with both switches on: where the origin guard is off, it
// is off for the reads too (the partition may not supply the key); where the
// reads are off, there is nothing to guard. Not part of OriginGuard, so that
// the policy without the reads stays what it was before them.
func GuardStackReads() Statement {
	return Statement{
		Sid:        "DenyStackReadsOutsideTheFunction",
		Effect:     Deny,
		Actions:    VerifyRequests().Actions,
		Resources:  []string{"*"},
		Conditions: outsideTheFunction(),
	}
}
