package qbrolecdk

import (
	"os"
	"strings"
	"testing"
)

func TestReadmeShowsTheConsumerApp(t *testing.T) {
	app, err := os.ReadFile(consumerApp)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(app)+"```") {
		t.Error("the README's CDK example is not testdata/consumer/main.go")
	}
}

// The README shows the snippets as they are in cdk/typescript and cdk/python.
func TestReadmeShowsTheSnippets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for file, lang := range map[string]string{"../typescript/app.ts": "ts", "../python/app.py": "python"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```"+lang+"\n"+string(src)+"```") {
			t.Errorf("the README does not show %s", file)
		}
	}
}

// consumerApp is the README's CDK example (the README shows this file; a test
// keeps them equal).
const consumerApp = "testdata/consumer/main.go"
