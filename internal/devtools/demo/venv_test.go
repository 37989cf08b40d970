//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

// On a machine whose python3 is externally managed (PEP 668: Debian 12,
// Ubuntu 24.04), `make demo` installs its Python tools into a virtual
// environment of the project's, never into the interpreter. The package index
// is not reachable here: the venv is seeded (PYTHON_SEED) with the
// site-packages of the moto that python3 on PATH has.
func TestDemoWithAnExternallyManagedPython(t *testing.T) {
	root, err := devenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	system := externallyManagedPython(t)
	seed := strings.TrimSpace(runOK(t, "", nil, "python3", "-c",
		"import moto, os; print(os.path.dirname(os.path.dirname(moto.__file__)))"))
	if minor(t, "python3") != minor(t, system) {
		t.Fatalf("the seed's python3 is %s, %s is %s: the seed must be of the same minor version", minor(t, "python3"), system, minor(t, system))
	}
	if out, err := exec.Command(system, "-c", "import moto").CombinedOutput(); err == nil {
		t.Fatalf("%s imports moto before the test: it cannot show that nothing is installed into it (%s)", system, out)
	}
	venv := filepath.Join(t.TempDir(), "venv")
	out := runOK(t, root, userPath(t, system), "make", "--no-print-directory", "demo",
		"PYTHON="+system, "VENV="+venv, "PYTHON_SEED="+seed)
	// Every step done; the service-linked role under IAM's name (the strict
	// layer's, not moto's AWSServiceRoleForqbusiness); each log line shown;
	// every other role type made with its page's statements, the data-source
	// role updated in place to the S3 document, and the made-up ids said so.
	for _, want := range []string{"Demo done: every step answered as CloudFormation expects.", "/AWSServiceRoleForQBusiness ",
		`--- log line: Outcome created, Changes ["role" "permissions policy"]`,
		"--- made up (the demo has no Q Business",
		"inline policy QBusinessDataSourcePolicy: AllowsAmazonQToIngestDocuments, AllowsAmazonQToIngestPrincipalMapping\n",
		`--- log line: Outcome updated, Changes ["description and session duration" "tags" "permissions policy"]`,
		"inline policy QBusinessDataSourcePolicy: AllowsAmazonQToGetObjectfromS3, AllowsAmazonQToListS3Buckets, AllowsAmazonQToIngestDocuments, AllowsAmazonQToCallPrincipalMappingAPIs\n",
		"inline policy QBusinessPluginPolicy: AllowQBusinessToGetSecretValue\n",
		"/service-role/qbusiness-demo-RetrieverRole-QBusiness-",
		"inline policy QBusinessRetrieverPolicy: KendraRetrieveAccess\n",
		`--- log line: Outcome deleted, Changes ["inline policy QBusinessRetrieverPolicy (deleted)" "role (deleted)"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("make demo's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "AWSServiceRoleForqbusiness ") {
		t.Errorf("make demo shows moto's name of the service-linked role:\n%s", out)
	}
	if v := runOK(t, "", nil, filepath.Join(venv, "bin", "python"), "-c",
		"import moto, sys; print(moto.__version__, sys.base_prefix != sys.prefix)"); strings.TrimSpace(v) != "5.2.1 True" {
		t.Errorf("the venv's moto: %q, want 5.2.1 in a virtual environment", v)
	}
	runOK(t, "", nil, filepath.Join(venv, "bin", "moto_server"), "--help")
	if v := runOK(t, "", nil, filepath.Join(venv, "bin", "cfn-lint"), "--version"); strings.TrimSpace(v) != "cfn-lint 1.51.0" {
		t.Errorf("the venv's cfn-lint --version: %q", v)
	}
	if out, err := exec.Command(system, "-c", "import moto").CombinedOutput(); err == nil {
		t.Errorf("%s imports moto after make demo: it was installed into the system interpreter (%s)", system, out)
	}
}

// externallyManagedPython is an interpreter whose standard library holds
// EXTERNALLY-MANAGED (PEP 668).
func externallyManagedPython(t *testing.T) string {
	t.Helper()
	candidates, _ := filepath.Glob("/usr/bin/python3*")
	for _, py := range candidates {
		out, err := exec.Command(py, "-c",
			"import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))").Output()
		if err == nil && strings.TrimSpace(string(out)) == "True" {
			return py
		}
	}
	t.Fatalf("no externally-managed python3 among %v: install Debian's or Ubuntu's python3 and python3-venv (apt-get install python3 python3-venv)", candidates)
	return ""
}

// userPath is the PATH of a user whose python3 is system: it comes first, and
// no directory holding moto_server or cfn-lint is left on it.
func userPath(t *testing.T, system string) []string {
	t.Helper()
	bin := t.TempDir()
	if err := os.Symlink(system, filepath.Join(bin, "python3")); err != nil {
		t.Fatal(err)
	}
	dirs := []string{bin}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if exists(filepath.Join(d, "moto_server")) || exists(filepath.Join(d, "cfn-lint")) {
			continue
		}
		dirs = append(dirs, d)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PATH", devenv.VenvEnv, "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+strings.Join(dirs, string(os.PathListSeparator)))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// minor is python's version, major.minor.
func minor(t *testing.T, python string) string {
	t.Helper()
	return strings.TrimSpace(runOK(t, "", nil, python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"))
}

// runOK runs name in dir with env (nil: this process's) and returns its output;
// it fails the test when the command fails.
func runOK(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
