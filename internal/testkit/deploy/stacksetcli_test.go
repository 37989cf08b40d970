//go:build integration

package deploy

import (
	"strings"
	"testing"
)

// The README's StackSets commands as written (the OU's id filled in), against
// moto's Organizations and CloudFormation: the code uploaded to the bucket of
// each region, the stack set created from dist/stackset.json with
// service-managed permissions, its instances deployed to an OU's member
// account in two regions. moto runs each instance's stack in the member
// account, where its Lambda function is made from the region's bucket (a
// prefix that names no bucket fails the instances). moto's service-managed
// instances are hidden stacks whose exports it does not register: the export
// is checked by TestStackSetTemplateDeploys.
func TestStackSetCommands(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		ok     bool
	}{
		{"the README's commands", "my-qbrole-code", true},
		{"a bucket prefix naming no bucket", "nowhere", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newCLI(t)
			ou, member := organization(t, aws)
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				aws.must("s3", "mb", "s3://my-qbrole-code-"+region, "--region", region)
			}
			aws.must("s3", "cp", "dist/bootstrap.zip", "s3://my-qbrole-code-us-east-1/bootstrap.zip")
			aws.must("s3", "cp", "dist/bootstrap.zip", "s3://my-qbrole-code-eu-west-1/bootstrap.zip")
			aws.must("cloudformation", "create-stack-set", "--stack-set-name", "qbrole-provider", "--template-body", "file://dist/stackset.json",
				"--parameters", "ParameterKey=CodeS3BucketPrefix,ParameterValue="+c.prefix, "ParameterKey=ServiceTokenExportName,ParameterValue=qbrole-provider-ServiceToken",
				"--capabilities", "CAPABILITY_IAM", "--permission-model", "SERVICE_MANAGED", "--auto-deployment", "Enabled=true,RetainStacksOnAccountRemoval=false")
			out, err := aws.run("cloudformation", "create-stack-instances", "--stack-set-name", "qbrole-provider",
				"--deployment-targets", "OrganizationalUnitIds="+ou, "--regions", "us-east-1", "eu-west-1",
				"--operation-preferences", "MaxConcurrentPercentage=25,FailureTolerancePercentage=0")
			if !c.ok {
				if err == nil {
					t.Fatalf("create-stack-instances with the code in no bucket succeeded: %s", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("create-stack-instances: %v\n%s", err, out)
			}
			in := aws.as(t, member)
			for _, region := range []string{"us-east-1", "eu-west-1"} {
				fns := in.must("lambda", "list-functions", "--region", region, "--query", "Functions[].FunctionArn", "--output", "text")
				if !strings.Contains(fns, ":"+region+":"+member+":function:") || !strings.Contains(fns, "-"+function+"-") {
					t.Errorf("%s: the member account's functions: %q", region, fns)
				}
			}
		})
	}
}

// organization makes moto's organisation with one OU holding one member
// account, and returns their ids.
func organization(t *testing.T, aws cli) (ou, member string) {
	t.Helper()
	aws.must("organizations", "create-organization", "--feature-set", "ALL")
	root := aws.must("organizations", "list-roots", "--query", "Roots[0].Id", "--output", "text")
	ou = aws.must("organizations", "create-organizational-unit", "--parent-id", root, "--name", "apps", "--query", "OrganizationalUnit.Id", "--output", "text")
	member = aws.must("organizations", "create-account", "--email", "member@example.com", "--account-name", "member",
		"--query", "CreateAccountStatus.AccountId", "--output", "text")
	aws.must("organizations", "move-account", "--account-id", member, "--source-parent-id", root, "--destination-parent-id", ou)
	return ou, member
}

// as is the CLI with credentials of the account (moto's STS answers any role).
func (c cli) as(t *testing.T, account string) cli {
	t.Helper()
	creds := strings.Fields(c.must("sts", "assume-role", "--role-arn", "arn:aws:iam::"+account+":role/OrganizationAccountAccessRole",
		"--role-session-name", "deploy-test", "--query", "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]", "--output", "text"))
	if len(creds) != 3 {
		t.Fatalf("assume-role: %v", creds)
	}
	c.env = []string{"AWS_ACCESS_KEY_ID=" + creds[0], "AWS_SECRET_ACCESS_KEY=" + creds[1], "AWS_SESSION_TOKEN=" + creds[2]}
	return c
}
