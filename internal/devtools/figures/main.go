// Command figures keeps docs/FIGURES.md current: it copies its standard input
// to its standard output and, when the input shows the run passed, writes the
// lines that match -match into the document's block for -section, dated:
//
//	<!-- figures:SECTION begin -->
//	…replaced on each passing run…
//	<!-- figures:SECTION end -->
//
// make integration, make model, make bench and make mutate pipe their output
// through it. A block that is missing is an error, so a renamed section
// cannot silently stop being kept.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

func main() {
	doc := flag.String("doc", "docs/FIGURES.md", "the document")
	section := flag.String("section", "", "the block's name")
	match := flag.String("match", ".", "record the lines matching this regular expression")
	passed := flag.String("passed", "", "record only when a line matches this regular expression (empty: always)")
	flag.Parse()
	if *section == "" {
		fmt.Fprintln(os.Stderr, "figures: -section is required")
		os.Exit(2)
	}
	lines, ok, err := copyLines(os.Stdin, os.Stdout, regexp.MustCompile(*match), *passed)
	if err == nil && ok {
		err = record(*doc, *section, lines, time.Now())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "figures:", err)
		os.Exit(1)
	}
}

// copyLines copies in to out, and returns the lines matching match and
// whether a line matched passed (true when passed is empty).
func copyLines(in io.Reader, out io.Writer, match *regexp.Regexp, passed string) ([]string, bool, error) {
	var pass *regexp.Regexp
	if passed != "" {
		pass = regexp.MustCompile(passed)
	}
	ok := pass == nil
	var lines []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		l := sc.Text()
		fmt.Fprintln(out, l)
		if match.MatchString(l) {
			lines = append(lines, l)
		}
		if pass != nil && pass.MatchString(l) {
			ok = true
		}
	}
	return lines, ok, sc.Err()
}

// record replaces the block of section in the document at path.
func record(path, section string, lines []string, now time.Time) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := replaceBlock(raw, section, lines, now)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, updated, 0o644)
}

// replaceBlock is doc with section's block holding lines, dated now (UTC).
func replaceBlock(doc []byte, section string, lines []string, now time.Time) ([]byte, error) {
	begin := []byte("<!-- figures:" + section + " begin -->\n")
	end := []byte("<!-- figures:" + section + " end -->")
	i := bytes.Index(doc, begin)
	j := bytes.Index(doc, end)
	if i < 0 || j < i {
		return nil, errors.New("no block " + string(begin[:len(begin)-1]) + " … " + string(end))
	}
	if bytes.Count(doc, begin) > 1 || bytes.Count(doc, end) > 1 || bytes.Contains(doc[i+len(begin):j], []byte("<!-- figures:")) {
		return nil, errors.New("the block " + string(begin[:len(begin)-1]) + " is there more than once, or holds another")
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	fmt.Fprintf(&b, "Last run %s:\n\n```\n", now.UTC().Format("2006-01-02 15:04 MST"))
	for _, l := range lines {
		b.WriteString(strings.TrimRight(l, " \t") + "\n")
	}
	b.WriteString("```\n")
	b.Write(doc[j:])
	return b.Bytes(), nil
}
