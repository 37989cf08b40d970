//go:build integration

package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's commands without the SAM CLI, its ```sh block as written
// (read from README.md; the bucket's placeholder MY-ARTIFACT-BUCKET replaced),
// against moto's S3 and CloudFormation. `aws cloudformation package` resolves every local path
// of the template against the template's directory, the Serverless
// Application Repository's ReadmeUrl and LicenseUrl included
// (awscli/customizations/cloudformation/artifact_exporter.py: METADATA_EXPORT_LIST,
// upload_local_artifacts): make package copies README.md and LICENSE into dist/.
func TestPackageWithoutTheSAMCLI(t *testing.T) {
	cases := []struct {
		name    string
		remove  []string
		wantErr string
	}{
		{name: "make package's dist"},
		{name: "without README.md and LICENSE beside the template", remove: []string{"README.md", "LICENSE"},
			wantErr: "Unable to upload artifact README.md referenced by ReadmeUrl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newCLI(t)
			for _, f := range c.remove {
				if err := os.Remove(filepath.Join(aws.dir, "dist", f)); err != nil {
					t.Fatal(err)
				}
			}
			aws.must("s3", "mb", "s3://my-artifact-bucket")
			failed, out := aws.script(readmeShBlocks(t, sectionPackage)[0], "MY-ARTIFACT-BUCKET", "my-artifact-bucket")
			if c.wantErr != "" {
				if !strings.Contains(failed, "cloudformation package") || !strings.Contains(out, c.wantErr) {
					t.Fatalf("package: failed at %q, want %q\n%s", failed, c.wantErr, out)
				}
				return
			}
			if failed != "" {
				t.Fatalf("%s\n%s", failed, out)
			}
			packaged, err := os.ReadFile(filepath.Join(aws.dir, "dist", "packaged.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"CodeUri", "ReadmeUrl", "LicenseUrl"} {
				if !regexp.MustCompile(`(?m)^\s+` + key + `: s3://my-artifact-bucket/\w+$`).Match(packaged) {
					t.Errorf("packaged.yaml: %s is not an object of the bucket", key)
				}
			}
			if n := len(strings.Fields(aws.must("s3", "ls", "s3://my-artifact-bucket/"))) / 4; n != 3 {
				t.Errorf("%d objects uploaded, want 3 (code, README, LICENSE)", n)
			}
			// moto 5.2.1's CloudFormation does not run the AWS::Serverless
			// transform: it skips AWS::Serverless::Function ("No Moto
			// CloudFormation support"), and its change sets (which deploy
			// uses) create no outputs. So this shows only that the command
			// and the packaged template are accepted; what the transform
			// makes is deployed from dist/stackset.json, the transform's
			// output, by TestStackSetTemplateDeploys. The deploy is the README's, run above.
			if s := aws.stackStatus("qbrole-provider"); s != "CREATE_COMPLETE" {
				t.Errorf("stack %s", s)
			}
		})
	}
}
