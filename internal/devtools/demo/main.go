// Command demo runs the custom resource locally with no AWS account: it
// starts moto's server on a free loopback port with the tests' strict IAM
// layer in front of it (internal/testkit/iamstrict: IAM's documented
// behaviours moto lacks, such as the service-linked role's name, which moto
// spells AWSServiceRoleForqbusiness), builds the real bootstrap binary, and
// sends it CloudFormation's Create → Update → Delete of every role type
// (the events under events/) through `bootstrap invoke`, printing each
// response, the function's log line and the IAM state after it. The roles
// that trust one application (data source, plugin, retriever) name a made-up
// application, index, secret and Kendra index: there is no Q Business here.
//
// Run it from the repository root: go run ./internal/devtools/demo (or make demo).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/testkit/iamstrict"
	"github.com/qbrole/qbrole/internal/testkit/lambdaemu"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// step is one event CloudFormation would send. physicalFrom names an earlier
// step whose answered PhysicalResourceId the event must carry (the service-
// linked role's name is IAM's to choose, a generated name the function's).
// madeUp says that the event names resources the demo does not have.
type step struct {
	title, file, physicalFrom string
	madeUp                    bool
}

var steps = []step{
	{"Create an application role", "create-application-role.json", "", false},
	{"Update it in place (description, session, tags)", "update-application-role.json", "", false},
	{"Update that replaces it (new RoleName)", "update-replace-application-role.json", "", false},
	{"CloudFormation deletes the replaced role", "delete-replaced-application-role.json", "", false},
	{"Create a data-source role for the application's index", "create-data-source-role.json", "", true},
	{"Update it in place (S3 bucket, description, tags)", "update-data-source-role.json", "", true},
	{"Delete the data-source role", "delete-data-source-role.json", "", true},
	{"Create a plugin role reading the plugin's secret", "create-plugin-role.json", "", true},
	{"Delete the plugin role", "delete-plugin-role.json", "", true},
	{"Create a Kendra retriever role (generated name)", "create-retriever-role.json", "", true},
	{"Delete the retriever role", "delete-retriever-role.json", "create-retriever-role.json", true},
	{"Delete the stack's application role", "delete-application-role.json", "", false},
	{"Create with invalid properties (fails, nothing created)", "invalid-application-role.json", "", false},
	{"Create a data-source role for any application, with another type's properties (fails)", "invalid-data-source-role.json", "", false},
	{"Create the service-linked role", "create-service-linked-role.json", "", false},
	{"Update its description", "update-service-linked-role.json", "create-service-linked-role.json", false},
	{"Delete it", "delete-service-linked-role.json", "create-service-linked-role.json", false},
}

