// Package shape holds a test of the shipping code's shape: no file over
// maxFileLines lines and no function over maxFuncLines, in every package of
// this module that the Lambda's bootstrap or the CDK construct builds from.
package shape

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxFileLines = 350
	maxFuncLines = 60
	module       = "github.com/qbrole/qbrole"
)

// shippingDirs are the directories of this module's packages that ./lambda
// and ./cdk/... build from (go list -deps).
func shippingDirs(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Dir}}", "../../../lambda", "../../../cdk/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dirs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, _ := strings.Cut(l, " ")
		if path == module || strings.HasPrefix(path, module+"/") {
			dirs[path] = dir
		}
	}
	if len(dirs) < 4 {
		t.Fatalf("only %d packages of %s found: %v", len(dirs), module, dirs)
	}
	return dirs
}

func TestShippingCodeShape(t *testing.T) {
	for path, dir := range shippingDirs(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			name := path + "/" + filepath.Base(f)
			if n := fset.File(file.Pos()).LineCount(); n > maxFileLines {
				t.Errorf("%s: %d lines (at most %d)", name, n, maxFileLines)
			}
			for _, d := range file.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				if n > maxFuncLines {
					t.Errorf("%s: func %s: %d lines (at most %d)", name, fn.Name.Name, n, maxFuncLines)
				}
			}
		}
	}
}
