package lambdaemu

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// launcher returns the command the emulator is to run as the function: a
// script beside bootstrap that runs it with SIGKILL as its parent-death
// signal. The emulator starts the function in a process group of its own
// and asks for no such signal (internal/lambda/supervisor/local_supervisor.go
// of aws-lambda-runtime-interface-emulator: SysProcAttr{Setpgid: true}), so
// neither Close, which kills the emulator's group, nor the death of a killed
// test process would end a function that is mid-invocation (seen:
// TestEmulatorDiesWithTheTestProcess). setpriv(1) of util-linux sets
// PR_SET_PDEATHSIG and execs, and the setting survives the exec
// (https://man7.org/linux/man-pages/man2/prctl.2.html).
func launcher(bootstrap string) (string, error) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return "", fmt.Errorf("the emulator's function is run with setpriv --pdeathsig; install util-linux: %w", err)
	}
	script := filepath.Join(filepath.Dir(bootstrap), filepath.Base(bootstrap)+"-pdeathsig")
	body := fmt.Sprintf("#!/bin/sh\nexec %s --pdeathsig KILL -- %s \"$@\"\n", quote(setpriv), quote(bootstrap))
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		return "", fmt.Errorf("writing the function's launcher: %w", err)
	}
	return script, nil
}

// quote is s as one word of sh.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
