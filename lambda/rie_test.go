//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/cfnresource/cfntest"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/testkit/cfnapi"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
)

// emulated builds the real bootstrap and runs it under aws-lambda-rie, as
// the function named by authz's template.yaml, checking requests against c
// (nil: a CloudFormation double of its own that knows no stack).
func emulated(t *testing.T, c *cfnapi.Server, env ...string) *lambdaemu.Emulator {
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
	if c == nil {
		c = newCloudFormation(t)
	}
	env = append([]string{allowLoopbackEnv + "=true", "AWS_LAMBDA_FUNCTION_NAME=" + functionName(),
		"AWS_ENDPOINT_URL_CLOUDFORMATION=" + c.URL}, env...)
	e, err := lambdaemu.Start(rie, bootstrap, env...)
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

// functionName is the name of template.yaml's function in authz's
// deployment: under the emulator its ARN is then the one the policy names.
func functionName() string {
	return authz.Function.ARN[strings.LastIndex(authz.Function.ARN, ":")+1:]
}

// newCloudFormation is the CloudFormation double of the emulator's account
// and Region, each read judged against template.yaml's policy.
func newCloudFormation(t *testing.T) *cfnapi.Server {
	t.Helper()
	proxy, _ := authz.Chain(moto)
	c := cfnapi.Start(cfnapi.Options{Region: lambdaemu.Region, AccountID: lambdaemu.AccountID, Authorize: proxy.Authorize})
	t.Cleanup(c.Close)
	return c
}

// step is one request of an events/ file; sent: CloudFormation sent it (its
// statuses are set around it in c's stacks; unsent: a forged one); rest: the
// stack comes to rest after it.
type step struct {
	file, physical string
	sent, rest     bool
}

// send invokes the function with an events/ file moved into the emulator's
// account, with this function as its ServiceToken, and ResponseURL and
// PhysicalResourceId where the step says.
func send(t *testing.T, e *lambdaemu.Emulator, srv *cfntest.ResponseServer, c *cfnapi.Server, s step) cfn.Response {
	t.Helper()
	raw, err := os.ReadFile(inAccount(t, s.file))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%s-%d", ev["RequestId"], requests.Add(1)) // a file may be sent twice
	ev["RequestId"], ev["ResponseURL"] = id, srv.ResponseURL(id)
	if s.physical != "" {
		ev["PhysicalResourceId"] = s.physical
	}
	ev["ServiceToken"] = authz.Function.ARN
	ev["ResourceProperties"].(map[string]any)["ServiceToken"] = authz.Function.ARN
	stack, logical, rt := ev["StackId"].(string), ev["LogicalResourceId"].(string), cfn.RequestType(ev["RequestType"].(string))
	physical, _ := ev["PhysicalResourceId"].(string)
	if s.sent {
		c.Stacks().Sent(stack, logical, ev["ResourceType"].(string), rt, physical)
	}
	body, _ := json.Marshal(ev)
	if _, err := e.Invoke(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	got := srv.ForRequest(id)
	if len(got) != 1 {
		t.Fatalf("%s: %d responses, want exactly 1", s.file, len(got))
	}
	if s.sent {
		c.Stacks().Answered(stack, logical, rt, physical, got[0].Status == cfn.StatusSuccess, got[0].PhysicalResourceID)
	}
	if s.rest {
		c.Stacks().Rest(stack)
	}
	return got[0]
}

var requests atomic.Int64

// TestLifecycleUnderRuntimeInterfaceEmulator: the real bootstrap under the
// emulator, checking every request against the CloudFormation double, carries
// out a lifecycle CloudFormation sends, and refuses the same requests when
// CloudFormation did not send them (the stack at rest), changing nothing.
func TestLifecycleUnderRuntimeInterfaceEmulator(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	srv := cfntest.NewResponseServer()
	defer srv.Close()
	c := newCloudFormation(t)
	e := emulated(t, c, chainEnv()...)
	_, admin := authz.Chain(moto)

	steps := []struct {
		step
		status cfn.StatusType
	}{
		{step{file: "create-application-role.json", sent: true, rest: true}, cfn.StatusSuccess},
		{step{file: "delete-application-role.json", physical: "qbusiness-demo-app-role"}, cfn.StatusFailed},
		{step{file: "update-application-role.json"}, cfn.StatusFailed},
		{step{file: "update-application-role.json", sent: true, rest: true}, cfn.StatusSuccess},
		{step{file: "update-replace-application-role.json", sent: true}, cfn.StatusSuccess},
		{step{file: "delete-replaced-application-role.json", sent: true, rest: true}, cfn.StatusSuccess},
		{step{file: "delete-application-role.json", sent: true, rest: true}, cfn.StatusSuccess},
		{step{file: "invalid-application-role.json", sent: true, rest: true}, cfn.StatusFailed},
	}
	for _, s := range steps {
		before := rolestest.Snapshot(context.Background(), admin, "qbusiness-demo-app-role")
		got := send(t, e, srv, c, s.step)
		if got.Status != s.status {
			t.Errorf("%s (sent by CloudFormation: %v): %s %s", s.file, s.sent, got.Status, got.Reason)
		}
		if !s.sent {
			if !strings.Contains(got.Reason, "refused") {
				t.Errorf("%s, forged: reason %q", s.file, got.Reason)
			}
			if after := rolestest.Snapshot(context.Background(), admin, "qbusiness-demo-app-role"); after != before {
				t.Errorf("%s, forged, changed the role:\n%s\n%s", s.file, before, after)
			}
		}
	}
	slr := send(t, e, srv, c, step{file: "create-service-linked-role.json", sent: true, rest: true})
	if slr.Status != cfn.StatusSuccess || !strings.HasPrefix(slr.PhysicalResourceID, "AWSServiceRoleFor") {
		t.Fatalf("SLR create: %+v", slr)
	}
	for _, f := range []string{"update-service-linked-role.json", "delete-service-linked-role.json"} {
		if got := send(t, e, srv, c, step{file: f, physical: slr.PhysicalResourceID, sent: true, rest: true}); got.Status != cfn.StatusSuccess {
			t.Errorf("%s: %s %s", f, got.Status, got.Reason)
		}
	}
	for _, l := range []lifecycle{
		{create: "create-data-source-role.json", update: "update-data-source-role.json", del: "delete-data-source-role.json"},
		{create: "create-plugin-role.json", del: "delete-plugin-role.json"},
		{create: "create-retriever-role.json", del: "delete-retriever-role.json"},
	} {
		t.Run(l.create, func(t *testing.T) { l.run(t, e, srv, c) })
	}
	for _, p := range srv.Puts() {
		if p.Header.Get("Content-Type") != "" {
			t.Errorf("response PUT with Content-Type %q", p.Header.Get("Content-Type"))
		}
	}
	if out := e.Output(); strings.Contains(out, "SECRET-SIGNATURE") || !strings.Contains(out, `"msg":"request answered"`) {
		t.Errorf("function log leaks the signature or lacks the request lines:\n%s", out)
	}
	if reads := c.Reads(); reads < 12 {
		t.Errorf("%d reads of CloudFormation for 12 requests", reads)
	}
}

// lifecycle is the events/ files of one role of a RoleType other than the
// application and service-linked roles: Create, an in-place Update ("": none)
// and Delete.
type lifecycle struct{ create, update, del string }

// run sends l's events through the emulated function, each sent by
// CloudFormation, and checks IAM after each: the role its event describes
// after Create and Update (the Update in place, under the same name), no role
// after Delete. The check of each request against CloudFormation knows no
// RoleType: the forged requests of TestLifecycleUnderRuntimeInterfaceEmulator
// stand for every type.
func (l lifecycle) run(t *testing.T, e *lambdaemu.Emulator, srv *cfntest.ResponseServer, c *cfnapi.Server) {
	ctx := context.Background()
	_, admin := authz.Chain(moto)
	created := send(t, e, srv, c, step{file: l.create, sent: true, rest: true})
	name := created.PhysicalResourceID
	if created.Status != cfn.StatusSuccess || name == "" {
		t.Fatalf("%s: %s %q %s", l.create, created.Status, name, created.Reason)
	}
	if bad := rolestest.Mismatches(ctx, admin, name, specOf(t, inAccount(t, l.create))); len(bad) > 0 {
		t.Errorf("%s: the role differs from its event's: %v", l.create, bad)
	}
	if l.update != "" {
		got := send(t, e, srv, c, step{file: l.update, physical: name, sent: true, rest: true})
		if got.Status != cfn.StatusSuccess || got.PhysicalResourceID != name {
			t.Errorf("%s: %s %q %s, want an in-place update of %s", l.update, got.Status, got.PhysicalResourceID, got.Reason, name)
		}
		if bad := rolestest.Mismatches(ctx, admin, name, specOf(t, inAccount(t, l.update))); len(bad) > 0 {
			t.Errorf("%s: the role differs from its event's: %v", l.update, bad)
		}
	}
	if got := send(t, e, srv, c, step{file: l.del, physical: name, sent: true, rest: true}); got.Status != cfn.StatusSuccess {
		t.Errorf("%s: %s %s", l.del, got.Status, got.Reason)
	}
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); !strings.Contains(fmt.Sprint(err), "NoSuchEntity") {
		t.Errorf("%s: the role %s after its Delete: %v", l.del, name, err)
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
	c := newCloudFormation(t)
	e := emulated(t, c, env...)
	start := time.Now()
	got := send(t, e, srv, c, step{file: "create-application-role.json", sent: true})
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
	c := newCloudFormation(t)
	e := emulated(t, c, append(chainEnv(), "AWS_ACCESS_KEY_ID=")...)
	for _, file := range []string{"create-application-role.json", "delete-application-role.json"} {
		got := send(t, e, srv, c, step{file: file, sent: true})
		if got.Status != cfn.StatusFailed || !strings.Contains(got.Reason, "no AWS credentials") {
			t.Errorf("%s: response %+v", file, got)
		}
		if file == "create-application-role.json" && roles.ParsePhysicalID(got.PhysicalResourceID).Kind != roles.IDFailedCreate {
			t.Errorf("physical id %q: a failed Create must not name a role", got.PhysicalResourceID)
		}
	}
}
