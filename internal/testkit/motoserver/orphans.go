package motoserver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CheckDiesWithTestProcess checks that what a test process started ends
// when that process is killed (a timeout, the mutation tool). It runs the
// test named test of this test binary again, in a child process, with env
// added; the child prints "pids P1 P2 ..." once its servers run, and waits.
// ready, when not nil, is called before the child is killed with SIGKILL;
// then each pid must end within 10 s.
func CheckDiesWithTestProcess(t *testing.T, test string, env []string, ready func()) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	child.Env = append(os.Environ(), env...)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "pids ") {
		_ = child.Process.Kill()
		t.Fatalf("child said %q, %v", line, err)
	}
	if ready != nil {
		ready()
	}
	t.Logf("killing the test process, which started %s", strings.TrimSpace(line))
	_ = child.Process.Kill()
	_ = child.Wait()
	for _, p := range strings.Fields(strings.TrimPrefix(line, "pids ")) {
		pid, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("child said %q", line)
		}
		deadline := time.Now().Add(10 * time.Second)
		for Alive(pid) {
			if time.Now().After(deadline) {
				t.Errorf("%d (%s) still runs 10 s after its test process was killed", pid, cmdline(pid))
				_ = syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// Alive reports whether pid runs (a zombie waiting for its reaper does not).
func Alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}