// madeUpProperties are the properties that name resources of Q Business,
// Kendra, Secrets Manager and S3, none of which the demo has; in a stack they
// are the ids and names of the stack's own resources.
var madeUpProperties = []struct{ name, inStack string }{
	{"ApplicationId", "!GetAtt Application.ApplicationId (the application that the application role above serves)"},
	{"IndexId", "!GetAtt Index.IndexId (the application's AWS::QBusiness::Index)"},
	{"BucketName", "the bucket of the AWS::QBusiness::DataSource's S3 configuration"},
	{"SecretArn", "!Ref of the AWS::SecretsManager::Secret holding the credentials (Ref gives its ARN)"},
	{"KendraIndexId", "!GetAtt KendraIndex.Id (an AWS::Kendra::Index)"},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "events")); err != nil {
		return fmt.Errorf("run the demo from the repository root: %w", err)
	}
	fmt.Println("Starting moto's server (local IAM) ...")
	moto, err := motoserver.Start(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	// IAM's own behaviours where moto differs, for the function and the
	// demo's reads alike: no time quirks (Options.Subjects is empty).
	layer, err := iamstrict.Start(moto.URL, moto.IAM("testing", "testing"), iamstrict.Options{})
	if err != nil {
		return err
	}
	defer layer.Close()
	fmt.Println("IAM endpoint:", layer.URL, "(the strict IAM layer of the tests, in front of moto at", moto.URL+")")

	tmp, err := os.MkdirTemp("", "qbrole-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Println("Building bootstrap ...")
	bootstrap, err := lambdaemu.BuildBootstrap(root, tmp)
	if err != nil {
		return err
	}
	fmt.Println("Each event runs through `bootstrap invoke`, which does not check it against CloudFormation:\n" +
		"no stack is being deployed behind an event from a file. In Lambda every request is checked\n" +
		"(README, \"Security model\"; off only with VerifyRequestsWithCloudFormation=false).")
	client := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(layer.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	physical := map[string]string{}
	failures := 0
	for i, s := range steps {
		fmt.Printf("\n=== %d. %s (events/%s)\n", i+1, s.title, s.file)
		file := filepath.Join(root, "events", s.file)
		if s.madeUp {
			if err := printMadeUp(file); err != nil {
				return err
			}
		}
		if s.physicalFrom != "" {
			if file, err = withPhysicalID(file, tmp, physical[s.physicalFrom]); err != nil {
				return err
			}
		}
		cmd := exec.Command(bootstrap, "invoke", file)
		cmd.Env = append(os.Environ(), motoserver.ClientEnv(layer.URL, "testing", "testing")...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		fmt.Print("--- response\n", string(out))
		printLogLine(stderr.String())
		var resp struct{ Status, PhysicalResourceId string }
		if jerr := json.Unmarshal(out, &resp); jerr != nil {
			return fmt.Errorf("%s: no response (%v, %v)", s.file, err, jerr)
		}
		physical[s.file] = resp.PhysicalResourceId
		if resp.Status != "SUCCESS" && !strings.HasPrefix(s.file, "invalid") {
			failures++
		}
		fmt.Println("--- IAM now")
		if err := printRoles(ctx, client); err != nil {
			return err
		}
	}
	if failures > 0 {
		return fmt.Errorf("%d steps failed", failures)
	}
	fmt.Println("\nDemo done: every step answered as CloudFormation expects.")
	return nil
}

// printLogLine shows what the function's JSON log line says of the request
// (README, "Lifecycle"): its Outcome, Changes and Note.
func printLogLine(stderr string) {
	for _, l := range strings.Split(stderr, "\n") {
		var line struct {
			Outcome string
			Changes []string
			Note    string
		}
		if !strings.HasPrefix(l, "{") || json.Unmarshal([]byte(l), &line) != nil {
			continue
		}
		fmt.Printf("--- log line: Outcome %s, Changes %q", line.Outcome, line.Changes)
		if line.Note != "" {
			fmt.Printf(", Note %q", line.Note)
		}
		fmt.Println()
	}
}

// printMadeUp names the event's properties that stand for resources the
// demo does not have, and what a stack gives them.
func printMadeUp(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var ev struct{ ResourceProperties map[string]any }
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Println("--- made up (the demo has no Q Business, Kendra, Secrets Manager or S3); in a stack:")
	for _, p := range madeUpProperties {
		if v, ok := ev.ResourceProperties[p.name]; ok {
			fmt.Printf("    %s %v: %s\n", p.name, v, p.inStack)
		}
	}
	return nil
}

func withPhysicalID(file, dir, id string) (string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", err
	}
	ev["PhysicalResourceId"] = id
	out := filepath.Join(dir, filepath.Base(file))
	b, _ := json.MarshalIndent(ev, "", "  ")
	return out, os.WriteFile(out, b, 0o600)
}

func printRoles(ctx context.Context, c *iam.Client) error {
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		return err
	}
	if len(out.Roles) == 0 {
		fmt.Println("(no roles)")
	}
	for _, listed := range out.Roles {
		name := aws.ToString(listed.RoleName)
		got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: listed.RoleName})
		if err != nil {
			return err
		}
		r := got.Role
		var tags []string
		for _, t := range r.Tags {
			tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		sort.Strings(tags)
		fmt.Printf("%s%s  session=%ds  description=%q\n", aws.ToString(r.Path), name, aws.ToInt32(r.MaxSessionDuration), aws.ToString(r.Description))
		if len(tags) > 0 {
			fmt.Printf("  tags: %s\n", strings.Join(tags, ", "))
		}
		trust, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
		fmt.Printf("  trust: %s\n", trust)
		pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: listed.RoleName})
		if err != nil {
			return err
		}
		for _, p := range pols.PolicyNames {
			doc, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: listed.RoleName, PolicyName: aws.String(p)})
			if err != nil {
				return err
			}
			var d struct{ Statement []struct{ Sid string } }
			text, _ := url.QueryUnescape(aws.ToString(doc.PolicyDocument))
			_ = json.Unmarshal([]byte(text), &d)
			sids := make([]string, len(d.Statement))
			for i, s := range d.Statement {
				sids[i] = s.Sid
			}
			fmt.Printf("  inline policy %s: %s\n", p, strings.Join(sids, ", "))
		}
	}
	return nil
}
