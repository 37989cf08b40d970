//go:build integration

package devenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tools/venv.sh (make deps-python) keeps a venv only while it is of the
// interpreter PYTHON names and still runs: a venv another interpreter made
// (the user's first `make demo` with python3, a second with
// PYTHON=/usr/bin/python3, or the other way round) or whose interpreter is
// gone is made again; and a directory that is not a venv is refused, never
// removed.
func TestVenvScriptFollowsPYTHON(t *testing.T) {
	tools, system, seed := interpreters(t)
	venvSh := func(venv, python, seed string) (string, error) { return venvScript(t, "", python, venv, seed) }
	venv := filepath.Join(t.TempDir(), "venv")
	py := filepath.Join(venv, "bin", "python")

	if out, err := venvSh(venv, system, seed); err != nil {
		t.Fatalf("venv of %s seeded with %s: %v\n%s", system, seed, err, out)
	}
	if got := base(t, py); got != base(t, system) {
		t.Fatalf("the venv runs on %s, want %s", got, base(t, system))
	}

	// PYTHON changed.
	if out, err := venvSh(venv, tools, ""); err != nil {
		t.Fatalf("again with %s: %v\n%s", tools, err, out)
	}
	if got := base(t, py); got != base(t, tools) {
		t.Errorf("PYTHON=%s: the venv still runs on %s, want %s", tools, got, base(t, tools))
	}

	// The venv's interpreter gone (removed, or upgraded by the system).
	links, _ := filepath.Glob(filepath.Join(venv, "bin", "python*"))
	for _, l := range links {
		if err := os.Remove(l); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/nonexistent/bin/python3", l); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := venvSh(venv, tools, ""); err != nil {
		t.Errorf("a venv whose interpreter is gone: %v\n%s", err, out)
	} else if got := base(t, py); got != base(t, tools) {
		t.Errorf("a venv whose interpreter is gone: it runs on %s, want %s", got, base(t, tools))
	}

	// VENV names a directory that is not a venv, and that holds more.
	other := t.TempDir()
	keep := filepath.Join(other, "keep")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(other, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent/bin/python3", filepath.Join(other, "bin", "python3")); err != nil {
		t.Fatal(err)
	}
	out, err := venvSh(other, tools, "")
	if err == nil || !strings.Contains(out, "is not a virtual environment") {
		t.Errorf("VENV a directory that is no venv: %v, want a refusal\n%s", err, out)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("VENV a directory that is no venv: its file is gone: %v", err)
	}
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// base is the installation python runs on (sys.base_prefix) and its version.
func base(t *testing.T, python string) string {
	t.Helper()
	out, err := exec.Command(python, "-c", "import sys; print(sys.base_prefix, sys.version.split()[0])").Output()
	if err != nil {
		return "(does not run: " + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func minor(python string) string {
	out, _ := exec.Command(python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	return strings.TrimSpace(string(out))
}

// PYTHON_SEED as a user may give it, relative to where make runs, seeds the
// venv (a relative path in a .pth file would be read relative to the venv's
// site-packages, and the seed ignored); and a venv made from a seed that has
// since lost its packages is not taken as done: tools/venv.sh either fails
// or leaves tools that run, never succeeds over a cfn-lint that cannot start.
func TestVenvScriptSeedRelativeAndGone(t *testing.T) {
	_, system, seed := interpreters(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "seed")
	if err := os.Symlink(seed, link); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(dir, "venv")
	venvSh := func() (string, error) { return venvScript(t, dir, system, venv, "seed") }
	if out, err := venvSh(); err != nil {
		t.Fatalf("PYTHON_SEED=seed (relative): %v\n%s", err, out)
	}
	if got := run(t, filepath.Join(venv, "bin", "python"), "-c", "import moto; print(moto.__file__)"); !strings.HasPrefix(got, link+"/") && !strings.HasPrefix(got, seed+"/") {
		t.Errorf("the venv's moto is %s, not the seed's", got)
	}

	// The seed's packages gone, the directory still there.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(link, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := venvSh(); err == nil {
		if v, err := exec.Command(filepath.Join(venv, "bin", "cfn-lint"), "--version").CombinedOutput(); err != nil {
			t.Errorf("deps-python succeeded, but cfn-lint does not run: %v\n%s\n%s", err, out, v)
		}
	}
}

// A seed of another Python minor version is refused at once, naming both
// versions, before anything is installed (its compiled modules would fail
// later, with an ImportError that says nothing of the seed).
func TestVenvScriptRefusesASeedOfAnotherMinorVersion(t *testing.T) {
	seed := filepath.Join(t.TempDir(), "lib", "python3.2", "site-packages")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(t.TempDir(), "venv")
	out, err := venvScript(t, "", lookPath(t, "python3"), venv, seed)
	if err == nil || !strings.Contains(string(out), "is for Python 3.2, the venv's is "+minor(lookPath(t, "python3"))) {
		t.Errorf("venv.sh with a Python 3.2 seed: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "moto_server")); err == nil {
		t.Error("tools were installed from a seed of another version")
	}
}

// interpreters are two Python interpreters of one minor version: python3 on
// PATH, which has the pinned tools (its site-packages, seed, can seed a
// venv), and another under /usr/bin (Debian's or Ubuntu's, externally
// managed), which has not.
func interpreters(t *testing.T) (tools, system, seed string) {
	t.Helper()
	tools = lookPath(t, "python3")
	seed = strings.TrimSpace(run(t, tools, "-c", "import moto, os; print(os.path.dirname(os.path.dirname(moto.__file__)))"))
	candidates, _ := filepath.Glob("/usr/bin/python3.*[0-9]")
	for _, py := range candidates {
		if base(t, py) != base(t, tools) && minor(py) == minor(tools) {
			system = py
		}
	}
	if system == "" {
		t.Fatalf("no /usr/bin/python3.N of python3's minor version (%s) other than it: install Debian's or Ubuntu's python3 and python3-venv", minor(tools))
	}
	return tools, system, seed
}

// venvScript runs tools/venv.sh in dir ("": the test's) as make deps-python
// does, with the versions the Makefile pins.
func venvScript(t *testing.T, dir, python, venv, seed string) (string, error) {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{python, venv}
	for _, name := range []string{"MOTO_VERSION", "CFNLINT_VERSION", "AWSCLI_VERSION"} {
		m := regexp.MustCompile(`(?m)^` + name + `\s*:=\s*(\S+)$`).FindSubmatch(makefile)
		if m == nil {
			t.Fatalf("the Makefile pins no %s", name)
		}
		args = append(args, string(m[1]))
	}
	cmd := exec.Command(filepath.Join(root, "tools", "venv.sh"), append(args, seed)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
