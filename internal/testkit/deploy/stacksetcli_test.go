//go:build integration

package deploy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

// The regions of the README's StackSets commands, and its placeholders.
var stackSetRegions = []string{"us-east-1", "eu-west-1"}

const (
	codePrefix    = "my-qbrole-code"
	ouPlaceholder = "ou-xxxx-xxxxxxxx"
)

// The README's StackSets commands, its first ```sh block as written (read
// from README.md; the OU's id filled in), against moto's Organizations and
// CloudFormation: the code uploaded to the bucket of each region, the stack
// set created from dist/stackset.json with service-managed permissions, its
// instances deployed to an OU's member account in two regions. moto runs
// each instance's stack in the member account, where its Lambda function is
// made from the region's bucket (a prefix that names no bucket fails the
// instances). moto's service-managed instances are hidden stacks whose
// exports it does not register: the export is checked by
// TestStackSetTemplateDeploys.
func TestStackSetCommands(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		ok     bool
	}{
		{"the README's commands", codePrefix, true},
		{"a bucket prefix naming no bucket", "nowhere", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aws := newCLI(t)
			ou, member := organization(t, aws)
			for _, region := range stackSetRegions {
				aws.must("s3", "mb", "s3://"+codePrefix+"-"+region, "--region", region)
			}
			failed, out := aws.script(readmeShBlocks(t, sectionStackSet)[0], ouPlaceholder, ou,
				"ParameterKey=CodeS3BucketPrefix,ParameterValue="+codePrefix, "ParameterKey=CodeS3BucketPrefix,ParameterValue="+c.prefix)
			if !c.ok {
				if !strings.Contains(failed, "create-stack-instances") {
					t.Fatalf("with the code in no bucket, want create-stack-instances to fail; failed: %q\n%s", failed, out)
				}
				return
			}
			if failed != "" {
				t.Fatalf("%s\n%s", failed, out)
			}
			in := aws.as(t, member)
			for _, region := range stackSetRegions {
				fns := in.must("lambda", "list-functions", "--region", region, "--query", "Functions[].FunctionArn", "--output", "text")
				if !strings.Contains(fns, ":"+region+":"+member+":function:") || !strings.Contains(fns, "-"+function+"-") {
					t.Errorf("%s: the member account's functions: %q", region, fns)
				}
			}
		})
	}
}

