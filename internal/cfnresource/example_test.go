package cfnresource_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource"
)

// printSender prints a response instead of PUTting it to the ResponseURL.
type printSender struct{}

func (printSender) Send(_ context.Context, _ string, r *cfn.Response) error {
	fmt.Println(r.Status, r.PhysicalResourceID, r.Data, r.Reason)
	return nil
}

// createEvent is a Create as CloudFormation sends it.
const createEvent = `{"RequestType": "Create", "RequestId": "req-1", "ResponseURL": "https://example.s3.amazonaws.com/r",
	"StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/guid", "LogicalResourceId": "Role",
	"ResourceType": "Custom::Example", "ResourceProperties": {"Name": "app-role"}}`

// A Handler names what it made; the Runner answers SUCCESS with it.
func ExampleRunner() {
	r := &cfnresource.Runner{
		Handler: cfnresource.HandlerFunc(func(_ context.Context, ev cfn.Event) (cfnresource.Result, error) {
			name := ev.ResourceProperties["Name"].(string)
			return cfnresource.Result{PhysicalResourceID: name, Data: map[string]any{"Name": name}, Outcome: "created"}, nil
		}),
		Sender:         printSender{},
		FailedCreateID: func(requestID string) string { return "failed-create:" + requestID },
		Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	if _, err := r.Run(context.Background(), []byte(createEvent)); err != nil {
		fmt.Println(err)
	}
	// Output: SUCCESS app-role map[Name:app-role]
}

// A Create that fails before it names anything is answered FAILED with the
// marker FailedCreateID makes, so that the rollback's Delete knows there is
// nothing to remove.
func ExampleRunner_failedCreate() {
	r := &cfnresource.Runner{
		Handler: cfnresource.HandlerFunc(func(context.Context, cfn.Event) (cfnresource.Result, error) {
			return cfnresource.Result{}, errors.New("creating IAM role (app-role): access denied")
		}),
		Sender:         printSender{},
		FailedCreateID: func(requestID string) string { return "failed-create:" + requestID },
		Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	if _, err := r.Run(context.Background(), []byte(createEvent)); err != nil {
		fmt.Println(err)
	}
	// Output: FAILED failed-create:req-1 map[] creating IAM role (app-role): access denied
}

// Decode says what makes an event malformed; when it can still read the
// ResponseURL, the Runner answers the event FAILED with that reason.
func ExampleDecode() {
	_, err := cfnresource.Decode([]byte(`{"RequestType": "Delete", "RequestId": "req-1",
		"ResponseURL": "https://example.s3.amazonaws.com/r"}`))
	fmt.Println(err)
	ev, err := cfnresource.Decode([]byte(`{"RequestType": "Create", "RequestId": "req-1",
		"ResponseURL": "https://example.s3.amazonaws.com/r", "ResourceProperties": "not an object"}`))
	if err != nil {
		fmt.Println("not JSON of an event; answerable at", ev.ResponseURL, "for", ev.RequestID)
	}
	// Output:
	// malformed event: missing LogicalResourceId, PhysicalResourceId, StackId
	// not JSON of an event; answerable at https://example.s3.amazonaws.com/r for req-1
}
