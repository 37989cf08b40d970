//go:build integration

package qbrolecdk

import (
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/cfntemplate"
)

// A user's own CDK app, in its own module, synthesizes the README's example
// with the construct taken from a replace to a checkout, and from a read-only
// copy (as the module cache holds it): local bundling builds the function with
// this module's go.mod and go.sum, whatever the app's go.sum covers.
func TestConsumerModuleSynthesizes(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readOnly := readOnlyCopy(t, root)
	for _, c := range []struct{ name, module string }{{"replace to a checkout", root}, {"read-only module source", readOnly}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := os.ReadFile(consumerApp)
			if err != nil {
				t.Fatal(err)
			}
			goMod := "module example.com/consumer\n\ngo 1.26.6\n\nrequire github.com/qbrole/qbrole v0.0.0\n\nreplace github.com/qbrole/qbrole => " + c.module + "\n"
			for name, body := range map[string][]byte{"main.go": app, "go.mod": []byte(goMod)} {
				if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run := func(args ...string) {
				t.Helper()
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "CDK_OUTDIR="+filepath.Join(dir, "cdk.out"), "GOWORK=off", "GOFLAGS=-buildvcs=false")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			run("mod", "tidy")
			// A go.sum that covers only what the app's program imports (as the
			// issue's user had): the Lambda's own dependencies may be missing.
			sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, line := range strings.SplitAfter(string(sum), "\n") {
				if !strings.Contains(line, "aws-sdk-go-v2/credentials ") || strings.Contains(line, "/go.mod ") {
					kept = append(kept, line)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(kept, "")), 0o644); err != nil {
				t.Fatal(err)
			}
			run("run", ".")
			tpl, err := cfntemplate.Load(filepath.Join(dir, "cdk.out", "Assistant.template.json"))
			if err != nil {
				t.Fatal(err)
			}
			checkConsumerRoles(t, tpl)
			if len(tpl.Resources("AWS::QBusiness::Application")) != 1 || len(tpl.Resources("AWS::Lambda::Function")) != 1 {
				t.Error("the application or the provider function is missing")
			}
			checkIdentitySetup(t, tpl, "the README's Go example")
			boots, _ := filepath.Glob(filepath.Join(dir, "cdk.out", "asset.*", "bootstrap"))
			if len(boots) != 1 {
				t.Fatalf("bootstrap assets %v", boots)
			}
			f, err := elf.Open(boots[0])
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("bootstrap for %v, want arm64", f.Machine)
			}
		})
	}
}

// checkConsumerRoles checks the example's two roles: the application's, with
// its tag, and the data-source role, of the application's and its index's
// ids (their attributes), whose ARN the data source takes.
func checkConsumerRoles(t *testing.T, tpl cfntemplate.Template) {
	t.Helper()
	byRoleType := map[any]string{}
	for _, id := range tpl.Resources(ResourceType) {
		byRoleType[tpl.Props(id)["RoleType"]] = id
	}
	appRole, docsRole := byRoleType[nil], byRoleType[string(DataSourceRole)]
	if len(byRoleType) != 2 || appRole == "" || docsRole == "" {
		t.Fatalf("custom resources by RoleType %v: want the application role (no RoleType) and a DataSourceRole", byRoleType)
	}
	if cfntemplate.Lookup(tpl.Props(appRole), "Tags", 0, "Key") != "team" {
		t.Errorf("application role's properties %v", tpl.Props(appRole))
	}
	getAtt := func(id, attr string) any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
	props := tpl.Props(docsRole)
	if !reflect.DeepEqual(props["ApplicationId"], getAtt("Application", "ApplicationId")) || !reflect.DeepEqual(props["IndexId"], getAtt("Index", "IndexId")) {
		t.Errorf("data-source role's properties %v: want the application's and the index's ids", props)
	}
	sources := tpl.Resources("AWS::QBusiness::DataSource")
	if len(sources) != 1 || !reflect.DeepEqual(tpl.Props(sources[0])["RoleArn"], getAtt(docsRole, "Arn")) {
		t.Errorf("data sources %v: want one whose RoleArn is %s's Arn", sources, docsRole)
	}
}

// readOnlyCopy copies the module's tracked source to a directory without
// write permission.
func readOnlyCopy(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "qbrole@v0.0.0")
	for _, f := range strings.Fields(string(out)) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	var dirs []string
	_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for _, d := range dirs {
		_ = os.Chmod(d, 0o555)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			_ = os.Chmod(d, 0o755)
		}
	})
	return dst
}
