//go:build integration

package motoserver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
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
		fmt.Printf("moto %d\n", s.cmd.Process.Pid)
		time.Sleep(time.Minute) // until killed
		os.Exit(1)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTheTestProcess$")
	child.Env = append(os.Environ(), "MOTOSERVER_TEST_CHILD=1")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "moto ") {
		_ = child.Process.Kill()
		t.Fatalf("child said %q, %v", line, err)
	}
	var pid int
	if _, err := fmt.Sscanf(line, "moto %d", &pid); err != nil {
		t.Fatal(err)
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("moto_server %d still runs 10 s after its test process was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper does not).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
