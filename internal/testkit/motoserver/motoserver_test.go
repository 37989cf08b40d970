//go:build integration

package motoserver

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// A test binary that is killed (a timeout, the fuzzing engine stopping a
// worker) takes its moto server with it: a server left running holds the
// binary's pipes open and keeps a port and a process for nothing.
func TestServerDiesWithTheTestProcess(t *testing.T) {
	if os.Getenv("MOTOSERVER_TEST_CHILD") == "1" {
		s, err := Start(context.Background())
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("pids %d\n", s.cmd.Process.Pid)
		time.Sleep(time.Minute) // until killed
		os.Exit(1)
	}
	CheckDiesWithTestProcess(t, "TestServerDiesWithTheTestProcess", []string{"MOTOSERVER_TEST_CHILD=1"}, nil)
}
