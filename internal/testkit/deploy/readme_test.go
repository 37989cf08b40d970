package deploy

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// root is the repository's root, seen from this package.
const root = "../../../"

// snippet is the README's CloudFormation example; the README shows this file.
const snippet = root + "examples/cloudformation/application.yaml"

func TestReadmeShowsTheCloudFormationSnippet(t *testing.T) {
	src, err := os.ReadFile(snippet)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(root + "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(src)+"```") {
		t.Error("the README's CloudFormation example is not examples/cloudformation/application.yaml (a ```yaml block)")
	}
}

// The README's sections whose ```sh blocks the tests run as written
// (package_test.go, stacksetcli_test.go).
const (
	sectionPackage  = "Without the SAM CLI (`aws cloudformation package` / `deploy`)"
	sectionStackSet = "StackSets: every account and region of an organisation"
)

// readmeShBlocks is the ```sh blocks of the README's section under the
// heading (any level) whose text is heading, up to the next heading, each as
// its command lines: one command a line, blank lines and comments dropped.
// Headings inside fenced blocks are not headings.
func readmeShBlocks(t *testing.T, heading string) [][]string {
	t.Helper()
	readme, err := os.ReadFile(root + "README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	in, fence, found := false, "", false
	for line := range strings.Lines(string(readme)) {
		line = strings.TrimRight(line, "\n")
		if fence != "" {
			if strings.TrimSpace(line) == "```" {
				fence = ""
				continue
			}
			if in && fence == "sh" {
				if cmd := strings.TrimSpace(line); cmd != "" && !strings.HasPrefix(cmd, "#") {
					blocks[len(blocks)-1] = append(blocks[len(blocks)-1], cmd)
				}
			}
			continue
		}
		if f, ok := strings.CutPrefix(strings.TrimSpace(line), "```"); ok {
			fence = f
			if fence == "" {
				fence = "text"
			}
			if in && fence == "sh" {
				blocks = append(blocks, nil)
			}
			continue
		}
		if text, ok := strings.CutPrefix(line, "#"); ok {
			text = strings.TrimLeft(text, "#")
			if strings.HasPrefix(text, " ") {
				if in {
					break
				}
				in = strings.TrimSpace(text) == heading
				found = found || in
			}
		}
	}
	if !found {
		t.Fatalf("README.md has no heading %q", heading)
	}
	return blocks
}

// readmeCommand splits one of the README's command lines into words. The
// lines are plain words separated by spaces: anything a shell would read
// otherwise (quotes, variables, pipes, redirections, globs, comments) is
// refused, so that the words are what a shell would run.
func readmeCommand(line string) ([]string, error) {
	if i := strings.IndexAny(line, "'\"\\$`|;&<>*?#(){}"); i >= 0 {
		return nil, fmt.Errorf("README command %q: %q is more than words for the tests to run", line, line[i])
	}
	return strings.Fields(line), nil
}

// Every command of the README's blocks that the tests run is `make` or `aws`
// in plain words, and the blocks are there: a README that lost a block, or
// whose command a shell would read otherwise, fails here, with Go only.
func TestReadmeDeployBlocks(t *testing.T) {
	for heading, want := range map[string]int{sectionPackage: 1, sectionStackSet: 2} {
		blocks := readmeShBlocks(t, heading)
		if len(blocks) != want {
			t.Errorf("%s: %d sh blocks, want %d", heading, len(blocks), want)
		}
		for _, b := range blocks {
			for _, line := range b {
				words, err := readmeCommand(line)
				if err != nil {
					t.Error(err)
				} else if words[0] != "make" && words[0] != "aws" {
					t.Errorf("%s: %q is neither make nor aws", heading, line)
				}
			}
		}
	}
}
