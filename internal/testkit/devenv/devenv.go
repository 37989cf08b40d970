// Package devenv finds what the tests and the demo run beside Go: the module's
// root, and the Python tools (moto's server, cfn-lint) in the project's
// virtual environment that `make deps-python` makes.
package devenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// VenvEnv names the virtual environment the Makefile's recipes use (it
// exports it): the tests they run take their Python tools from there.
const VenvEnv = "QBROLE_VENV"

// ModuleRoot is the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// PythonTool is the path of the command name (moto_server, cfn-lint): in the
// virtual environment named by QBROLE_VENV, else in the module's .venv, else
// on PATH. Its error says how to install it.
func PythonTool(name string) (string, error) {
	var venvs []string
	if v := os.Getenv(VenvEnv); v != "" {
		venvs = append(venvs, v)
	}
	if root, err := ModuleRoot(); err == nil {
		venvs = append(venvs, filepath.Join(root, ".venv"))
	}
	for _, v := range venvs {
		p := filepath.Join(v, "bin", name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in the project's virtual environment (%v) nor on PATH: run `make deps-python`", name, venvs)
}
