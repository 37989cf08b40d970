//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/cfnresource"
	"github.com/qbrole/qbrole/internal/roles"
	"github.com/qbrole/qbrole/internal/roles/rolestest"
	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// moto is IAM; the function's calls reach it through the authorizing proxy,
// judged against template.yaml's execution-role policy.
var (
	moto  *motoserver.Server
	authz *iamauthz.Harness
)

// The package runs in the emulator's account (lambdaemu.AccountID): the
// function checks that a request's stack is in its own account.
func TestMain(m *testing.M) { iamauthz.RunTestsAs(lambdaemu.AccountID, m, &authz, &moto) }

// chainEnv is the function's environment, calling IAM through this run's chain.
func chainEnv() []string {
	p, _ := authz.Chain(moto)
	return p.Env()
}

func TestInvokeAgainstMoto(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	for _, kv := range chainEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	code, stdout, stderr := run(t, "invoke", inAccount(t, "create-application-role.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var resp map[string]any
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	data, _ := resp["Data"].(map[string]any)
	if resp["Status"] != "SUCCESS" || resp["PhysicalResourceId"] != "qbusiness-demo-app-role" ||
		data["Arn"] != "arn:aws:iam::"+lambdaemu.AccountID+":role/service-role/qbusiness-demo-app-role" {
		t.Errorf("response %s", stdout)
	}
	if !strings.Contains(stderr, `"Outcome":"created"`) || strings.Contains(stderr, "X-Amz-Signature=") || !strings.Contains(stderr, uncheckedNotice) {
		t.Errorf("log %s", stderr)
	}

	code, stdout, _ = run(t, "invoke", eventFile("invalid-application-role.json"))
	if code != 1 || !strings.Contains(stdout, `"Status": "FAILED"`) || !strings.Contains(stdout, "MaxSessionDuration: must be between") {
		t.Errorf("invalid event: exit %d, %s", code, stdout)
	}
}

// invoke of every other RoleType's Create makes the role its event describes
// (the documents of its AWS page, by meaning, and every setting); an invalid
// data-source role is refused, naming each bad property, before any IAM call.
func TestInvokeEveryRoleTypeAgainstMoto(t *testing.T) {
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	for _, kv := range chainEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	proxy, admin := authz.Chain(moto)
	for _, f := range []string{"create-data-source-role.json", "create-s3-data-source-role.json",
		"create-data-source-role-with-secret.json", "create-plugin-role.json", "create-retriever-role.json"} {
		t.Run(f, func(t *testing.T) {
			file := inAccount(t, f)
			code, stdout, stderr := run(t, "invoke", file)
			var resp struct {
				Status, PhysicalResourceId string
				Data                       map[string]any
			}
			if err := json.Unmarshal([]byte(stdout), &resp); err != nil || code != 0 || resp.Status != "SUCCESS" {
				t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
			}
			if !strings.Contains(resp.PhysicalResourceId, "qbusiness") && !strings.Contains(resp.PhysicalResourceId, "QBusiness") {
				t.Errorf("role name %q: the Q Business console lists only roles whose name holds qbusiness or QBusiness", resp.PhysicalResourceId)
			}
			if want := "arn:aws:iam::" + lambdaemu.AccountID + ":role/service-role/" + resp.PhysicalResourceId; resp.Data["Arn"] != want {
				t.Errorf("Arn %v, want %s", resp.Data["Arn"], want)
			}
			if bad := rolestest.Mismatches(context.Background(), admin, resp.PhysicalResourceId, specOf(t, file)); len(bad) > 0 {
				t.Errorf("the role in IAM differs from its event's: %v", bad)
			}
		})
	}

	calls := len(proxy.Decisions())
	code, stdout, _ := run(t, "invoke", inAccount(t, "invalid-data-source-role.json"))
	if code != 1 || !strings.Contains(stdout, `"Status": "FAILED"`) {
		t.Errorf("invalid data-source role: exit %d, %s", code, stdout)
	}
	for _, name := range invalidEvents["invalid-data-source-role.json"] {
		if !strings.Contains(stdout, name+": ") {
			t.Errorf("the reason does not name %s: %s", name, stdout)
		}
	}
	if n := len(proxy.Decisions()) - calls; n != 0 {
		t.Errorf("an invalid event made %d IAM calls, want none", n)
	}
}

// specOf is the role an events/ file describes, as the function reads it.
func specOf(t *testing.T, file string) roles.Spec {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := cfnresource.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := roles.ParseStackID(ev.StackID)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := roles.ParseSpec(ev.ResourceProperties, stack, ev.LogicalResourceID)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// inAccount is an events/ file moved into this package's account (the
// emulator's: lambdaemu.AccountID), written to a temporary file.
func inAccount(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(eventFile(file))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), ":"+motoserver.AccountID+":", ":"+lambdaemu.AccountID+":")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
