//go:build integration

package iamauthz_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qbrole/qbrole/internal/testkit/iamauthz"
	"github.com/qbrole/qbrole/internal/testkit/motoserver"
)

// A test binary that is killed takes the IAM policy evaluator (node) with it.
func TestEvaluatorDiesWithTheTestProcess(t *testing.T) {
	if os.Getenv("IAMAUTHZ_TEST_CHILD") == "1" {
		e, err := iamauthz.StartEvaluator()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("pids %d\n", e.Pid())
		time.Sleep(time.Minute) // until killed
		os.Exit(1)
	}
	motoserver.CheckDiesWithTestProcess(t, "TestEvaluatorDiesWithTheTestProcess", []string{"IAMAUTHZ_TEST_CHILD=1"}, nil)
}
