package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/roles"
)

// handler is m as the Runner calls it: the domain's Result becomes the
// answer's.
func handler(m *roles.Manager) cfnresource.Handler {
	return cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		res, err := m.Handle(ctx, ev)
		return answer(res), err
	})
}

// answer is the Runner's Result for res: its id (the Runner fills in one when
// res names none), the role's attributes as Data, its Outcome and Changes.
// On failure the Runner drops Data and writes its own Outcome.
func answer(res roles.Result) cfnresource.Result {
	return cfnresource.Result{PhysicalResourceID: res.PhysicalResourceID, Data: res.Attributes(),
		Outcome: cfnresource.Outcome(res.Outcome), Changes: res.Changes}
}

// newRunner is the Runner that answers CloudFormation for h; roles names the
// PhysicalResourceId of a Create that failed before anything existed.
func newRunner(h cfnresource.Handler, s cfnresource.Sender, logger *slog.Logger) *cfnresource.Runner {
	return &cfnresource.Runner{Handler: h, Sender: s, FailedCreateID: roles.FailedCreateID, Logger: logger}
}
