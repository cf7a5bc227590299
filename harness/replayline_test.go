package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/examples/teampolicy"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// capture is a test that keeps what is reported to it.
type capture struct {
	*testing.T
	msgs []string
}

func (c *capture) Error(args ...any) { c.msgs = append(c.msgs, fmt.Sprint(args...)) }

// TestReplayLine is the one rule: a catalog policy by name, a policy file by
// its path, a policy written in Go not at all; the exploration's flags, never
// the store.
func TestReplayLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		r    Replay
		want string
	}{
		{Replay{Policy: "naive-backoff", Source: "builtin", Seed: 4}, "chaosrun replay --policy naive-backoff --seed 4"},
		{Replay{Policy: "naive-backoff", Source: "builtin", Seed: 4, AllFaults: true, Mode: "sim"}, "chaosrun replay --policy naive-backoff --seed 4 --all-faults"},
		{Replay{Policy: "ours", Source: "policies/ours.yaml", Seed: 7, Mode: "net"}, "chaosrun replay --policy policies/ours.yaml --seed 7 --mode net"},
		{Replay{Policy: "ours", Source: "my policies/it's.yaml", Seed: 7}, `chaosrun replay --policy 'my policies/it'\''s.yaml' --seed 7`},
		{Replay{Policy: "teampolicy", Seed: 7}, ""},
	}
	for _, c := range cases {
		if got := c.r.Line(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

// TestCheckKnowsWhereItsPolicyComesFrom: Check names the catalog's policy,
// in its Go form or its file's, by name; a policy file by the path its
// options give; a Go policy, even one that takes a catalog name, not at all.
func TestCheckKnowsWhereItsPolicyComesFrom(t *testing.T) {
	t.Parallel()
	fromFile, err := policies.Builtin("naive-backoff")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		p    policy.Policy
		file string
		want string
	}{
		{"catalog, Go", policies.NaiveBackoff(), "", "builtin"},
		{"catalog, file", fromFile, "", "builtin"},
		{"a file", fromFile, "ours.yaml", "ours.yaml"},
		{"Go", teampolicy.New(), "", ""},
		{"Go, named as the catalog", impostor{policy.Reference()}, "", ""},
	}
	for _, c := range cases {
		if got := source(c.p, c.file); got != c.want {
			t.Errorf("%s: source %q, want %q", c.name, got, c.want)
		}
	}
}

// impostor is a team's own policy that took a catalog policy's name.
type impostor struct{ policy.Policy }

func TestCheckAddsAReplayThatWorks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fail := filepath.Join(dir, "TestX-1.fail")
	if err := os.WriteFile(fail, []byte("# the failing test's output\n#\nv0.4.8#42\n0x5a\n0x0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	seedReport := "[rapid] failed after 3 tests: ...\nTo reproduce, specify -run=\"TestX\" -rapid.seed=42\nFailed test output:"
	failfileReport := fmt.Sprintf("[rapid] failed after 0 tests: ...\nTo reproduce, specify -run=\"TestX\" -rapid.failfile=%q\nFailed test output:", fail)
	cases := []struct {
		name, report string
		replay       Replay
		want         string
	}{
		{"catalog", seedReport, Replay{Policy: "naive-backoff", Source: "builtin"}, "\nOr replay its seed with: chaosrun replay --policy naive-backoff --seed 42"},
		{"all faults", seedReport, Replay{Policy: "naive-backoff", Source: "builtin", AllFaults: true}, "\nOr replay its seed with: chaosrun replay --policy naive-backoff --seed 42 --all-faults"},
		{"file", seedReport, Replay{Policy: "ours", Source: "ours.yaml"}, "\nOr replay its seed with: chaosrun replay --policy ours.yaml --seed 42"},
		{"Go", seedReport, Replay{Policy: "teampolicy"}, ""},
		{"fail file", failfileReport, Replay{Policy: "naive-backoff", Source: "builtin"}, "\nOr replay its seed with: chaosrun replay --policy naive-backoff --seed 42"},
	}
	for _, c := range cases {
		tb := &capture{T: t}
		(&replayTB{TB: tb, replay: c.replay}).Errorf("%s", c.report)
		want := strings.Replace(c.report, "\nFailed test output:", c.want+"\nFailed test output:", 1)
		if len(tb.msgs) != 1 || tb.msgs[0] != want {
			t.Errorf("%s: reported %q, want rapid's report with %q before its failed test output", c.name, tb.msgs, c.want)
		}
	}
}

// TestCheckReportsTheHeadlineOnce: rapid's report of a failed property
// keeps the first line of the property's message; the rest (the
// violations, the timeline) comes once, as the failing case's output.
func TestCheckReportsTheHeadlineOnce(t *testing.T) {
	t.Parallel()
	report := "[rapid] failed after 2 tests: policy p violates x: why\n  - the violation\ntimeline:\n  0 start\nTo reproduce, specify -run=\"TestX\" -rapid.seed=42\nFailed test output:"
	tb := &capture{T: t}
	(&replayTB{TB: tb, replay: Replay{Policy: "teampolicy"}}).Errorf("%s", report)
	want := "[rapid] failed after 2 tests: policy p violates x: why (the violations and the timeline follow)\nTo reproduce, specify -run=\"TestX\" -rapid.seed=42\nFailed test output:"
	if len(tb.msgs) != 1 || tb.msgs[0] != want {
		t.Errorf("reported %q, want %q", tb.msgs, want)
	}
	other := "[rapid] flaky test, can not reproduce a failure\nTo try to reproduce, specify -run=\"TestX\" -rapid.seed=42\nFailed test output:"
	tb = &capture{T: t}
	(&replayTB{TB: tb, replay: Replay{Policy: "teampolicy"}}).Errorf("%s", other)
	if len(tb.msgs) != 1 || tb.msgs[0] != other {
		t.Errorf("reported %q, want rapid's report as it is: %q", tb.msgs, other)
	}
	if got := (drawn{scenarios.Example(scenarios.Generator(false), 1)}).GoString(); strings.Contains(got, "\n") || !strings.HasPrefix(got, "scenario (") {
		t.Errorf("a drawn scenario logs as %q, want one line starting \"scenario (\"", got)
	}
}

func TestCheckNamesNoChaosrunLineInAWorldOfItsOwn(t *testing.T) {
	t.Parallel()
	own := worlds.Default()
	own.Name = "support-desk"
	cases := []struct {
		o    CheckOpts
		want bool
	}{
		{CheckOpts{}, true},
		{CheckOpts{World: worlds.Default()}, true},
		{CheckOpts{World: own}, false},
		{CheckOpts{Sim: &SimOpts{World: own}}, false},
	}
	for _, c := range cases {
		if got := builtinWorld(c.o); got != c.want {
			t.Errorf("%+v: built-in world %v, want %v", c.o, got, c.want)
		}
	}
}
