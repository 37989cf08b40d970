//go:build integration

package deploy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's CloudFormation snippet against the provider deployed as the
// README deploys it, under the stack name qbrole-provider: its
// Fn::ImportValue must name that stack's export, qbrole-provider-ServiceToken
// (CloudFormation fails a stack whose import names no export: "No export
// named ... found", https://repost.aws/knowledge-center/cloudformation-no-export-found-error;
// moto does the same, ExportNotFound).
//
// How far moto shows it: moto (5.2.1) resolves Fn::ImportValue from the
// exports of its stacks, looks the ServiceToken up as a Lambda function (a
// token that names none fails the stack), and invokes that function with the
// custom resource's Create event in a thread, through Docker. This machine
// has no Docker: the invocation ends in "error running docker", which moto
// writes into the log group /aws/lambda/<function> — the proof that the
// function it invoked is the one the provider exports. The test then answers
// for the function at moto's response URL, as the function would, and the
// stack completes with the role's ARN. moto has no Q Business at all: it
// skips AWS::QBusiness::Application ("No Moto CloudFormation support"), so
// what Q Business does with the application is shown by cfn-lint only
// (TestTemplatesLint), against CloudFormation's resource schema.
func TestCloudFormationSnippetDeploysAgainstTheProvider(t *testing.T) {
	src, err := os.ReadFile(snippet)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		from    string
		wantErr string
	}{
		{name: "the README's snippet", from: string(src)},
		{name: "importing qbrole-ServiceToken, no stack's export",
			from:    strings.Replace(string(src), "!ImportValue qbrole-provider-ServiceToken", "!ImportValue qbrole-ServiceToken", 1),
			wantErr: "qbrole-ServiceToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.wantErr != "" && c.from == string(src) {
				t.Fatal("the snippet no longer has the import this case changes")
			}
			aws := newCLI(t)
			aws.codeBucket("qbrole-code")
			if out, err := aws.createStack("qbrole-provider", "dist/stackset.json", "CodeS3BucketPrefix=qbrole-code"); err != nil {
				t.Fatalf("provider: %v\n%s", err, out)
			}
			if err := os.WriteFile(filepath.Join(aws.dir, "app.yaml"), []byte(c.from), 0o644); err != nil {
				t.Fatal(err)
			}
			stackID, err := aws.createStack("assistant", "app.yaml", "IdentityCenterInstanceArn=arn:aws:sso:::instance/ssoins-0123456789abcdef")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(stackID, c.wantErr) {
					t.Fatalf("create-stack: %v, want a failure naming %s\n%s", err, c.wantErr, stackID)
				}
				return
			}
			if err != nil {
				t.Fatalf("create-stack: %v\n%s", err, stackID)
			}
			token := aws.export("qbrole-provider-ServiceToken")
			_, fn, ok := strings.Cut(token, ":function:")
			if !ok {
				t.Fatalf("the provider exports %q", token)
			}
			if !waitFor(func() bool {
				out, err := aws.run("logs", "filter-log-events", "--log-group-name", "/aws/lambda/"+fn, "--query", "events[].message", "--output", "text")
				return err == nil && strings.Contains(out, "error running docker")
			}) {
				t.Fatalf("moto did not invoke the provider's function %s", fn)
			}
			const roleARN = "arn:aws:iam::123456789012:role/service-role/assistant-QBusinessRole-QBusinessAbc"
			answer(t, aws.moto.URL, stackID, roleARN)
			if s := aws.stackStatus("assistant"); s != "CREATE_COMPLETE" {
				t.Fatalf("stack %s after the function's answer", s)
			}
			got := aws.must("cloudformation", "describe-stacks", "--stack-name", "assistant",
				"--query", "Stacks[0].Outputs[?OutputKey=='RoleArn'].OutputValue | [0]", "--output", "text")
			if got != roleARN {
				t.Errorf("RoleArn %q, want %q", got, roleARN)
			}
		})
	}
}

// answer sends the custom resource's SUCCESS to moto's response URL, as the
// function would (moto's CloudFormation serves it at
// /cloudformation_<region>/cfnresponse).
func answer(t *testing.T, motoURL, stackID, roleARN string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Status": "SUCCESS", "StackId": stackID, "LogicalResourceId": "QBusinessRole",
		"PhysicalResourceId": "assistant-QBusinessRole-QBusinessAbc", "Data": map[string]string{"Arn": roleARN}})
	req, err := http.NewRequest(http.MethodPut, motoURL+"/cloudformation_us-east-1/cfnresponse?stack="+stackID, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("response URL: HTTP %d", resp.StatusCode)
	}
}

func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}
