package devenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// VENV comes from make's command line only, never from the environment: a
// shell that exports VENV for some project of its own (a common name) would
// otherwise have make deps-python remake that venv (venv --clear, its
// packages gone) and make clean remove it.
func TestMakefileIgnoresVENVInTheEnvironment(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "their-venv")
	run := func(args ...string) string {
		cmd := exec.Command("make", append([]string{"--no-print-directory", "-n"}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "VENV="+theirs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for _, target := range []string{"clean", "deps-python"} {
		if out := run(target); strings.Contains(out, theirs) {
			t.Errorf("VENV=%s in the environment: make %s would act on it:\n%s", theirs, target, out)
		}
	}
	// On the command line, it is the venv to use.
	if out := run("deps-python", "VENV="+theirs); !strings.Contains(out, theirs) {
		t.Errorf("make deps-python VENV=%s does not use it:\n%s", theirs, out)
	}
}
