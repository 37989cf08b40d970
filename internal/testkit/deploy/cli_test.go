//go:build integration

package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// built is a directory holding dist/ as `make package stackset` writes it.
var built string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qbrole-deploy-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("make", "-s", "package", "stackset", "DIST="+filepath.Join(dir, "dist"))
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "make package stackset (needs go, python3 with cfn-lint, make): %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	built = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the aws CLI in a directory holding a copy of dist/, against one
// moto server of its own (S3, CloudFormation, Lambda, IAM, Logs on one port),
// so that the README's commands run as written and the checkout stays clean.
type cli struct {
	t    *testing.T
	aws  string // the aws CLI's path
	dir  string
	moto *motoserver.Server
	env  []string // more environment, such as another account's credentials
}

func newCLI(t *testing.T) cli {
	t.Helper()
	aws, err := devenv.PythonTool("aws")
	if err != nil {
		t.Fatal(err)
	}
	s, err := motoserver.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-R", filepath.Join(built, "dist"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying dist: %v\n%s", err, out)
	}
	return cli{t: t, aws: aws, dir: dir, moto: s}
}

// run runs `aws args...` with moto's endpoint and dummy credentials only.
func (c cli) run(args ...string) (string, error) {
	cmd := exec.Command(c.aws, args...)
	cmd.Dir = c.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, c.moto.Env()...), c.env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c cli) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// codeBucket holds dist/stackset-code (the code under the key of
// stackset.json's CodeS3Key) in the bucket <prefix>-us-east-1, as the
// README's StackSets section has the user do in each region.
func (c cli) codeBucket(prefix string) {
	c.t.Helper()
	c.must("s3", "mb", "s3://"+prefix+"-us-east-1")
	c.must("s3", "sync", "dist/stackset-code", "s3://"+prefix+"-us-east-1")
}

// createStack creates a stack from a template file with Key=Value parameters.
func (c cli) createStack(name, template string, params ...string) (string, error) {
	args := []string{"cloudformation", "create-stack", "--stack-name", name, "--template-body", "file://" + template,
		"--capabilities", "CAPABILITY_IAM", "--query", "StackId", "--output", "text"}
	if len(params) > 0 {
		args = append(args, "--parameters")
		for _, p := range params {
			k, v, _ := strings.Cut(p, "=")
			args = append(args, "ParameterKey="+k+",ParameterValue="+v)
		}
	}
	return c.run(args...)
}

func (c cli) stackStatus(name string) string {
	c.t.Helper()
	return c.must("cloudformation", "describe-stacks", "--stack-name", name, "--query", "Stacks[0].StackStatus", "--output", "text")
}

// export is the value of the export of that name, "" when there is none.
func (c cli) export(name string) string {
	c.t.Helper()
	out := c.must("cloudformation", "list-exports", "--query", fmt.Sprintf("Exports[?Name=='%s'].Value | [0]", name), "--output", "text")
	if out == "None" {
		return ""
	}
	return out
}

// script runs one of the README's ```sh blocks (readmeShBlocks) in the cli's
// directory, line by line, after replacing each old with its new (the
// README's placeholders with the test's values), and stops at the first line
// that fails: it returns that line (replaced) and its output, "" when every
// line ran.
// An `aws …` line runs through run (moto's endpoint, dummy credentials). A
// `make package` line was run by TestMain (the cli's dist/ is a copy of its
// output); a `make stackset` line runs `make stackset-code` on the cli's
// dist/, which makes stackset.json and stackset-code/ from the bootstrap.zip
// there (TestMain's build, or a test's other code); any other make line
// fails the test.
func (c cli) script(block []string, oldnew ...string) (failed, out string) {
	c.t.Helper()
	r := strings.NewReplacer(oldnew...)
	for _, line := range block {
		line = r.Replace(line)
		words, err := readmeCommand(line)
		if err != nil {
			c.t.Fatal(err)
		}
		switch strings.Join(words, " ") {
		case "make package":
			continue
		case "make stackset":
			mk := exec.Command("make", "-s", "stackset-code", "DIST="+filepath.Join(c.dir, "dist"))
			mk.Dir = root
			if out, err := mk.CombinedOutput(); err != nil {
				c.t.Fatalf("make stackset-code: %v\n%s", err, out)
			}
			continue
		}
		if words[0] != "aws" {
			c.t.Fatalf("README command %q: the tests run only aws, make package and make stackset", line)
		}
		if out, err := c.run(words[1:]...); err != nil {
			return line, out
		}
	}
	return "", ""
}