// The README's upgrade of the stack set, its second ```sh block as written,
// after its first: with the same code, make stackset keeps the key and the
// update changes nothing; with other code (another dist/bootstrap.zip, as a
// new version's build gives), the key is the new zip's SHA-256, sync puts it
// beside the old key in every region's bucket, and the stack set's template
// then has it as CodeS3Key's default, while the stack set's two parameters
// keep their values (UsePreviousValue). CloudFormation deploys the new code
// only because the key changed (AWS::Lambda::Function Code: "Changes to a
// deployment package in Amazon S3 ... are not detected automatically during
// stack updates. To update the function code, change the object key or
// version in the template."
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html).
//
// moto 5.2.1's update-stack-set only stores the template and parameters: it
// updates no instance's stack (moto/cloudformation/models.py, StackSet.update
// and StackInstances.update). So what a stack instance does with the new
// template is shown on a stack named like an instance, created with the first
// template and the create-stack-set line's parameters, then updated by the
// README's update-stack-set line made a stack update (the same parameters
// and capabilities): its CodeS3Key becomes the new key, and with it (see
// below for moto's part) its function's code the new zip.
func TestStackSetUpgrade(t *testing.T) {
	const instance = "StackSet-qbrole-provider-0f1e2d3c"
	blocks := readmeShBlocks(t, sectionStackSet)
	aws := newCLI(t)
	ou, _ := organization(t, aws)
	for _, region := range stackSetRegions {
		aws.must("s3", "mb", "s3://"+codePrefix+"-"+region, "--region", region)
	}
	if failed, out := aws.script(blocks[0], ouPlaceholder, ou); failed != "" {
		t.Fatalf("%s\n%s", failed, out)
	}
	key1 := aws.codeKey()
	first, err := os.ReadFile(filepath.Join(aws.dir, "dist", "stackset.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in for an instance, as create-stack-set's line gives it.
	create := blocks[0][slices.IndexFunc(blocks[0], func(l string) bool { return strings.Contains(l, " create-stack-set ") })]
	words, err := readmeCommand(create)
	if err != nil {
		t.Fatal(err)
	}
	var params []string
	if i := slices.Index(words, "--parameters"); i >= 0 {
		for _, w := range words[i+1:] {
			if strings.HasPrefix(w, "--") {
				break
			}
			params = append(params, w)
		}
	}
	aws.must(append([]string{"cloudformation", "create-stack", "--stack-name", instance, "--template-body", "file://dist/stackset.json",
		"--capabilities", "CAPABILITY_IAM", "--parameters"}, params...)...)
	fnArn := aws.export("qbrole-provider-ServiceToken")
	sha1 := aws.must("lambda", "get-function", "--function-name", fnArn, "--query", "Configuration.CodeSha256", "--output", "text")

	t.Run("same code", func(t *testing.T) {
		if failed, out := aws.script(blocks[1]); failed != "" {
			t.Fatalf("%s\n%s", failed, out)
		}
		if k := aws.codeKey(); k != key1 {
			t.Errorf("make stackset again on the same zip: key %s, was %s", k, key1)
		}
		again, _ := os.ReadFile(filepath.Join(aws.dir, "dist", "stackset.json"))
		if !bytes.Equal(again, first) {
			t.Error("make stackset again on the same zip wrote another stackset.json")
		}
		for _, region := range stackSetRegions {
			if keys := aws.bucketKeys(codePrefix + "-" + region); !slices.Equal(keys, []string{key1}) {
				t.Errorf("%s: keys %v, want [%s]", region, keys, key1)
			}
		}
	})

	t.Run("new code", func(t *testing.T) {
		zipped := otherCode(t, filepath.Join(aws.dir, "dist"))
		if failed, out := aws.script(blocks[1]); failed != "" {
			t.Fatalf("%s\n%s", failed, out)
		}
		sum := sha256.Sum256(zipped)
		key2 := aws.codeKey()
		if want := fmt.Sprintf("qbrole/bootstrap-%x.zip", sum[:8]); key2 != want || key2 == key1 {
			t.Fatalf("key of the new code %s, want %s (the old one %s)", key2, want, key1)
		}
		for _, region := range stackSetRegions {
			if keys := aws.bucketKeys(codePrefix + "-" + region); !slices.Equal(keys, slices.Sorted(slices.Values([]string{key1, key2}))) {
				t.Errorf("%s: keys %v, want the old and the new", region, keys)
			}
		}
		var set struct {
			TemplateBody string
			Parameters   []struct{ ParameterKey, ParameterValue string }
		}
		if err := json.Unmarshal([]byte(aws.must("cloudformation", "describe-stack-set", "--stack-set-name", "qbrole-provider",
			"--query", "StackSet.{TemplateBody:TemplateBody,Parameters:Parameters}", "--output", "json")), &set); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(set.TemplateBody, `"Default": "`+key2+`"`) {
			t.Errorf("the stack set's template does not default CodeS3Key to %s", key2)
		}
		got := map[string]string{}
		for _, p := range set.Parameters {
			got[p.ParameterKey] = p.ParameterValue
		}
		if want := map[string]string{"CodeS3BucketPrefix": codePrefix, "ServiceTokenExportName": "qbrole-provider-ServiceToken"}; !maps.Equal(got, want) {
			t.Errorf("the stack set's parameters %v, want %v", got, want)
		}

		// The README's update-stack-set line, as a stack update of the stand-in.
		update := blocks[1][slices.IndexFunc(blocks[1], func(l string) bool { return strings.Contains(l, " update-stack-set ") })]
		words, err := readmeCommand(strings.Replace(update, "update-stack-set --stack-set-name qbrole-provider", "update-stack --stack-name "+instance, 1))
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.Index(words, "--operation-preferences"); i >= 0 {
			words = slices.Delete(words, i, i+2)
		}
		aws.must(words[1:]...)
		// CodeS3Key, not passed, takes the new template's default ("If you
		// don't specify a key and value for a particular parameter,
		// CloudFormation uses the default value that's specified in your
		// template": Parameter, AWS CloudFormation API Reference,
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Parameter.html).
		if p := aws.must("cloudformation", "describe-stacks", "--stack-name", instance,
			"--query", "Stacks[0].Parameters[?ParameterKey=='CodeS3Key'].ParameterValue | [0]", "--output", "text"); p != key2 {
			t.Errorf("the stack's CodeS3Key after the README's update %s, want %s", p, key2)
		}
		// moto 5.2.1 updates a resource only when its template text or a
		// parameter passed to the update changed (moto/cloudformation/parsing.py,
		// ResourceMap.build_resource_diff): a changed default is neither, so
		// the function is updated here with the same key passed, which is what
		// CloudFormation resolves above.
		aws.must("cloudformation", "update-stack", "--stack-name", instance, "--use-previous-template", "--capabilities", "CAPABILITY_IAM",
			"--parameters", "ParameterKey=CodeS3BucketPrefix,UsePreviousValue=true", "ParameterKey=ServiceTokenExportName,UsePreviousValue=true",
			"ParameterKey=CodeS3Key,ParameterValue="+key2)
		sha2 := aws.must("lambda", "get-function", "--function-name", fnArn, "--query", "Configuration.CodeSha256", "--output", "text")
		if want := base64.StdEncoding.EncodeToString(sum[:]); sha2 != want || sha2 == sha1 {
			t.Errorf("the function's CodeSha256 after the update %s, want the new zip's %s (before: %s)", sha2, want, sha1)
		}
	})
}

// otherCode writes another dist/bootstrap.zip (the build's bootstrap and one
// more file, as a new version's code would differ) and returns it.
func otherCode(t *testing.T, dist string) []byte {
	t.Helper()
	bin, err := os.ReadFile(filepath.Join(dist, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"bootstrap": bin, "VERSION": []byte("next\n")} {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := z.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "bootstrap.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// codeKey is the default of CodeS3Key in the cli's dist/stackset.json, and
// the one file of dist/stackset-code, which must be that key.
func (c cli) codeKey() string {
	c.t.Helper()
	tpl := cfntemplate.MustLoad(c.t, filepath.Join(c.dir, "dist", "stackset.json"))
	key, _ := tpl["Parameters"].(map[string]any)["CodeS3Key"].(map[string]any)["Default"].(string)
	var files []string
	code := filepath.Join(c.dir, "dist", "stackset-code")
	filepath.WalkDir(code, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(code, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if len(files) != 1 || files[0] != key {
		c.t.Fatalf("dist/stackset-code holds %v, want only CodeS3Key's default %q", files, key)
	}
	return key
}

// bucketKeys lists a bucket's keys, sorted.
func (c cli) bucketKeys(bucket string) []string {
	c.t.Helper()
	return slices.Sorted(slices.Values(strings.Fields(c.must("s3api", "list-objects-v2", "--bucket", bucket, "--query", "Contents[].Key", "--output", "text"))))
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
