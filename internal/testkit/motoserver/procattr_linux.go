package motoserver

import "syscall"

// childProcAttr is for every server a test process starts (moto, the policy
// evaluator, the Runtime Interface Emulator): its own process group, so that
// Close can stop what it started, and SIGKILL when the test process dies —
// a test binary killed by a timeout, or a fuzzing worker the fuzzing engine
// stops, whose children would otherwise live on and hold its output pipe
// open, so that the engine waits for it forever (Linux prctl(2),
// PR_SET_PDEATHSIG, https://man7.org/linux/man-pages/man2/prctl.2.html).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
