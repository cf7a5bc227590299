package harness

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/faults"
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
	// PolicyFile is the file the policy was read from (policies.Load), which
	// the failure's chaosrun replay line names. Without it, only a catalog
	// policy gets a chaosrun line; any other replays in its test, with
	// rapid's line.
	PolicyFile string
	// WorldFile is the file World was read from (worlds.Load), which the
	// chaosrun replay line names; a world of the team's own without it
	// replays in its test, with rapid's line.
	WorldFile string
}

// Check is the go test API: it runs rapid-generated scenarios under the
// policy and fails the test with the shrunk counterexample, the violated
// invariant in words, its timeline, and the lines that reproduce it:
// rapid's, which reruns the test to the same case, and chaosrun's where
// chaosrun can replay the seed (see [Replay.Line]; chaosrun minimises the
// seed's case with its own shrinker, to the same violation but not always
// the same case):
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
	src := source(p, o.PolicyFile)
	if !builtinWorld(o) && o.WorldFile == "" {
		src = "" // chaosrun cannot name the world: rapid's line alone replays this one
	}
	tb := &replayTB{TB: t, replay: Replay{Policy: p.Name(), Source: src, AllFaults: o.AllFaults, World: o.WorldFile}}
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
	gen := described(space.Generator(o.AllFaults))
	return func(rt *rapid.T) {
		sc := gen.Draw(rt, "scenario").Scenario
		run, err := Simulate(context.Background(), sc, p, sim)
		if err != nil {
			rt.Fatalf("simulate: %v", err)
		}
		msg := ""
		for _, res := range run.Results {
			if res.Status == invariants.Violated && wanted(o.Invariants, res.Invariant) {
				msg = Explain(run, res.Invariant)
				break
			}
		}
		run.Release()
		if msg != "" {
			rt.Fatalf("%s", msg)
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

// Replay is what a chaosrun replay line is made of: the policy and where it
// came from, the seed, and the settings of the exploration that found it.
type Replay struct {
	// Policy is the policy's name.
	Policy string
	// Source is "builtin" for the catalog's policy of that name, the path of
	// the policy file it was read from, or "" for a policy written in Go.
	Source    string
	Seed      uint64
	AllFaults bool
	// Mode is the exploration's mode: "sim" (or "") or "net".
	Mode string
	// World is the world file the case ran in ("" for the built-in world).
	World string
	// Targets are the cells the case's scenario was aimed at (none for a
	// swarm scenario: see [Failure.Targets]).
	Targets []faults.Cell
}

// Line is the one rule for replay lines, used by Check, the reports and the
// CLI: the chaosrun command that replays the case, naming a catalog policy
// by name and any other policy by its file, with the flags the exploration
// ran under (--all-faults, the cells a targeted scenario was aimed at,
// --mode net; never the store, which may hold a password). It is "" when chaosrun cannot replay the case: a policy written
// in Go replays in its own test, with rapid's line.
func (r Replay) Line() string {
	var p string
	switch r.Source {
	case "":
		return ""
	case "builtin":
		p = r.Policy
	default:
		p = shellQuote(r.Source)
	}
	line := "chaosrun replay"
	if r.World != "" {
		line += " --world " + shellQuote(r.World)
	}
	line += fmt.Sprintf(" --policy %s --seed %d", p, r.Seed)
	if r.AllFaults {
		line += " --all-faults"
	}
	if len(r.Targets) > 0 {
		cells := make([]string, len(r.Targets))
		for i, c := range r.Targets {
			cells[i] = c.String()
		}
		line += " --target " + shellQuote(strings.Join(cells, ","))
	}
	if r.Mode != "" && r.Mode != "sim" {
		line += " --mode " + r.Mode
	}
	return line
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./+,:=@%-]+$`)

// shellQuote quotes a path for a shell where it needs quoting.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// source is where Check's policy comes from, for its replay line: its file
// when the options name one, "builtin" when it is the catalog's policy of its
// name (in its Go form or its file's), "" otherwise.
func source(p policy.Policy, file string) string {
	if file != "" {
		return file
	}
	e, err := policies.Lookup(p.Name())
	if err != nil {
		return ""
	}
	if reflect.DeepEqual(p, e.Go()) {
		return "builtin"
	}
	if r, err := policies.Builtin(p.Name()); err == nil && reflect.DeepEqual(p, r) {
		return "builtin"
	}
	return ""
}

// builtinWorld reports whether Check runs in the built-in world.
func builtinWorld(o CheckOpts) bool {
	w := o.World
	if o.Sim != nil && o.Sim.World != nil {
		w = o.Sim.World
	}
	return w == nil || reflect.DeepEqual(w, worlds.Default())
}

var (
	seedFlag     = regexp.MustCompile(`-rapid\.seed=(\d+)`)
	failfileFlag = regexp.MustCompile(`-rapid\.failfile=("(?:[^"\\]|\\.)*")`)
)

