package qbrolecdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTooOldGoFailsClearly(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho go1.25.4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := (&goBundler{dir: moduleDir(), goBin: fake}).build(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "needs Go 1.26.6 or later") || !strings.Contains(err.Error(), "found go1.25.4") {
		t.Errorf("error = %v", err)
	}
}

func TestAtLeast(t *testing.T) {
	cases := []struct {
		have, want string
		ok         bool
	}{
		{"1.26.6", "1.26.6", true}, {"1.26.8", "1.26.6", true}, {"1.27rc1", "1.26.6", true}, {"2.0", "1.26.6", true},
		{"1.26.5", "1.26.6", false}, {"1.25.9", "1.26.6", false}, {"1.26", "1.26.6", false},
	}
	for _, c := range cases {
		if got := atLeast(c.have, c.want); got != c.ok {
			t.Errorf("atLeast(%s, %s) = %v", c.have, c.want, got)
		}
	}
}
