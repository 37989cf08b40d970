// Package cfnverify checks a custom resource request against CloudFormation
// before anything acts on it: the request must name a stack of this
// function's account and region, a custom resource of that stack, and a
// stack operation that is in progress — what CloudFormation itself shows
// while it waits for a custom resource's answer — and its ServiceToken must
// be this function's ARN.
//
// Anyone allowed to invoke the function (lambda:InvokeFunction) can hand it
// an event; CloudFormation only ever sends a stack's requests with that
// stack's own StackId, while the stack is being deployed. The check makes the
// function refuse what CloudFormation would not send: a request naming a stack
// at rest, a deleted stack, a logical id that is not a custom resource of the
// stack, a stack of another account or Region, or another function's
// ServiceToken.
//
// It knows the protocol, not the resource: nothing here knows IAM roles.
// Verifier decides; Client is the CloudFormation API's two reads it needs
// (DescribeStackResource, and DescribeStacks for a Delete of a replaced
// resource), signed with the function's credentials.
package cfnverify

// SwitchEnv names the function's environment variable that turns the check
// off: "false" (the templates set it from the SAM parameter
// VerifyRequestsWithCloudFormation and the CDK context
// qbrole:verifyRequestsWithCloudFormation). Any other value, or none, leaves
// it on.
const SwitchEnv = "QBROLE_VERIFY_REQUESTS"

// On reads SwitchEnv's value: only "false" turns the check off.
func On(value string) bool { return value != "false" }