// replayTB passes rapid's report through and adds the chaosrun replay line
// for the case rapid names, when chaosrun can replay it (see [Replay.Line]).
type replayTB struct {
	rapid.TB
	replay Replay
}

func (tb *replayTB) Errorf(format string, args ...any) {
	tb.TB.Helper()
	msg := headline(fmt.Sprintf(format, args...))
	if seed, ok := reportedSeed(msg); ok {
		r := tb.replay
		r.Seed = seed
		if line := r.Line(); line != "" {
			msg = withLine(msg, "Or replay its seed with: "+line)
		}
	}
	tb.TB.Error(msg)
}

// failedOutput ends rapid's report of a failure: the failing case's own
// output (its draw and the property's message, in full) follows it.
const failedOutput = "Failed test output:"

// withLine adds a replay line to rapid's report, under rapid's own "To
// reproduce" line, before the failing case's output.
func withLine(report, line string) string {
	if before, after, ok := strings.Cut(report, "\n"+failedOutput); ok {
		return before + "\n" + line + "\n" + failedOutput + after
	}
	return report + "\n" + line
}

// headline shortens rapid's report of a failed property to the first line
// of the property's message: the whole message, the violations and the
// timeline, comes again right after the report, as the failing case's
// output. Any other report stays as it is.
func headline(report string) string {
	const failed = "[rapid] failed after "
	if !strings.HasPrefix(report, failed) {
		return report
	}
	i := strings.Index(report, "\nTo reproduce, specify ")
	if i < 0 {
		return report
	}
	head, body := report[:i], report[i:]
	if first, _, more := strings.Cut(head, "\n"); more {
		head = first + " (the violations and the timeline follow)"
	}
	return head + body
}

// drawn is a drawn scenario as rapid logs it: rapid prints every draw of a
// failing case with %#v, which for a scenario is a page of Go syntax; its
// GoString is the scenario in one line instead.
type drawn struct{ scenarios.Scenario }

func (d drawn) GoString() string {
	return strings.ReplaceAll(strings.Replace(DescribeScenario(d.Scenario), ":\n  ", ": ", 1), "\n  ", "; ")
}

// described draws gen's scenarios as drawn ones (the same draws: a seed
// replays the same scenario).
func described(gen *rapid.Generator[scenarios.Scenario]) *rapid.Generator[drawn] {
	return rapid.Map(gen, func(sc scenarios.Scenario) drawn { return drawn{sc} })
}

// reportedSeed is the seed of the case rapid's report names: its
// -rapid.seed, or, when rapid replayed a fail file and names only that, the
// seed the fail file records (its first line that is not a comment is
// "VERSION#SEED").
func reportedSeed(msg string) (uint64, bool) {
	if m := seedFlag.FindStringSubmatch(msg); m != nil {
		seed, err := strconv.ParseUint(m[1], 10, 64)
		return seed, err == nil
	}
	m := failfileFlag.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	path, err := strconv.Unquote(m[1])
	if err != nil {
		return 0, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, s, ok := strings.Cut(line, "#")
		seed, err := strconv.ParseUint(s, 10, 64)
		return seed, ok && err == nil && seed != 0
	}
	return 0, false
}

// writeViolations lists violations one a line, each with the event it
// points at, as both Explains print them.
func writeViolations(b *strings.Builder, vs []invariants.Violation) {
	for _, v := range vs {
		fmt.Fprintf(b, "  - %s", v.Message)
		if v.Event >= 0 {
			fmt.Fprintf(b, " (event %d)", v.Event)
		}
		b.WriteByte('\n')
	}
}

// Explain describes a violation for a human: the invariant in words, the
// violation, the scenario, and the timeline of the run.
func Explain(run *Run, id invariants.ID) string {
	var b strings.Builder
	res := run.Result(id)
	c, _ := invariants.Lookup(id)
	fmt.Fprintf(&b, "policy %s violates %s: %s\n", run.Policy, id, c.Doc)
	writeViolations(&b, res.Violations)
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
	steps := "1 step"
	if n := sc.Steps(); n != 1 {
		steps = fmt.Sprintf("%d steps", n)
	}
	return fmt.Sprintf("scenario (%s):\n  %s", steps, strings.ReplaceAll(sc.String(), "\n", "\n  "))
}
