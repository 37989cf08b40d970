package cfnresource

import (
	"context"

	"github.com/aws/aws-lambda-go/cfn"
)

// Result is what a Handler did: the PhysicalResourceId to answer with (on
// failure too; "" when it named none, and the Runner fills one in), the Data
// attributes (dropped on failure), and for the log the outcome, the changes
// and a note.
type Result struct {
	PhysicalResourceID string
	Data               map[string]any
	Outcome            Outcome
	Changes            []string
	// Note tells what the request left undone on purpose, and why ("" for
	// nothing): it goes to the log line, never to the answer.
	Note string
}

// Outcome names what a request did, for the log line. Handlers define their
// own; the runner writes only Failed.
type Outcome string

// Failed is the Outcome of every request that is answered FAILED.
const Failed Outcome = "failed"

// Handler carries out one request. Its context ends a margin before the
// function's deadline; a Handler that honours it returns in time to be answered
// with its own Result.
type Handler interface {
	Handle(ctx context.Context, ev cfn.Event) (Result, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev cfn.Event) (Result, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev cfn.Event) (Result, error) { return f(ctx, ev) }
