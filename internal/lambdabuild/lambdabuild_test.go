package lambdabuild_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/lambdabuild"
)

// command is the command that builds with the recipe for the Makefile.
const command = "./internal/devtools/build"

// The Makefile's builds (make build, sam build's makefile method) go through
// this recipe, and the Makefile spells none of it itself.
func TestMakefileUsesTheRecipe(t *testing.T) {
	raw, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	makefile := string(raw)
	if !strings.Contains(makefile, "BUILD_LAMBDA := GO=$(GO) $(GO) run "+command+"\n") {
		t.Error("Makefile has no BUILD_LAMBDA running " + command)
	}
	for _, target := range []string{"$(DIST)/bootstrap", `"$(ARTIFACTS_DIR)/bootstrap"`} {
		if !strings.Contains(makefile, "\t$(BUILD_LAMBDA) "+target+"\n") {
			t.Errorf("Makefile does not build %s with the recipe", target)
		}
	}
	for _, part := range append(append([]string{}, lambdabuild.Flags...), lambdabuild.TargetEnv...) {
		if part != "-tags" && strings.Contains(makefile, part) {
			t.Errorf("Makefile spells %q itself", part)
		}
	}
	if lambdabuild.Package != "./lambda" {
		t.Errorf("package %s", lambdabuild.Package)
	}
}

// What make build and sam build run gives a linux/arm64 executable.
func TestBuildCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "run", command, out)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", command, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an arm64 executable", f.Machine, f.Type)
	}
	usage := exec.Command("go", "run", command)
	usage.Dir = "../.."
	if err := usage.Run(); err == nil {
		t.Error(command + " without an output path succeeded")
	}
}

// `sam build` builds the function as its makefile method does: it copies the
// CodeUri directory (template.yaml's CodeUri: ., the checkout) to a scratch
// directory and runs `make build-QBusinessRoleFunction` there, with
// ARTIFACTS_DIR in the environment naming where the code must be put (AWS SAM
// Developer Guide, "Building Lambda functions with custom runtimes in AWS
// SAM", https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html;
// aws-lambda-builders, workflows/custom_make/actions.py, CustomMakeAction:
// ARTIFACTS_DIR set in the environment, make run in the scratch directory).
// The SAM CLI is not installed here; this is its build step as it runs it.
func TestSAMBuildsTheFunctionWithTheMakefile(t *testing.T) {
	files, err := exec.Command("git", "-C", "../..", "ls-files").Output()
	if err != nil {
		t.Fatal(err)
	}
	scratch, artifacts := t.TempDir(), t.TempDir()
	for _, f := range strings.Fields(string(files)) {
		src, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			continue // deleted in the work tree, not yet in git
		}
		dst := filepath.Join(scratch, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("make", "--makefile", filepath.Join(scratch, "Makefile"), "build-QBusinessRoleFunction")
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "ARTIFACTS_DIR="+artifacts, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build-QBusinessRoleFunction: %v\n%s", err, out)
	}
	f, err := elf.Open(filepath.Join(artifacts, "bootstrap"))
	if err != nil {
		t.Fatalf("sam build would find no bootstrap in ARTIFACTS_DIR: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an arm64 executable", f.Machine, f.Type)
	}
}
