package main

import (
	"os/exec"
	"strings"
	"testing"
)

// What ships — the Lambda binary, and the construct library with the
// function it bundles — imports no CDK (the binary), no AWS SDK of its own
// (the construct library: it reaches the SDK only through internal/roles,
// whose validation it runs at synth), and none of the test infrastructure:
// the IAM policy evaluator and its proxy (AGPL-licensed simulator behind
// them), moto's helpers, the fault injector.
func TestShippedCodeImportsNoCDKAndNoTestTools(t *testing.T) {
	// Test infrastructure sits under internal/testkit, dev programs under
	// internal/devtools; test helpers beside their package end in "test".
	testTools := []string{"/internal/testkit/", "/internal/devtools/", "/cfntest", "/rolestest"}
	domain := map[string]bool{}
	for _, dep := range deps(t, "github.com/qbrole/qbrole/internal/roles") {
		domain[dep] = true
	}
	for _, pkg := range []string{"github.com/qbrole/qbrole/lambda", "github.com/qbrole/qbrole/cdk/qbrolecdk"} {
		for _, dep := range deps(t, pkg) {
			cdk := strings.Contains(dep, "aws-cdk-go") || strings.Contains(dep, "jsii") || strings.Contains(dep, "cdk-nag") ||
				strings.HasPrefix(dep, "github.com/qbrole/qbrole/cdk")
			if strings.HasSuffix(pkg, "/lambda") && cdk {
				t.Errorf("the Lambda binary imports %s", dep)
			}
			// The construct library renders templates; the function's AWS clients are not its business.
			if strings.HasSuffix(pkg, "/qbrolecdk") && strings.HasPrefix(dep, "github.com/aws/aws-sdk-go-v2") && !domain[dep] {
				t.Errorf("the construct library imports the AWS SDK: %s", dep)
			}
			for _, tool := range testTools {
				if strings.Contains(dep, tool) {
					t.Errorf("%s imports the test tool %s", pkg, dep)
				}
			}
		}
	}
}

// deps lists pkg and every package it imports, directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}
