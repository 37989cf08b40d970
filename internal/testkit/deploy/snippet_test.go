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
// for the function at moto's response URL, as the function would, for each
// of the two roles, and the stack completes with their ARNs.
//
// moto has no Q Business at all: it skips AWS::QBusiness::Application, Index
// and DataSource ("No Moto CloudFormation support"), so what Q Business does
// with them is shown by cfn-lint only (TestTemplatesLint), against
// CloudFormation's resource schemas. A skipped resource has no attributes
// either: moto fails a stack whose custom resource reads one ("Template
// error: instance of Fn::GetAtt references undefined resource Application"),
// so the test gives the data-source role the ids that Q Business would give
// (Fn::GetAtt Application.ApplicationId and Index.IndexId), in its place.
func TestCloudFormationSnippetDeploysAgainstTheProvider(t *testing.T) {
	raw, err := os.ReadFile(snippet)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	for _, getAtt := range []string{"!GetAtt Application.ApplicationId", "!GetAtt Index.IndexId"} {
		if !strings.Contains(src, getAtt) {
			t.Fatalf("the snippet no longer has %s, which this test replaces", getAtt)
		}
	}
	src = strings.NewReplacer("!GetAtt Application.ApplicationId", qbusinessApplicationID, "!GetAtt Index.IndexId", qbusinessIndexID).Replace(src)
	cases := []struct {
		name    string
		from    string
		wantErr string
	}{
		{name: "the README's snippet", from: src},
		{name: "importing qbrole-ServiceToken, no stack's export",
			from:    strings.ReplaceAll(src, "!ImportValue qbrole-provider-ServiceToken", "!ImportValue qbrole-ServiceToken"),
			wantErr: "qbrole-ServiceToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.wantErr != "" && c.from == src {
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
			stackID, err := aws.createStack("assistant", "app.yaml", "IdentityCenterInstanceArn=arn:aws:sso:::instance/ssoins-0123456789abcdef",
				"DocumentsBucketName=assistant-documents")
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
			// One invocation for each of the two roles.
			if !waitFor(func() bool {
				out, err := aws.run("logs", "filter-log-events", "--log-group-name", "/aws/lambda/"+fn, "--query", "events[].message", "--output", "text")
				return err == nil && strings.Count(out, "error running docker") >= 2
			}) {
				t.Fatalf("moto did not invoke the provider's function %s for both roles", fn)
			}
			for i, r := range snippetRoles {
				if s := aws.stackStatus("assistant"); s != "CREATE_IN_PROGRESS" {
					t.Fatalf("stack %s before %s's answer", s, r.logical)
				}
				answer(t, aws.moto.URL, stackID, r.logical, r.name)
				t.Logf("answered for %s (%d of %d)", r.logical, i+1, len(snippetRoles))
			}
			if s := aws.stackStatus("assistant"); s != "CREATE_COMPLETE" {
				t.Fatalf("stack %s after the function's answers", s)
			}
			for _, r := range snippetRoles {
				got := aws.must("cloudformation", "describe-stacks", "--stack-name", "assistant",
					"--query", "Stacks[0].Outputs[?OutputKey=='"+r.output+"'].OutputValue | [0]", "--output", "text")
				if got != roleARN(r.name) {
					t.Errorf("%s %q, want %q", r.output, got, roleARN(r.name))
				}
			}
		})
	}
}

// The ids the test gives in place of Q Business's Fn::GetAtt, which moto
// cannot answer.
const (
	qbusinessApplicationID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	qbusinessIndexID       = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)

// snippetRoles are the snippet's Custom::QBusinessRole resources, the names
// the test answers for them and the outputs that give their ARNs.
var snippetRoles = []struct{ logical, name, output string }{
	{"QBusinessRole", "assistant-QBusinessRole-QBusinessAbc", "RoleArn"},
	{"DataSourceRole", "assistant-DataSourceRole-QBusinessDef", "DataSourceRoleArn"},
}

func roleARN(name string) string { return "arn:aws:iam::123456789012:role/service-role/" + name }

// answer sends the custom resource's SUCCESS to moto's response URL, as the
// function would (moto's CloudFormation serves it at
// /cloudformation_<region>/cfnresponse), naming the role name.
func answer(t *testing.T, motoURL, stackID, logical, name string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Status": "SUCCESS", "StackId": stackID, "LogicalResourceId": logical,
		"PhysicalResourceId": name, "Data": map[string]string{"Arn": roleARN(name)}})
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
