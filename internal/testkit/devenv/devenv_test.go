package devenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonTool(t *testing.T) {
	venv := t.TempDir()
	if err := os.Mkdir(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	tool := filepath.Join(venv, "bin", "qbrole-devenv-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := t.TempDir()
	if err := os.WriteFile(filepath.Join(onPath, "qbrole-devenv-tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, venv, path, want, wantErr string
	}{
		{"the venv before PATH", venv, onPath, tool, ""},
		{"PATH when the venv lacks it", t.TempDir(), onPath, filepath.Join(onPath, "qbrole-devenv-tool"), ""},
		{"nowhere", t.TempDir(), t.TempDir(), "", "run `make deps-python`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(VenvEnv, tc.venv)
			t.Setenv("PATH", tc.path)
			got, err := PythonTool("qbrole-devenv-tool")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("PythonTool = %q, %v; want an error saying %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("PythonTool = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testkit", "devenv")); err != nil {
		t.Errorf("ModuleRoot = %s, which does not hold this package: %v", root, err)
	}
}
