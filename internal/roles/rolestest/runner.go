package rolestest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/roles"
)

// Result is res as the function answers it (lambda/handler.go's answer): its
// id, the role's attributes as Data, its Outcome and Changes.
func Result(res roles.Result) cfnresource.Result {
	return cfnresource.Result{PhysicalResourceID: res.PhysicalResourceID, Data: res.Attributes(),
		Outcome: cfnresource.Outcome(res.Outcome), Changes: res.Changes}
}

// Handler is m as the function's Runner calls it.
func Handler(m *roles.Manager) cfnresource.Handler {
	return cfnresource.HandlerFunc(func(ctx context.Context, ev cfn.Event) (cfnresource.Result, error) {
		res, err := m.Handle(ctx, ev)
		return Result(res), err
	})
}

// Runner is a Runner for h wired as the function wires its own
// (lambda/handler.go's newRunner): roles.FailedCreateID names a failed Create.
func Runner(h cfnresource.Handler, s cfnresource.Sender, logger *slog.Logger) *cfnresource.Runner {
	return &cfnresource.Runner{Handler: h, Sender: s, FailedCreateID: roles.FailedCreateID, Logger: logger}
}

// Answer is the response the function would send for ev, carried out by h
// (Handler, or a Handler around it): ev goes through a Runner whose Sender
// keeps the response.
func Answer(ctx context.Context, h cfnresource.Handler, ev cfn.Event) (cfn.Response, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return cfn.Response{}, err
	}
	resp, err := Runner(h, keep{}, slog.New(slog.NewJSONHandler(io.Discard, nil))).Run(ctx, raw)
	if resp == nil {
		return cfn.Response{}, err
	}
	return *resp, err
}

// keep sends nothing: Run returns the response.
type keep struct{}

func (keep) Send(context.Context, string, *cfn.Response) error { return nil }
