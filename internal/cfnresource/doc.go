// Package cfnresource answers CloudFormation custom resource requests: exactly
// one response per event on every path (handler error, panic, unknown
// request, malformed event, approaching deadline), bounded in size, PUT to the
// pre-signed ResponseURL with retries, and one structured log line per event.
//
// Like aws-lambda-go/cfn it has a small public API over seams tests can
// replace: a Handler that does the work and a Sender that delivers responses.
// The Runner alone finishes the answer: when the Handler named no
// PhysicalResourceId it answers with the resource's current one or, for a
// Create, the marker its FailedCreateID makes; on failure it answers FAILED
// with the Reason, without Data, and logs the Outcome Failed.
package cfnresource
