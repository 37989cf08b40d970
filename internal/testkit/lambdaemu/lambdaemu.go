// Package lambdaemu runs a Lambda bootstrap binary under the AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie, pinned as a Go tool in tools/go.mod)
// on loopback ports, for tests and benchmarks.
package lambdaemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/qbrole/qbrole/internal/testkit/motoserver"

	"github.com/qbrole/qbrole/internal/lambdabuild"
)

// The emulator names the function it runs
// arn:aws:lambda:us-east-1:012345678912:function:NAME, NAME from
// AWS_LAMBDA_FUNCTION_NAME ("test_function" by default): the ARN the function
// sees as the one Lambda invoked (aws-lambda-runtime-interface-emulator,
// internal/lambda/rie/handlers.go,
// https://github.com/aws/aws-lambda-runtime-interface-emulator). Tests that
// check requests against CloudFormation run in that account and Region.
const (
	AccountID = "012345678912"
	Region    = "us-east-1"
)

// FunctionARN is the ARN the emulator gives a function named name.
func FunctionARN(name string) string {
	return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + name
}

// BuildBootstrap compiles the module's ./lambda package into dir/bootstrap for
// this machine, the way the Lambda is built (lambda.norpc, no cgo), and
// returns its path. moduleRoot is the repository root.
func BuildBootstrap(moduleRoot, dir string) (string, error) {
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", lambdabuild.Args(out)...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), lambdabuild.HostEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bootstrap: %v\n%s", err, b)
	}
	return out, nil
}

// EmulatorPath returns the path of the aws-lambda-rie binary that `go tool`
// builds from the version tools/go.mod pins.
func EmulatorPath(moduleRoot string) (string, error) {
	cmd := exec.Command("go", "tool", "-modfile=tools/go.mod", "-n", "aws-lambda-rie")
	cmd.Dir = moduleRoot
	b, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go tool -modfile=tools/go.mod -n aws-lambda-rie: %v\n%s", err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Emulator is a running aws-lambda-rie with one function.
type Emulator struct {
	// URL invokes the function: POST the event to it.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
}

// Output is what the emulator and the function printed so far.
func (e *Emulator) Output() string { return e.out.String() }

// Start runs rie with bootstrap as the function, with env added to the
// environment (the function sees it), and waits until it listens.
func Start(rie, bootstrap string, env ...string) (*Emulator, error) {
	apiPort, err := motoserver.FreePort()
	if err != nil {
		return nil, err
	}
	port, err := motoserver.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	function, err := launcher(bootstrap)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		function)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	motoserver.AsTestServer(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting aws-lambda-rie: %w", err)
	}
	e := &Emulator{URL: "http://" + addr + "/2015-03-31/functions/function/invocations", cmd: cmd,
		done: make(chan struct{}), out: out}
	go func() { _ = cmd.Wait(); close(e.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-e.done:
			return nil, fmt.Errorf("aws-lambda-rie exited at start:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return e, nil
		}
	}
	e.Close()
	return nil, errors.New("aws-lambda-rie did not listen within 30 s")
}

// Invoke sends one event and returns what the function returned.
func (e *Emulator) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// Pid is the emulator's process id (the function runs as its child).
func (e *Emulator) Pid() int { return e.cmd.Process.Pid }

// Close stops the emulator, and so the function (see launcher).
func (e *Emulator) Close() {
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
}
