package cfnverify

import (
	"errors"
	"fmt"
	"testing"
)

// FuzzAnswer: any answer CloudFormation (or something in its place) sends is
// read without a panic: a 2xx one as a described resource or an error saying
// it could not be read; any other as an *APIError with a code, so that no
// answer can pass for a resource in progress by accident.
func FuzzAnswer(f *testing.F) {
	f.Add(200, []byte(fmt.Sprintf(resourceAnswer, stackID)))
	f.Add(200, []byte(fmt.Sprintf(stacksAnswer, stackID)))
	f.Add(400, []byte(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id x does not exist</Message></Error></ErrorResponse>`))
	f.Add(403, []byte(`{"message":"denied"}`))
	f.Add(200, []byte(`<DescribeStackResourceResponse><DescribeStackResourceResult><StackResourceDetail><ResourceStatus>`))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		var out struct {
			Status string `xml:"DescribeStackResourceResult>StackResourceDetail>ResourceStatus"`
		}
		err := decode(status, raw, &out)
		if status/100 == 2 {
			return // decoded, or an error: either way no panic
		}
		var api *APIError
		if !errors.As(err, &api) || api.StatusCode != status || api.Code == "" {
			t.Fatalf("status %d: error %v", status, err)
		}
		if out.Status != "" {
			t.Fatalf("status %d filled the answer: %+v", status, out)
		}
	})
}
