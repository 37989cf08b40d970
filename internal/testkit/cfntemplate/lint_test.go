//go:build integration

package cfntemplate_test

import (
	"os/exec"
	"testing"
)

func TestSAMTemplateLints(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found; make test installs it with pip")
	}
	if out, err := exec.Command(lint, samTemplate).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
