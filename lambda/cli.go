package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/cfnverify"
	"github.com/qbrole/qbrole/internal/resource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/schema"
)

const usage = `bootstrap: the ` + schema.ResourceType + ` CloudFormation custom resource.

In AWS Lambda it answers CloudFormation. Elsewhere:

  bootstrap render EVENT_FILE   print the role the event describes (no AWS needed)
  bootstrap invoke EVENT_FILE   run the event against the IAM endpoint the standard
                                SDK settings name (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL,
                                the credential chain) and print the response that
                                would be sent to CloudFormation, instead of sending it;
                                the event is not checked against CloudFormation
  bootstrap help                this text

Exit status: 0 on success, 1 when the request fails (FAILED response, bad input),
2 on wrong usage.
`

// runCLI runs the command line and returns the exit status.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "render", "invoke":
		if len(args) != 2 {
			fmt.Fprintf(stderr, "usage: bootstrap %s EVENT_FILE\n", args[0])
			return 2
		}
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	raw, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if args[0] == "render" {
		return render(raw, stdout, stderr)
	}
	return invoke(ctx, raw, stdout, stderr)
}

func render(raw []byte, stdout, stderr io.Writer) int {
	ev, err := cfnresource.Decode(raw)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	r, err := roles.Render(ev)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return printJSON(stdout, stderr, r)
}

func invoke(ctx context.Context, raw []byte, stdout, stderr io.Writer) int {
	cfg, err := newConfig(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stderr, uncheckedNotice)
	m := &roles.Manager{IAM: iam.NewFromConfig(cfg)}
	runner := resource.NewRunner(resource.Handler(m), printSender{}, slog.New(slog.NewJSONHandler(stderr, nil)))
	resp, err := runner.Run(ctx, raw)
	if resp == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if code := printJSON(stdout, stderr, resp); code != 0 {
		return code
	}
	if resp.Status != cfn.StatusSuccess {
		return 1
	}
	return 0
}

// uncheckedNotice is what invoke says on stderr: it runs an event from a file,
// which no stack in CloudFormation sent, so it cannot check it there.
const uncheckedNotice = "bootstrap invoke: the request is not checked against CloudFormation " +
	"(an event from a file has no stack in progress behind it); in AWS Lambda every request is, unless " +
	cfnverify.SwitchEnv + "=false"

// printSender keeps the response for printing instead of sending it.
type printSender struct{}

func (printSender) Send(context.Context, string, *cfn.Response) error { return nil }

func printJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
