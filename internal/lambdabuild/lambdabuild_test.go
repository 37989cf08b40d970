package lambdabuild_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/qbrole/qbrole/internal/lambdabuild"
)

// The Makefile's recipe (make build, sam build's makefile method) is this one.
func TestMakefileAgrees(t *testing.T) {
	raw, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*:=\s*(.*)$`).FindSubmatch(raw)
		if m == nil {
			t.Fatalf("Makefile has no %s", name)
		}
		return strings.TrimSpace(string(m[1]))
	}
	if got, want := get("LAMBDA_ENV"), strings.Join(lambdabuild.TargetEnv, " "); got != want {
		t.Errorf("LAMBDA_ENV %q, want %q", got, want)
	}
	flags := strings.ReplaceAll(strings.Join(lambdabuild.Flags, " "), "-ldflags=-s -w -buildid=", "-ldflags='-s -w -buildid='")
	if got := get("LAMBDA_FLAGS"); got != flags {
		t.Errorf("LAMBDA_FLAGS %q, want %q", got, flags)
	}
	for _, target := range []string{"$(DIST)/bootstrap ./lambda", `"$(ARTIFACTS_DIR)/bootstrap" ./lambda`} {
		if !strings.Contains(string(raw), "$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "+target) {
			t.Errorf("Makefile does not build %s with the recipe", target)
		}
	}
	if lambdabuild.Package != "./lambda" {
		t.Errorf("package %s", lambdabuild.Package)
	}
}
