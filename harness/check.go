package harness

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// CheckOpts configure Check. The zero value (or nil) means swarm
// schedules, every invariant, default simulation bounds.
type CheckOpts struct {
	// AllFaults enables every fault kind in every scenario.
	AllFaults bool
	// Invariants restricts the check to these invariants (all when empty).
	Invariants []invariants.ID
	Sim        *SimOpts
	// World is the world scenarios are drawn from and run in (nil: the
	// built-in one; Sim.World, when set, wins).
	World *worlds.World
}

// Check is the go test API: it runs rapid-generated scenarios under the
// policy and fails the test with the shrunk counterexample, the violated
// invariant in words, its timeline, and the exact lines that reproduce it:
//
//	func TestOurRetryPolicy(t *testing.T) {
//		harness.Check(t, ourpolicy.New(), nil)
//	}
//
// The number of scenarios is rapid's (-rapid.checks, default 100).
func Check(t rapid.TB, p policy.Policy, opts *CheckOpts) {
	t.Helper()
	var o CheckOpts
	if opts != nil {
		o = *opts
	}
	tb := &replayTB{TB: t, policy: p.Name(), allFaults: o.AllFaults}
	scenarios.ReadingRapidFlags(func() { rapid.Check(tb, Property(p, opts)) })
}

// Property is Check's property: it draws a scenario, simulates it under
// the policy and fails with the violation in words. It is also a fuzz
// target's body, with rapid.MakeFuzz:
//
//	func FuzzOurRetryPolicy(f *testing.F) {
//		f.Fuzz(rapid.MakeFuzz(harness.Property(ourpolicy.New(), nil)))
//	}
func Property(p policy.Policy, opts *CheckOpts) func(*rapid.T) {
	var o CheckOpts
	if opts != nil {
		o = *opts
	}
	sim, space, err := inWorld(o.Sim, o.World)
	if err != nil {
		return func(rt *rapid.T) { rt.Fatalf("%v", err) }
	}
	gen := space.Generator(o.AllFaults)
	return func(rt *rapid.T) {
		sc := gen.Draw(rt, "scenario")
		run, err := Simulate(context.Background(), sc, p, sim)
		if err != nil {
			rt.Fatalf("simulate: %v", err)
		}
		for _, res := range run.Results {
			if res.Status == invariants.Violated && wanted(o.Invariants, res.Invariant) {
				rt.Fatalf("%s", Explain(run, res.Invariant))
			}
		}
	}
}

func wanted(ids []invariants.ID, id invariants.ID) bool {
	if len(ids) == 0 {
		return true
	}
	for _, w := range ids {
		if w == id {
			return true
		}
	}
	return false
}

var seedFlag = regexp.MustCompile(`-rapid\.seed=(\d+)`)

// replayTB passes rapid's report through and adds the chaosrun replay line
// for the seed rapid names.
type replayTB struct {
	rapid.TB
	policy    string
	allFaults bool
}

func (tb *replayTB) Errorf(format string, args ...any) {
	tb.TB.Helper()
	msg := fmt.Sprintf(format, args...)
	if m := seedFlag.FindStringSubmatch(msg); m != nil {
		flags := ReplayFlags(tb.allFaults, "sim")
		if _, err := policies.Lookup(tb.policy); err == nil {
			msg += "\nOr replay it with: " + ReplayCommand(tb.policy, m[1], flags...)
		} else {
			// chaosrun knows the catalog and policy files, not a policy
			// written in Go: that one replays here, with rapid's line above.
			msg += "\nOr, from its policy file, replay it with: " + ReplayCommand("path/to/"+tb.policy+".yaml", m[1], flags...)
		}
	}
	tb.TB.Error(msg)
}

// ReplayCommand is the chaosrun command line that replays a seed, with the
// flags the exploration ran under (such as --all-faults or --mode net).
func ReplayCommand(policyName, seed string, flags ...string) string {
	cmd := fmt.Sprintf("chaosrun replay --policy %s --seed %s", policyName, seed)
	for _, f := range flags {
		cmd += " " + f
	}
	return cmd
}

// ReplayFlags are the replay flags of an exploration's settings.
func ReplayFlags(allFaults bool, mode string) []string {
	var flags []string
	if allFaults {
		flags = append(flags, "--all-faults")
	}
	if mode != "" && mode != "sim" {
		flags = append(flags, "--mode "+mode)
	}
	return flags
}

// Explain describes a violation for a human: the invariant in words, the
// violation, the scenario, and the timeline of the run.
func Explain(run *Run, id invariants.ID) string {
	var b strings.Builder
	res := run.Result(id)
	c, _ := invariants.Lookup(id)
	fmt.Fprintf(&b, "policy %s violates %s: %s\n", run.Policy, id, c.Doc)
	for _, v := range res.Violations {
		fmt.Fprintf(&b, "  - %s", v.Message)
		if v.Event >= 0 {
			fmt.Fprintf(&b, " (event %d)", v.Event)
		}
		b.WriteByte('\n')
	}
	b.WriteString(DescribeScenario(run.Scenario))
	b.WriteByte('\n')
	b.WriteString("timeline:\n")
	for i, e := range run.History.Events {
		fmt.Fprintf(&b, "  %3d %s %s\n", i, e.At.Sub(Epoch), e)
	}
	return b.String()
}

// DescribeScenario renders a scenario for a human: its size, then each
// execution and the fault schedule on lines of their own, indented.
func DescribeScenario(sc scenarios.Scenario) string {
	return fmt.Sprintf("scenario (%d steps):\n  %s", sc.Steps(), strings.ReplaceAll(sc.String(), "\n", "\n  "))
}
