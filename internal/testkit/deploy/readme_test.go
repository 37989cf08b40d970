package deploy

import (
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
