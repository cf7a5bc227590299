package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsMayFollowTheArguments: every command takes its flags before,
// between or after its positional arguments, and -- ends the flags.
func TestFlagsMayFollowTheArguments(t *testing.T) {
	t.Parallel()
	world, _ := filepath.Abs("../../examples/supportdesk/world.yaml")
	ours, _ := filepath.Abs("../../examples/supportdesk/policy.yaml")
	tools, _ := filepath.Abs("../../worlds/testdata/mcp/partly-annotated.json")
	chaosrun(t, "lint", ours, "--world", world).want(t, 0, "no errors")
	chaosrun(t, "list", "tools", "--world", world).want(t, 0, "create_ticket", "reverse_refund")
	chaosrun(t, "run", "--policy", "reference", "--quiet", "--runs", "10", "--seed", "3", "--all-faults").want(t, 3)
	chaosrun(t, "replay", "--policy", "naive-backoff", "--no-shrink", "--seed", "4").want(t, 1, "timeline:")
	out := filepath.Join(t.TempDir(), "world.yaml")
	chaosrun(t, "world", "import-mcp", tools, "--out", out).want(t, 0)
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("import-mcp with --out after its file wrote nothing: %v", err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"lint", "--", "--world"}, "policy file --world does not exist"},
		{[]string{"list", "--", "tools", "--world", world}, "list: too many arguments"},
		{[]string{"list", "tools", "--", "--world"}, "list: too many arguments"},
		{[]string{"merge", "--", "--quiet"}, "merge: stat --quiet"},
		{[]string{"lint", ours, "--nope"}, "lint: flag provided but not defined: -nope"},
		{[]string{"list", "tools", "--world"}, "list: flag needs an argument: -world"},
		{[]string{"run", "--policy", "reference", "extra", "--runs", "3"}, `run: unexpected argument "extra"`},
		{[]string{"replay", "--policy", "reference", "extra", "--seed", "3"}, `replay: unexpected argument "extra"`},
	} {
		r := chaosrun(t, c.args...)
		r.want(t, 2, c.says)
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 1 {
			t.Errorf("%v: want one line and a hint, got:\n%s", c.args, r.stderr)
		}
	}
	chaosrun(t, "lint", ours, "--help").want(t, 0, "Usage: chaosrun lint")
}
