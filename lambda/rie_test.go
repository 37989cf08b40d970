//go:build integration

package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
)

// emulated builds the real bootstrap and runs it under aws-lambda-rie.
func emulated(t *testing.T, env ...string) *lambdaemu.Emulator {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bootstrap, err := lambdaemu.BuildBootstrap(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rie, err := lambdaemu.EmulatorPath(root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := lambdaemu.Start(rie, bootstrap, append([]string{allowLoopbackEnv + "=true"}, env...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.Output())
		}
	})
	return e
}

// send invokes the function with an events/ file whose ResponseURL and
// PhysicalResourceId point where the test says.
func send(t *testing.T, e *lambdaemu.Emulator, srv *cfntest.ResponseServer, file, physical string) cfn.Response {
	t.Helper()
	raw, err := os.ReadFile(eventFile(file))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	id := ev["RequestId"].(string)
	ev["ResponseURL"] = srv.ResponseURL(id)
	if physical != "" {
		ev["PhysicalResourceId"] = physical
	}
	body, _ := json.Marshal(ev)
	if _, err := e.Invoke(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	got := srv.ForRequest(id)
	if len(got) != 1 {
		t.Fatalf("%s: %d responses, want exactly 1", file, len(got))
	}
	return got[0]
}

func TestLifecycleUnderRuntimeInterfaceEmulator(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	srv := cfntest.NewResponseServer()
	defer srv.Close()
	e := emulated(t, chainEnv()...)

	steps := []struct {
		file   string
		status cfn.StatusType
	}{
		{"create-application-role.json", cfn.StatusSuccess},
		{"update-application-role.json", cfn.StatusSuccess},
		{"update-replace-application-role.json", cfn.StatusSuccess},
		{"delete-replaced-application-role.json", cfn.StatusSuccess},
		{"delete-application-role.json", cfn.StatusSuccess},
		{"invalid-application-role.json", cfn.StatusFailed},
	}
	for _, s := range steps {
		got := send(t, e, srv, s.file, "")
		if got.Status != s.status {
			t.Errorf("%s: %s %s", s.file, got.Status, got.Reason)
		}
	}
	slr := send(t, e, srv, "create-service-linked-role.json", "")
	if slr.Status != cfn.StatusSuccess || !strings.HasPrefix(slr.PhysicalResourceID, "AWSServiceRoleFor") {
		t.Fatalf("SLR create: %+v", slr)
	}
	for _, f := range []string{"update-service-linked-role.json", "delete-service-linked-role.json"} {
		if got := send(t, e, srv, f, slr.PhysicalResourceID); got.Status != cfn.StatusSuccess {
			t.Errorf("%s: %s %s", f, got.Status, got.Reason)
		}
	}
	for _, p := range srv.Puts() {
		if p.Header.Get("Content-Type") != "" {
			t.Errorf("response PUT with Content-Type %q", p.Header.Get("Content-Type"))
		}
	}
	if out := e.Output(); strings.Contains(out, "SECRET-SIGNATURE") || !strings.Contains(out, `"msg":"request answered"`) {
		t.Errorf("function log leaks the signature or lacks the request lines:\n%s", out)
	}
}

// An IAM endpoint that accepts connections and never answers: the function
// must still answer FAILED before Lambda's timeout kills it.
func TestDeadlineUnderRuntimeInterfaceEmulator(t *testing.T) {
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	env := append(chainEnv(), "AWS_ENDPOINT_URL_IAM=http://"+hang.Addr().String(), "AWS_LAMBDA_FUNCTION_TIMEOUT=4")
	srv := cfntest.NewResponseServer()
	defer srv.Close()
	e := emulated(t, env...)
	start := time.Now()
	got := send(t, e, srv, "create-application-role.json", "")
	if got.Status != cfn.StatusFailed || !strings.Contains(got.Reason, "time ran out") {
		t.Errorf("response %+v", got)
	}
	// CreateRole hung: IAM may have made the role, so the answer is the
	// failed-Create marker naming it, and the rollback's Delete removes it if
	// it carries this resource's tags.
	if id := roles.ParsePhysicalID(got.PhysicalResourceID); id.Kind != roles.IDFailedCreateRole || id.RoleName != "qbusiness-demo-app-role" {
		t.Errorf("physical id %q, want the failed-Create marker naming the role", got.PhysicalResourceID)
	}
	// A function killed at its timeout sends nothing: the one response above
	// proves it answered in time. The log says how long it took.
	t.Logf("answered FAILED %v after the invocation", time.Since(start).Round(time.Millisecond))
}

// A function that cannot start (here: no credentials in its environment)
// still answers every event FAILED with the reason, instead of leaving the
// stack waiting for its ServiceTimeout.
func TestStartupFailureIsAnsweredUnderRuntimeInterfaceEmulator(t *testing.T) {
	srv := cfntest.NewResponseServer()
	defer srv.Close()
	e := emulated(t, append(chainEnv(), "AWS_ACCESS_KEY_ID=")...)
	for _, file := range []string{"create-application-role.json", "delete-application-role.json"} {
		got := send(t, e, srv, file, "")
		if got.Status != cfn.StatusFailed || !strings.Contains(got.Reason, "no AWS credentials") {
			t.Errorf("%s: response %+v", file, got)
		}
		if file == "create-application-role.json" && roles.ParsePhysicalID(got.PhysicalResourceID).Kind != roles.IDFailedCreate {
			t.Errorf("physical id %q: a failed Create must not name a role", got.PhysicalResourceID)
		}
	}
}
