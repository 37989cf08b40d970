package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCopyLines(t *testing.T) {
	in := "=== RUN\nfault matrix: 275 runs\nnoise\nintegration tier: 3 tests passed: ok\n"
	cases := []struct {
		name   string
		passed string
		ok     bool
	}{
		{"no condition", "", true},
		{"the run passed", `tier: .*: ok$`, true},
		{"the run failed", `tier: .*: ok$ FAILED`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			lines, ok, err := copyLines(strings.NewReader(in), &out, regexp.MustCompile(`^fault`), c.passed)
			if err != nil || ok != c.ok || out.String() != in || len(lines) != 1 || lines[0] != "fault matrix: 275 runs" {
				t.Errorf("lines %q, ok %v, err %v, copied %q", lines, ok, err, out.String())
			}
		})
	}
}

func TestReplaceBlock(t *testing.T) {
	now := time.Date(2026, 11, 30, 17, 5, 0, 0, time.UTC)
	doc := "# F\n<!-- figures:model begin -->\nold\n<!-- figures:model end -->\ntail\n"
	got, err := replaceBlock([]byte(doc), "model", []string{"lifecycle model: 20 sequences  "}, now)
	want := "# F\n<!-- figures:model begin -->\nLast run 2026-11-30 17:05 UTC:\n\n```\nlifecycle model: 20 sequences\n```\n<!-- figures:model end -->\ntail\n"
	if err != nil || string(got) != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	for _, bad := range []string{"# no block\n", "<!-- figures:model end -->\n<!-- figures:model begin -->\n", "<!-- figures:bench begin -->\n<!-- figures:bench end -->\n",
		doc + doc, "<!-- figures:model begin -->\n<!-- figures:bench begin -->\n<!-- figures:bench end -->\n<!-- figures:model end -->\n"} {
		if _, err := replaceBlock([]byte(bad), "model", nil, now); err == nil || !strings.Contains(err.Error(), "figures:model") {
			t.Errorf("%q: error %v, want one naming the block", bad, err)
		}
	}
}
