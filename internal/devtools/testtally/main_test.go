package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	const (
		pass = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"figure: 3 of 3\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.1}
{"Action":"pass","Package":"p","Elapsed":0.2}
`
		skipOnly = `{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: moto_server not found\n"}
{"Action":"skip","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Elapsed":0.2}
`
		noTestFiles = `{"Action":"output","Package":"q","Output":"?   \tq\t[no test files]\n"}
{"Action":"skip","Package":"q","Elapsed":0}
`
		fail = `{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:3: got 1, want 2\n"}
{"Action":"fail","Package":"p","Test":"TestA"}
{"Action":"fail","Package":"p","Elapsed":0.2}
`
		failOutsideTests = `{"Action":"output","Package":"p","Output":"panic: TestMain: moto did not start\n"}
{"Action":"fail","Package":"p","Elapsed":0.2}
`
		buildFail = `{"ImportPath":"p [p.test]","Action":"build-output","Output":"./a_test.go:3:28: undefined: x\n"}
{"ImportPath":"p [p.test]","Action":"build-fail"}
{"Action":"fail","Package":"p","Elapsed":0,"FailedBuild":"p [p.test]"}
`
	)
	cases := []struct {
		name   string
		in     string
		ok     bool
		output []string
	}{
		{"a test passed", pass, true, []string{"figure: 3 of 3", "pass p: 1 passed, 0 skipped, 0 failed", "tier: 1 tests passed"}},
		{"every test skipped", skipOnly, false, []string{"skipped TestA: a_test.go:9: moto_server not found", "the tier ran no test"}},
		{"no test files at all", noTestFiles, false, []string{"the tier ran no test"}},
		{"no test files beside a passing package", noTestFiles + pass, true, []string{"tier: 1 tests passed"}},
		{"a test failed", pass + fail, false, []string{"--- FAIL p TestA", "got 1, want 2", "FAILED"}},
		{"the package failed outside its tests", failOutsideTests, false, []string{"--- FAIL p", "moto did not start", "1 packages failed"}},
		{"the test binary did not build", buildFail, false, []string{"undefined: x", "1 packages failed"}},
		{"not JSON is passed through", "# p\n" + pass, true, []string{"# p"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			ok, err := run(strings.NewReader(c.in), &out, "unit", regexp.MustCompile(`^figure`), nil)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Errorf("ok = %v, want %v\n%s", ok, c.ok, out.String())
			}
			for _, w := range c.output {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
