package motoserver

import (
	"os/exec"
	"strings"
	"testing"
)

func TestAsTestServerMarksTheServer(t *testing.T) {
	for _, tc := range []struct {
		name, run, want string
	}{
		{"under make test", "make-42", ServerEnv + "=make-42"},
		{"by hand", "", ServerEnv + "=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RunEnv, tc.run)
			cmd := exec.Command("env")
			AsTestServer(cmd)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains("\n"+string(out), "\n"+tc.want+"\n") {
				t.Errorf("the server's environment lacks %s:\n%s", tc.want, out)
			}
			if cmd.SysProcAttr == nil || !cmd.SysProcAttr.Setpgid {
				t.Errorf("SysProcAttr = %+v, want childProcAttr's", cmd.SysProcAttr)
			}
		})
	}
}
