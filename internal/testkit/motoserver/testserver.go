package motoserver

import (
	"os"
	"os/exec"
)

// Every server a test process starts carries ServerEnv in its environment,
// and so do the processes it starts in turn: `make test` ends by looking for
// processes so marked with its run's id (RunEnv, which it sets), and fails
// naming any still running. Without RunEnv the mark is "1".
const (
	ServerEnv = "QBROLE_TEST_SERVER"
	RunEnv    = "QBROLE_TEST_RUN"
)

// AsTestServer prepares cmd, not yet started, as a server of this test
// process: marked with ServerEnv, in a process group of its own and killed
// with the test process (childProcAttr). A nil cmd.Env becomes this
// process's environment.
func AsTestServer(cmd *exec.Cmd) {
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	run := os.Getenv(RunEnv)
	if run == "" {
		run = "1"
	}
	cmd.Env = append(cmd.Env, ServerEnv+"="+run)
	cmd.SysProcAttr = childProcAttr()
}
