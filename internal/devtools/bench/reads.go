package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
)

// readBudget is the CloudFormation reads a budgeted request may make: the
// check of the request against CloudFormation reads DescribeStackResource
// once (a Delete of a replaced resource also DescribeStacks; none is
// budgeted here).
const readBudget = 1

// checked is h behind the check of each request against CloudFormation, as
// the function runs it (internal/cfnverify), reading the CloudFormation
// double cf for the function functionARN.
func checked(cf *cfnapi.Server, functionARN string, h cfnresource.Handler) cfnresource.Handler {
	return resource.Checked(&cfnverify.Verifier{
		Stacks: &cfnverify.Client{Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
			Region: "us-east-1", Endpoint: cf.URL},
		FunctionARN: functionARN,
	}, h)
}

// handleShown handles ev with h while cf shows it in progress, as
// CloudFormation does around a request it sends, and returns the reads the
// check made.
func handleShown(ctx context.Context, cf *cfnapi.Server, h cfnresource.Handler, ev cfn.Event) (int, error) {
	stacks, reads := cf.Stacks(), cf.Reads()
	stacks.Sent(ev.StackID, ev.LogicalResourceID, ev.ResourceType, ev.RequestType, ev.PhysicalResourceID)
	res, err := h.Handle(ctx, ev)
	stacks.Answered(ev.StackID, ev.LogicalResourceID, ev.RequestType, ev.PhysicalResourceID, err == nil, res.PhysicalResourceID)
	stacks.Rest(ev.StackID)
	return cf.Reads() - reads, err
}

// callsRow is the figure of a budgeted step's IAM calls (maxCalls >= 0) or
// writes, and of its reads.
func callsRow(c counted, maxCalls, maxWrites int) (value, budget string, ok bool) {
	reads := fmt.Sprintf(" + %d CloudFormation read", c.reads)
	if maxCalls >= 0 {
		return fmt.Sprintf("%d (%s)", len(c.all), strings.Join(c.all, ", ")) + reads,
			fmt.Sprintf("≤ %d calls + %d read", maxCalls, readBudget), len(c.all) <= maxCalls && c.reads <= readBudget
	}
	return fmt.Sprintf("%d %v (of %d calls)", len(c.writes), c.writes, len(c.all)) + reads,
		fmt.Sprintf("≤ %d writes + %d read", maxWrites, readBudget), len(c.writes) <= maxWrites && c.reads <= readBudget
}
