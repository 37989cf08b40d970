package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A module with one untagged test and two tagged ones, in two files.
func taggedModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module m\n\ngo 1.26\n",
		"p/p.go":          "package p\n",
		"p/plain_test.go": "package p\n\nimport \"testing\"\n\nfunc TestPlain(t *testing.T) {}\n",
		"p/moto_test.go": "//go:build integration\n\npackage p_test\n\nimport \"testing\"\n\n" +
			"func TestMain(m *testing.M) { m.Run() }\n\nfunc TestAgainstMoto(t *testing.T) {}\n\nfunc TestModel(t *testing.T) {}\n\n" +
			"func Testament() {}\n\nfunc helper(t *testing.T) {}\n\nfunc TestNotOne(b *testing.B) {}\n",
		// A package of tagged files only, testing imported with a dot.
		"e2e/e2e_test.go": "//go:build integration\n\npackage e2e\n\nimport . \"testing\"\n\nfunc TestDot(t *T) {}\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTaggedTestsMustPass(t *testing.T) {
	dir := taggedModule(t)
	ev := func(action, test string) string {
		return `{"Action":"` + action + `","Package":"m/p","Test":"` + test + `"}` + "\n"
	}
	end := `{"Action":"pass","Package":"m/p","Elapsed":0.1}` + "\n" +
		`{"Action":"pass","Package":"m/e2e","Test":"TestDot"}` + "\n" + `{"Action":"pass","Package":"m/e2e","Elapsed":0.1}` + "\n"
	t.Setenv("GOFLAGS", "-tags=integration -mod=mod") // as if a developer's environment set the tag
	cases := []struct {
		name    string
		in      string
		except  string
		ok      bool
		missing []string
	}{
		{"every tagged test passed", ev("pass", "TestPlain") + ev("pass", "TestAgainstMoto") + ev("pass", "TestModel") + end, "", true, nil},
		{"the tagged tests did not run (the untagged one passed)", ev("pass", "TestPlain") + end, "", false,
			[]string{"m/p TestAgainstMoto", "m/p TestModel"}},
		{"a tagged test skipped", ev("pass", "TestPlain") + ev("skip", "TestAgainstMoto") + ev("pass", "TestModel") + end, "", false,
			[]string{"m/p TestAgainstMoto"}},
		{"a test left out on purpose", ev("pass", "TestPlain") + ev("pass", "TestAgainstMoto") + end, "^TestModel$", true, nil},
		{"only a subtest of it passed", ev("pass", "TestPlain") + ev("pass", "TestAgainstMoto/sub") + ev("pass", "TestModel") + end, "", false,
			[]string{"m/p TestAgainstMoto"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var except *regexp.Regexp
			if c.except != "" {
				except = regexp.MustCompile(c.except)
			}
			var out strings.Builder
			ok, err := run(strings.NewReader(c.in), &out, "integration", nil, tagCheck(dir, "integration", except))
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Errorf("ok = %v, want %v\n%s", ok, c.ok, out.String())
			}
			for _, m := range c.missing {
				if !strings.Contains(out.String(), "did not pass: "+m+"\n") {
					t.Errorf("output does not name %s:\n%s", m, out.String())
				}
			}
			if strings.Count(out.String(), "did not pass: ") != len(c.missing) {
				t.Errorf("want exactly %v missing:\n%s", c.missing, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			last := lines[len(lines)-1]
			if strings.HasSuffix(last, ": ok") != c.ok || strings.Count(out.String(), "integration tier:") != 1 {
				t.Errorf("the verdict must be the one last line, ok=%v:\n%s", c.ok, out.String())
			}
		})
	}
}

func TestWithoutTagsInGOFLAGS(t *testing.T) {
	cases := map[string]string{
		"GOFLAGS=-tags=integration -mod=mod":       "GOFLAGS=-mod=mod",
		"GOFLAGS=-mod=mod -tags integration -race": "GOFLAGS=-mod=mod -race",
		"GOFLAGS=--tags=a,b":                       "GOFLAGS=",
		"GOFLAGS=-buildvcs=false":                  "GOFLAGS=-buildvcs=false",
		"HOME=/root":                               "HOME=/root",
	}
	for in, want := range cases {
		if got := withoutTagsInGOFLAGS([]string{in}); len(got) != 1 || got[0] != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestIsTest(t *testing.T) {
	for name, want := range map[string]bool{"Test": true, "TestX": true, "Test_x": true, "Test1": true, "Testament": false, "TesT": false, "BenchmarkX": false} {
		if isTest(name) != want {
			t.Errorf("isTest(%q) = %v", name, !want)
		}
	}
}
