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
		{[]string{"lint", ours, "--nope"}, "lint: unknown flag --nope"},
		{[]string{"list", "tools", "--world"}, "list: --world needs a value"},
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

// TestBadFlagValuesSayWhatTheFlagTakes: a value a flag cannot parse exits
// 2 with what the flag takes and a hint, instead of the flag package's
// "parse error", and writes nothing.
func TestBadFlagValuesSayWhatTheFlagTakes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args       []string
		says, hint string
	}{
		{[]string{"run", "--policy", "reference", "--runs", "abc"}, "--runs takes a whole number of runs, such as 500, not \"abc\"", "--duration"},
		{[]string{"compare", "--runs", "1.5"}, "--runs takes a whole number of runs, such as 500, not \"1.5\"", "--duration"},
		{[]string{"run", "--policy", "reference", "--runs", "99999999999999999999"}, "--runs 99999999999999999999 is more runs than chaosrun counts", "--duration"},
		{[]string{"run", "--policy", "reference", "--runs", "-99999999999999999999"}, "--runs must be positive, got -99999999999999999999", "--duration"},
		{[]string{"run", "--policy", "reference", "--quiet=a\"b"}, `run: --quiet is a switch: it takes true or false, not "a\"b"`, "--quiet alone"},
		{[]string{"run", "--policy", "reference", "--seed", "x"}, "--seed takes a whole number, such as 42, not \"x\"", "seeds start at 1"},
		{[]string{"run", "--policy", "reference", "--seed", "-1"}, "--seed must be positive, got -1", "seeds start at 1"},
		{[]string{"run", "--policy", "reference", "--seed", "99999999999999999999"}, "--seed 99999999999999999999 is too large", "seeds start at 1"},
		{[]string{"run", "--policy", "reference", "--duration", "forever"}, "--duration takes a Go duration such as 30s or 5m, not \"forever\"", "units are"},
		{[]string{"replay", "--policy", "reference", "--seed", "-1"}, "--seed must be positive, got -1", "seeds start at 1"},
		{[]string{"replay", "--seed=abc", "--policy", "reference"}, "--seed takes a whole number, such as 42, not \"abc\"", "seeds start at 1"},
	} {
		out := filepath.Join(t.TempDir(), "r.json")
		args := c.args
		if args[0] != "replay" {
			args = append(args, "--json", out)
		}
		r := chaosrun(t, args...)
		r.want(t, 2, "chaosrun: "+c.says+"\nhint: ")
		if !strings.Contains(r.stderr, "\nhint: ") || !strings.Contains(r.stderr[strings.Index(r.stderr, "\nhint: "):], c.hint) {
			t.Errorf("%v: the hint should speak of %q:\n%s", c.args, c.hint, r.stderr)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 1 || strings.Contains(r.stderr, "parse error") || r.stdout != "" {
			t.Errorf("%v: want one line and a hint on stderr, nothing on stdout; got:\n%s%s", c.args, r.stdout, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v wrote a report", c.args)
		}
	}
}
