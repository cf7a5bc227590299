package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTheTableFitsTheTerminal: with COLUMNS=80 no line of compare's output
// is wider than 80 columns; --wide prints every column in one table.
func TestTheTableFitsTheTerminal(t *testing.T) {
	t.Parallel()
	out := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "COLUMNS=80")
		var b bytes.Buffer
		cmd.Stdout = &b
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	narrow := out("compare", "--runs", "60")
	for _, l := range strings.Split(narrow, "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("a line of %d columns at COLUMNS=80:\n%s", n, l)
		}
	}
	if !strings.Contains(narrow, "restart-whole-workflow") || !strings.Contains(narrow, "chaosrun replay --policy naive-backoff --seed") {
		t.Errorf("the 80-column output lacks a policy or a replay line:\n%s", narrow)
	}
	if wide := out("compare", "--runs", "60", "--wide"); !strings.Contains(wide, "│ dead-lettered │") {
		t.Errorf("--wide does not print every column in one table:\n%s", wide)
	}
}
