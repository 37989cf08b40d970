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
	"regexp"
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

// citesAWS matches a comment that cites an AWS document by its guide.
var citesAWS = regexp.MustCompile(`User Guide|API Reference|Template Reference|Service Authorization Reference|Developer Guide`)

// A comment that cites AWS's documentation names the page with its URL, so
// that a reader of any clone can check it (not a file outside the
// repository): every comment group of every Go file in the repository,
// tests and test doubles included.
func TestCitationsNameTheirPage(t *testing.T) {
	out, err := exec.Command("git", "-C", "../../..", "ls-files", "*.go").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	files := strings.Fields(string(out))
	if len(files) < 50 {
		t.Fatalf("only %d Go files", len(files))
	}
	for _, f := range files {
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, filepath.Join("../../..", f), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range file.Comments {
			text := g.Text()
			if citesAWS.MatchString(text) && !strings.Contains(text, "https://") {
				t.Errorf("%s:%d: cites AWS without the page's URL: %.100q", f, fset.Position(g.Pos()).Line, text)
			}
		}
	}
}

// The only build constraint a test file may carry is the integration tier's
// tag, spelled exactly: a misspelled tag would take its tests out of both
// tiers without a sound (make integration checks that every test the tag
// adds passed, but a file the tag does not add is not among them).
func TestTestFilesCarryOnlyTheIntegrationTag(t *testing.T) {
	out, err := exec.Command("git", "-C", "../../..", "ls-files", "*_test.go").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	tagged := 0
	for _, f := range strings.Fields(string(out)) {
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join("../../..", f), nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range file.Comments {
			for _, c := range g.List {
				if !strings.HasPrefix(c.Text, "//go:build") && !strings.HasPrefix(c.Text, "// +build") {
					continue
				}
				if c.Text != "//go:build integration" {
					t.Errorf("%s: %q: the only build constraint of a test file is //go:build integration", f, c.Text)
				}
				tagged++
			}
		}
	}
	if tagged == 0 {
		t.Error("no test file carries //go:build integration")
	}
}

// No test file is left out of both tiers by its name either: the go command
// ignores a file whose name starts with _ or ., and builds one whose name
// ends in _GOOS, _GOARCH or _GOOS_GOARCH (before _test.go) only there. Every
// test file is built with the integration tag on this machine.
func TestEveryTestFileIsBuiltByATier(t *testing.T) {
	out, err := exec.Command("git", "-C", "../../..", "ls-files", "*_test.go").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	listed, err := exec.Command("go", "list", "-tags", "integration", "-f",
		`{{$d := .Dir}}{{range .TestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}`,
		"../../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	built := map[string]bool{}
	for _, f := range strings.Fields(string(listed)) {
		built[f] = true
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Fields(string(out))
	for _, f := range files {
		if !built[filepath.Join(root, f)] {
			t.Errorf("%s: no tier builds it (its name or a build constraint leaves it out)", f)
		}
	}
	if len(built) < len(files)/2 {
		t.Fatalf("go list found %d test files of %d", len(built), len(files))
	}
}
