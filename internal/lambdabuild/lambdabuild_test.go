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
