package harness

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// CheckSystem is the go test API for a team's real code — its executor,
// model SDK, MCP client and retry library, unchanged. rapid draws cases
// from the world (nil: the built-in one): one to three executions, each a
// tenant, a workflow and the operation id of each step, and a fault
// schedule. body runs the team's code for them through the [System]
// handle, in a testing/synctest bubble over an in-memory network, so that
// the code's sleeps, timers and deadlines cost no wall time:
//
//	func TestOurAgent(t *testing.T) {
//		harness.CheckSystem(t, nil, func(s *harness.System) {
//			for _, x := range s.Executions() {
//				s.Report(x, ourpipeline.Run(s.Context(x), s.HTTPClient(), s.ToolURLs(), x))
//			}
//		}, nil)
//	}
//
// The faults land at the tool boundary, drawn from the schedule
// ([faults.Injector.Wire]), and as crashes of the code (its execution's
// context cancelled, then [System.OnRestart]'s hook). The fakes record a
// history of what they saw and what the code reported, and the invariants
// it decides are checked; those that read an engine's own record say
// unknown. A case that does not end by its limit, deadlocked or
// livelocked, is a terminal-state violation with the goroutines that hung.
// The test fails with the shrunk case, its timeline and ledger, and the go
// test line that replays it. The number of cases is rapid's
// (-rapid.checks, default 100).
//
// With opts.Net the world is served over real sockets instead, on real
// time, for code that cannot run in a bubble; the first failing case is
// reported as found, not shrunk.
func CheckSystem(t *testing.T, w *worlds.World, body func(*System), opts *SystemOpts) {
	t.Helper()
	space, err := Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	o := opts.withDefaults()
	tb := &goTestTB{TB: t}
	gen := described(space.Generator(o.AllFaults))
	prop := func(rt *rapid.T) {
		sc := gen.Draw(rt, "case").Scenario
		run, err := runSystem(t, space, sc, body, o)
		if err != nil {
			rt.Fatalf("%v", err)
		}
		if msg := run.Failure(o.Invariants); msg != "" {
			// rapid prints the minimal case's log; the failure itself is
			// named stably, for rapid holds a shrink candidate to the same
			// error and the code's own timing (a backoff's jitter from a
			// global source) may move the timeline's times.
			rt.Logf("%s", msg)
			rt.Fatalf("%s", run.failureKey(o.Invariants))
		}
	}
	if o.Net != nil {
		// Real time: a failing case is reported as found. rapid's
		// shrinker would run it again and again on the wall clock.
		checkNet(t, space, body, o)
		return
	}
	scenarios.ReadingRapidFlags(func() { rapid.Check(tb, prop) })
}

// Failure says what fails the case, or "": a panic of the body (it
// explains the rest), else the first violated invariant of ids (every one
// when empty), else goroutines that outlived the body.
func (r *SystemRun) Failure(ids []invariants.ID) string {
	if r.Panic != "" {
		return fmt.Sprintf("the code under test panicked: %s\n%s", r.Panic, DescribeScenario(r.Scenario))
	}
	if id := firstViolated(r, ids); id != "" {
		return r.Explain(id)
	}
	if r.Leak {
		return fmt.Sprintf("every execution ended, but goroutines of the code outlived the body (close what it opened: clients, sessions, tickers):\n%s\n%s",
			DescribeScenario(r.Scenario), r.Hang)
	}
	return ""
}

// failureKey names what fails the case, as Failure decides it, in words
// that do not depend on the case's timing: "" when nothing does.
func (r *SystemRun) failureKey(ids []invariants.ID) string {
	switch id := firstViolated(r, ids); {
	case r.Panic != "":
		return "the code under test panicked"
	case id != "":
		return "the code violates " + string(id)
	case r.Leak:
		return "goroutines of the code outlived the body"
	}
	return ""
}

var runFlag = regexp.MustCompile(`-run="([^"]*)"`)

// goTestTB passes rapid's report through and adds the go test line that
// replays the seed rapid names.
type goTestTB struct {
	rapid.TB
}

func (tb *goTestTB) Errorf(format string, args ...any) {
	tb.TB.Helper()
	msg := fmt.Sprintf(format, args...)
	if m := seedFlag.FindStringSubmatch(msg); m != nil {
		name := tb.Name()
		if r := runFlag.FindStringSubmatch(msg); r != nil {
			name = r[1]
		}
		msg = withLine(msg, "Replay it with: "+GoTestCommand(name, m[1]))
	}
	tb.TB.Error(msg)
}

// GoTestCommand is the go test line that replays a rapid seed of a test,
// run in the test's package directory.
func GoTestCommand(test, seed string) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test -run '%s' -rapid.seed=%s", strings.Join(parts, "/"), seed)
}

// searchShrinkTime bounds SearchSystem's minimisation. Each candidate runs
// the team's code in a bubble, so minimising takes seconds, and the shrunk
// case is the same from run to run only while it ends within the bound: a
// loaded CI machine runs many times slower, so the bound is generous.
const searchShrinkTime = "2m"

// SearchSystem runs CheckSystem's property from rapid's seed for at most
// cases cases, quietly, and returns the first failing case shrunk, with
// the invariant it violates ("" for a leak or a panic), or nil when every
// case passed. It is how a test shows that a naive use of a library is
// caught, and by what; opts.Invariants narrows what counts as failing.
func SearchSystem(t *testing.T, w *worlds.World, body func(*System), seed uint64, cases int, opts *SystemOpts) (*SystemRun, invariants.ID, error) {
	space, err := Compile(w)
	if err != nil {
		return nil, "", err
	}
	o := opts.withDefaults()
	if o.Net != nil {
		run, _, err := netSearch(space, body, o, seed, cases)
		if run == nil || err != nil {
			return nil, "", err
		}
		return run, firstViolated(run, o.Invariants), nil
	}
	gen := space.Generator(o.AllFaults)
	var last *SystemRun
	var runErr error
	prop := func(rt *rapid.T) {
		sc := gen.Draw(rt, "case")
		run, err := runSystem(t, space, sc, body, o)
		if err != nil {
			runErr = err
			return
		}
		if key := run.failureKey(o.Invariants); key != "" {
			last = run
			rt.Fatalf("%s", key)
		}
	}
	tb := &quietTB{name: t.Name()}
	err = scenarios.WithRapidFlags(map[string]string{
		"rapid.seed": fmt.Sprint(seed), "rapid.checks": fmt.Sprint(cases), "rapid.nofailfile": "true",
		"rapid.shrinktime": searchShrinkTime, "rapid.v": "false", "rapid.log": "false",
	}, func() { tb.run(func() { rapid.Check(tb, prop) }) })
	switch {
	case err != nil:
		return nil, "", err
	case runErr != nil:
		return nil, "", runErr
	case !tb.failed || last == nil:
		return nil, "", nil
	}
	return last, firstViolated(last, o.Invariants), nil
}

// firstViolated returns the first invariant of ids (every one when empty)
// the case violated, or "".
func firstViolated(run *SystemRun, ids []invariants.ID) invariants.ID {
	for _, res := range run.Results {
		if res.Status == invariants.Violated && wanted(ids, res.Invariant) {
			return res.Invariant
		}
	}
	return ""
}
