// Command testtally reads `go test -json` from standard input and fails a
// test tier that proves nothing: it exits 1 when a test or a package failed
// (or did not build), or when the tier ran no test at all, so that a suite
// which skipped everything never passes silently.
//
//	go test -json ./... | go run ./internal/devtools/testtally -tier fast
//
// It prints one line per package (tests passed, skipped, failed, elapsed),
// the whole output of each failed test, the skip reason of each skipped
// test, the output lines matching -show (figures some tests print), and a
// last line with the tier's totals.
//
// With -tags, the tier is one built with those build tags: it also fails
// unless every test that the tags add (the Test functions of the test files
// `go list -tags` lists and `go list` does not) passed, but those matching
// -except. So a suite of tagged tests that did not run, or skipped, fails
// the tier even when the untagged tests around it passed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of test2json's output (go doc test2json).
type event struct {
	Action  string
	Package string
	// ImportPath names the package of a build event (build-output, build-fail).
	ImportPath string
	Test       string
	Output     string
	Elapsed    float64
}

// pkgTally is what one package's tests did.
type pkgTally struct {
	passed, skipped, failed int
	result                  string // the package's own pass, fail or skip
	elapsed                 float64
	output                  map[string][]string // per test, until it ends
	skips                   []string
	buildFailed             bool
	passedTests             map[string]bool // top-level tests that passed
}

type tally struct {
	pkgs map[string]*pkgTally
	show *regexp.Regexp
	out  io.Writer
}

func main() {
	tier := flag.String("tier", "tests", "the tier's name, for the last line")
	show := flag.String("show", "", "print output lines matching this regular expression")
	tags := flag.String("tags", "", "the build tags of the tier: every test they add must pass")
	except := flag.String("except", "", "with -tags, tests (a regular expression) the tier leaves out on purpose")
	flag.Parse()
	var re, ex *regexp.Regexp
	if *show != "" {
		re = regexp.MustCompile(*show)
	}
	if *except != "" {
		ex = regexp.MustCompile(*except)
	}
	ok, err := run(os.Stdin, os.Stdout, *tier, re, tagCheck(".", *tags, ex))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testtally:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// tagCheck is the check of -tags: the tests the tags add to the tier's
// packages (as the go command in dir sees them) that did not pass; nil
// without tags.
func tagCheck(dir, tags string, except *regexp.Regexp) func(*tally, []string) ([]string, error) {
	if tags == "" {
		return nil
	}
	return func(t *tally, pkgs []string) ([]string, error) {
		tests, err := taggedTests(dir, pkgs, tags)
		if err != nil {
			return nil, err
		}
		return t.missingTagged(tests, except), nil
	}
}

// run reads the events from in, reports to out, and says whether the tier
// passed. check, when not nil, lists the tests that should have passed and
// did not.
func run(in io.Reader, out io.Writer, tier string, show *regexp.Regexp,
	check func(*tally, []string) ([]string, error)) (bool, error) {
	t := &tally{pkgs: map[string]*pkgTally{}, show: show, out: out}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			// Not an event: the build's own messages (a compile error).
			fmt.Fprintln(out, string(line))
			continue
		}
		t.add(ev)
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	var missing []string
	if check != nil {
		var err error
		if missing, err = check(t, t.names()); err != nil {
			fmt.Fprintf(out, "%s tier: FAILED: the tests of its build tags could not be listed\n", tier)
			return false, err
		}
	}
	// One verdict line, the last: make's recorder of figures waits for its
	// "ok".
	return t.report(tier, missing), nil
}

func (t *tally) pkg(name string) *pkgTally {
	p := t.pkgs[name]
	if p == nil {
		p = &pkgTally{output: map[string][]string{}, passedTests: map[string]bool{}}
		t.pkgs[name] = p
	}
	return p
}

func (t *tally) add(ev event) {
	if ev.Package == "" {
		// "pkg [pkg.test]", "pkg_test [pkg.test]" (its external tests) or
		// "pkg.test": the package whose test binary is built.
		ev.Package, _, _ = strings.Cut(ev.ImportPath, " ")
		ev.Package = strings.TrimSuffix(strings.TrimSuffix(ev.Package, ".test"), "_test")
	}
	p := t.pkg(ev.Package)
	switch ev.Action {
	case "build-output":
		fmt.Fprint(t.out, ev.Output)
	case "output":
		if t.show != nil && t.show.MatchString(ev.Output) {
			fmt.Fprint(t.out, ev.Output)
		}
		p.output[ev.Test] = append(p.output[ev.Test], ev.Output)
	case "build-fail":
		p.buildFailed = true
	case "pass", "fail", "skip":
		t.end(p, ev)
	}
}

// end counts a test (or the package, when ev.Test is empty) that ended.
func (t *tally) end(p *pkgTally, ev event) {
	if ev.Test == "" {
		p.result, p.elapsed = ev.Action, ev.Elapsed
		if ev.Action == "fail" && p.failed == 0 {
			// A failure outside any test (TestMain, a panic, a timeout).
			fmt.Fprintf(t.out, "--- FAIL %s\n%s", ev.Package, strings.Join(p.output[""], ""))
		}
		return
	}
	switch ev.Action {
	case "pass":
		p.passed++
		if !strings.Contains(ev.Test, "/") {
			p.passedTests[ev.Test] = true
		}
	case "skip":
		p.skipped++
		p.skips = append(p.skips, ev.Test+": "+lastLine(p.output[ev.Test]))
	case "fail":
		p.failed++
		if !strings.Contains(ev.Test, "/") {
			fmt.Fprintf(t.out, "--- FAIL %s %s\n%s", ev.Package, ev.Test, strings.Join(p.output[ev.Test], ""))
		}
	}
	delete(p.output, ev.Test)
}

// lastLine is the last non-empty output line of a test: a skip's reason.
func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "=== ") {
			return l
		}
	}
	return "(no reason given)"
}

// names are the packages of the stream, sorted.
func (t *tally) names() []string {
	names := make([]string, 0, len(t.pkgs))
	for n := range t.pkgs {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// report prints the tally, the tests of the tier's build tags that did not
// pass (missing), and the verdict; it says whether the tier passed.
func (t *tally) report(tier string, missing []string) bool {
	names := t.names()
	var passed, skipped, failed, broken int
	for _, n := range names {
		p := t.pkgs[n]
		passed, skipped, failed = passed+p.passed, skipped+p.skipped, failed+p.failed
		if p.result == "fail" || p.buildFailed {
			broken++
		}
		if p.passed+p.skipped+p.failed == 0 && p.result != "fail" {
			continue // no test files
		}
		fmt.Fprintf(t.out, "%-4s %s: %d passed, %d skipped, %d failed (%.1fs)\n",
			p.result, n, p.passed, p.skipped, p.failed, p.elapsed)
		for _, s := range p.skips {
			fmt.Fprintf(t.out, "     skipped %s\n", s)
		}
	}
	for _, m := range missing {
		fmt.Fprintf(t.out, "did not pass: %s\n", m)
	}
	ok := failed == 0 && broken == 0 && passed > 0 && len(missing) == 0
	verdict := "ok"
	switch {
	case failed > 0 || broken > 0:
		verdict = "FAILED"
	case passed == 0:
		verdict = "FAILED: the tier ran no test"
	case len(missing) > 0:
		verdict = fmt.Sprintf("FAILED: %d tests of its build tags did not pass", len(missing))
	}
	fmt.Fprintf(t.out, "%s tier: %d tests passed, %d skipped, %d failed, %d packages failed: %s\n",
		tier, passed, skipped, failed, broken, verdict)
	return ok
}
