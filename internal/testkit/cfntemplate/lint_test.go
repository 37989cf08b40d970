//go:build integration

package cfntemplate_test

import (
	"os/exec"
	"testing"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

func TestSAMTemplateLints(t *testing.T) {
	lint, err := devenv.PythonTool("cfn-lint")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(lint, samTemplate).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
