//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
