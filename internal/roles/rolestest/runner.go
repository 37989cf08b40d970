package rolestest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/resource"
)

// Answer is the response the function would send for ev, carried out by h
// (resource.Handler, or a Handler around it): ev goes through a Runner whose Sender
// keeps the response.
func Answer(ctx context.Context, h cfnresource.Handler, ev cfn.Event) (cfn.Response, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return cfn.Response{}, err
	}
	resp, err := resource.NewRunner(h, keep{}, slog.New(slog.NewJSONHandler(io.Discard, nil))).Run(ctx, raw)
	if resp == nil {
		return cfn.Response{}, err
	}
	return *resp, err
}

// keep sends nothing: Run returns the response.
type keep struct{}

func (keep) Send(context.Context, string, *cfn.Response) error { return nil }
