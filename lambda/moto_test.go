//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// moto is IAM; the function's calls reach it through the authorizing proxy,
// judged against template.yaml's execution-role policy.
var (
	moto  *motoserver.Server
	authz *iamauthz.Harness
)

func TestMain(m *testing.M) { iamauthz.RunTests(m, &authz, &moto) }

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
	code, stdout, stderr := run(t, "invoke", eventFile("create-application-role.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var resp map[string]any
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	data, _ := resp["Data"].(map[string]any)
	if resp["Status"] != "SUCCESS" || resp["PhysicalResourceId"] != "qbusiness-demo-app-role" ||
		data["Arn"] != "arn:aws:iam::123456789012:role/service-role/qbusiness-demo-app-role" {
		t.Errorf("response %s", stdout)
	}
	if !strings.Contains(stderr, `"Outcome":"created"`) || strings.Contains(stderr, "X-Amz-Signature=") {
		t.Errorf("log %s", stderr)
	}

	code, stdout, _ = run(t, "invoke", eventFile("invalid-application-role.json"))
	if code != 1 || !strings.Contains(stdout, `"Status": "FAILED"`) || !strings.Contains(stdout, "MaxSessionDuration: must be between") {
		t.Errorf("invalid event: exit %d, %s", code, stdout)
	}
}
