package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// listedPackage is what `go list -json` says of a package's test files.
type listedPackage struct {
	ImportPath   string
	Dir          string
	TestGoFiles  []string
	XTestGoFiles []string
}

// testFiles lists the test files of pkgs, built with tags, as the go
// command in dir sees them.
func testFiles(dir string, pkgs []string, tags string) (map[string]map[string]bool, map[string]string, error) {
	// -e: a package whose every file carries the tags lists no files
	// without them, instead of failing.
	args := []string{"list", "-e", "-json"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = withoutTagsInGOFLAGS(os.Environ())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go list: %w\n%s", err, stderr.String())
	}
	files, dirs := map[string]map[string]bool{}, map[string]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return nil, nil, err
		}
		files[p.ImportPath], dirs[p.ImportPath] = map[string]bool{}, p.Dir
		for _, f := range append(p.TestGoFiles, p.XTestGoFiles...) {
			files[p.ImportPath][f] = true
		}
	}
	return files, dirs, nil
}

// withoutTagsInGOFLAGS is env with any -tags taken out of GOFLAGS: build
// tags set there would make the listing without tags list the tagged files
// too, and the check vacuous.
func withoutTagsInGOFLAGS(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if flags, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			var keep []string
			fields := strings.Fields(flags)
			for i := 0; i < len(fields); i++ {
				f := fields[i]
				switch {
				case f == "-tags" || f == "--tags":
					i++ // and its value
				case strings.HasPrefix(f, "-tags=") || strings.HasPrefix(f, "--tags="):
				default:
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		out = append(out, kv)
	}
	return out
}

// taggedTests are the top-level tests, per package, of the test files that
// tags adds to pkgs: the tests only a tier built with tags runs.
func taggedTests(dir string, pkgs []string, tags string) (map[string][]string, error) {
	plain, _, err := testFiles(dir, pkgs, "")
	if err != nil {
		return nil, err
	}
	tagged, dirs, err := testFiles(dir, pkgs, tags)
	if err != nil {
		return nil, err
	}
	tests := map[string][]string{}
	for pkg, files := range tagged {
		for f := range files {
			if plain[pkg][f] {
				continue
			}
			names, err := testNames(filepath.Join(dirs[pkg], f))
			if err != nil {
				return nil, err
			}
			tests[pkg] = append(tests[pkg], names...)
		}
		sort.Strings(tests[pkg])
	}
	return tests, nil
}

// testNames are the Test functions of a file, as `go test` finds them.
func testNames(file string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if ok && fn.Recv == nil && isTest(fn.Name.Name) && takesT(fn) {
			names = append(names, fn.Name.Name)
		}
	}
	return names, nil
}

// takesT reports whether fn's one parameter is a *testing.T (TestMain takes
// a *testing.M and is no test).
func takesT(fn *ast.FuncDecl) bool {
	params := fn.Type.Params.List
	if len(params) != 1 || len(params[0].Names) > 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	switch x := star.X.(type) {
	case *ast.SelectorExpr: // *testing.T, or testing imported under another name
		return x.Sel.Name == "T"
	case *ast.Ident: // *T, testing imported with a dot
		return x.Name == "T"
	}
	return false
}

// isTest reports whether name names a test ("Test", then not a lower-case
// letter), as the testing package's documentation says.
func isTest(name string) bool {
	rest, ok := strings.CutPrefix(name, "Test")
	return ok && (rest == "" || !('a' <= rest[0] && rest[0] <= 'z'))
}

// missingTagged are the tests the tag adds that did not pass in the tally
// (not run, skipped or failed), but those except matches (the tests the
// tier leaves to another, as -skip does).
func (t *tally) missingTagged(tests map[string][]string, except *regexp.Regexp) []string {
	var missing []string
	for pkg, names := range tests {
		p := t.pkgs[pkg]
		for _, n := range names {
			if except != nil && except.MatchString(n) {
				continue
			}
			if p == nil || !p.passedTests[n] {
				missing = append(missing, pkg+" "+n)
			}
		}
	}
	sort.Strings(missing)
	return missing
}
