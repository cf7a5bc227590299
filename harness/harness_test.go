package harness_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

func explore(t *testing.T, p policy.Policy, opts *harness.ExploreOpts) *harness.Summary {
	t.Helper()
	s, err := harness.Explore(context.Background(), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The reference passes every invariant over 2,000 scenarios with every
// fault kind enabled — crashes, partial context writes and semantic faults
// included — and still gets the work done: its completion rate, on the same
// seeds, stays within 10 points of naive-backoff's.
func TestReferenceHoldsEveryInvariantUnderEveryFault(t *testing.T) {
	t.Parallel()
	opts := &harness.ExploreOpts{Runs: 2000, AllFaults: true, NoShrink: true}
	ref := explore(t, policy.Reference(), opts)
	for _, id := range invariants.IDs() {
		if n := ref.Violations[id]; n > 0 {
			f := ref.First[id]
			t.Errorf("reference violated %s in %d of %d runs; first at seed %d:\n%s", id, n, ref.Runs, f.Seed, harness.Explain(f.Run, id))
		}
		if n := ref.Unknown[id]; n > 0 {
			t.Errorf("%s could not decide in %d runs", id, n)
		}
	}
	// The same claim's evidence, on 2,000 scenarios of the same kind: every
	// kind fired, and the reference compensated for real (after a rejection
	// or with a request still in flight), not only in theory.
	kinds := map[faults.Kind]int{}
	compensated := 0
	for seed := 1; seed <= 2000; seed++ {
		run, err := harness.Simulate(context.Background(), scenarios.Example(scenarios.Generator(true), seed), policy.Reference(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range run.Faults() {
			kinds[f.Kind]++
		}
		for _, e := range run.History.Events {
			if e.Kind == engine.EvCompensate {
				compensated++
				break
			}
		}
	}
	for _, k := range faults.Kinds() {
		if kinds[k] == 0 {
			t.Errorf("fault kind %s never fired in 2,000 all-faults scenarios: the claim above would be hollow", k)
		}
	}
	t.Logf("the reference compensated in %d of 2,000 all-faults scenarios", compensated)
	if compensated < 20 {
		t.Errorf("the reference compensated in only %d of 2,000 all-faults scenarios: its compensation goes untested", compensated)
	}
	naive := explore(t, policies.NaiveBackoff(), opts)
	rc, nc := ref.Executions.CompletionRate(), naive.Executions.CompletionRate()
	t.Logf("completion over %d all-faults scenarios: reference %.1f%%, naive-backoff %.1f%%", ref.Runs, 100*rc, 100*nc)
	if nc-rc > 0.10 {
		t.Errorf("reference completes %.1f%% of executions, naive-backoff %.1f%%: more than 10 points apart", 100*rc, 100*nc)
	}
	if rc < 0.5 {
		t.Errorf("reference completes only %.1f%%: safe and useless", 100*rc)
	}
}

// Each mistake is caught by the invariants DESIGN names for it, with
// generated faults, and its counterexample shrinks to a small case.
func TestEachMistakeIsCaughtAndShrunk(t *testing.T) {
	t.Parallel()
	for _, e := range policies.Catalog()[1:] {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := explore(t, e.Go(), &harness.ExploreOpts{Runs: 400, NoShrink: true})
			for _, id := range e.CaughtBy {
				f := s.First[id]
				if f == nil {
					t.Fatalf("%s was not caught by %s in %d runs (violations: %v)", e.Name, id, s.Runs, s.Violations)
				}
				run, err := harness.Shrink(context.Background(), e.Go(), f.Seed, id, &harness.ShrinkOpts{Time: time.Minute})
				if err != nil || run == nil {
					t.Fatalf("shrink seed %d: run %v, err %v", f.Seed, run, err)
				}
				res := run.Result(id)
				if res.Status != invariants.Violated || res.Violations[0].Invariant != id {
					t.Fatalf("the shrunk case must still violate %s: %+v", id, res)
				}
				t.Logf("%s: seed %d, %d steps shrunk to %d: %s", id, f.Seed, f.Original.Steps(), run.Scenario.Steps(), res.Violations[0].Message)
				if n := run.Scenario.Steps(); n > 4 {
					t.Errorf("%s: the shrunk counterexample still has %d steps:\n%s", id, n, harness.Explain(run, id))
				}
				// Every fault kind the case leaves on is one it needs.
				for k, rate := range run.Scenario.Faults.Rates {
					if rate == 0 {
						continue
					}
					off := run.Scenario
					off.Faults.Rates[k] = 0
					r, err := harness.Simulate(context.Background(), off, e.Go(), nil)
					if err != nil {
						t.Fatal(err)
					}
					if r.Result(id).Status == invariants.Violated {
						t.Errorf("%s: the shrunk case still violates it with %s off: %s", id, faults.Kind(k), off.Faults)
					}
				}
			}
		})
	}
}

func TestSameSeedSameHistory(t *testing.T) {
	t.Parallel()
	digests, histories := map[string]int{}, map[string]int{}
	for seed := 1; seed <= 20; seed++ {
		sc := scenarios.Of(uint64(seed))
		a, err := harness.Simulate(context.Background(), sc, policies.NaiveBackoff(), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := harness.Simulate(context.Background(), scenarios.Of(uint64(seed)), policies.NaiveBackoff(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Digest() != b.Digest() {
			t.Fatalf("seed %d gave two different histories", seed)
		}
		digests[a.Digest()] = seed
		histories[a.HistoryDigest()] = seed
	}
	if len(digests) != 20 {
		t.Fatalf("20 seeds gave only %d distinct runs", len(digests))
	}
	// Two seeds may draw the same work and no fault that fires; not many.
	if len(histories) < 18 {
		t.Fatalf("20 seeds gave only %d distinct event histories", len(histories))
	}
}

func TestExplorationDoesNotDependOnWorkers(t *testing.T) {
	t.Parallel()
	one := explore(t, policies.RetryOnly(), &harness.ExploreOpts{Runs: 120, Workers: 1, NoShrink: true})
	four := explore(t, policies.RetryOnly(), &harness.ExploreOpts{Runs: 120, Workers: 4, NoShrink: true})
	if fmt.Sprint(one.Violations, one.Executions, one.Cost) != fmt.Sprint(four.Violations, four.Executions, four.Cost) {
		t.Fatalf("1 worker: %v %v %v\n4 workers: %v %v %v", one.Violations, one.Executions, one.Cost, four.Violations, four.Executions, four.Cost)
	}
	if one.FirstFailure.Seed != four.FirstFailure.Seed {
		t.Fatalf("first failure at seed %d with one worker, %d with four", one.FirstFailure.Seed, four.FirstFailure.Seed)
	}
}

// Minimisations run side by side, each with its own seed in rapid's
// process-wide flags, while other explorations draw scenarios: what each
// finds is what it finds alone.
func TestMinimisationsSideBySideFindWhatEachFindsAlone(t *testing.T) {
	t.Parallel()
	for _, e := range policies.Catalog()[1:2] {
		// A bound no minimisation reaches, even under the race detector:
		// one cut short by it finds less, and that is no difference of
		// running side by side.
		one := explore(t, e.Go(), &harness.ExploreOpts{Runs: 100, Workers: 1, ShrinkTime: 5 * time.Minute})
		var wg sync.WaitGroup
		var four *harness.Summary
		var err1, err2 error
		wg.Go(func() {
			four, err1 = harness.Explore(context.Background(), e.Go(), &harness.ExploreOpts{Runs: 100, Workers: 4, ShrinkTime: 5 * time.Minute})
		})
		wg.Go(func() {
			_, err2 = harness.Explore(context.Background(), policies.RetryOnly(), &harness.ExploreOpts{Runs: 200, Workers: 2, NoShrink: true})
		})
		wg.Wait()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if len(one.First) == 0 || len(one.First) != len(four.First) {
			t.Fatalf("%s: %d counterexamples alone, %d side by side", e.Name, len(one.First), len(four.First))
		}
		for id, f := range one.First {
			g := four.First[id]
			if !f.Shrunk || !g.Shrunk || f.Run.Scenario.String() != g.Run.Scenario.String() {
				t.Errorf("%s / %s: minimised alone (%v) to\n%s\nside by side (%v) to\n%s", e.Name, id, f.Shrunk, f.Run.Scenario, g.Shrunk, g.Run.Scenario)
			}
		}
	}
}

func TestShardsCoverTheUnshardedRuns(t *testing.T) {
	t.Parallel()
	all := explore(t, policies.NaiveBackoff(), &harness.ExploreOpts{Runs: 60, Seed: 7, NoShrink: true})
	var sum harness.Executions
	runs := 0
	for i := 1; i <= 3; i++ {
		s := explore(t, policies.NaiveBackoff(), &harness.ExploreOpts{Runs: 20, Seed: 7, Shard: i, Shards: 3, NoShrink: true})
		sum, runs = sum.Add(s.Executions), runs+s.Runs
	}
	if runs != all.Runs || sum != all.Executions {
		t.Fatalf("3 shards ran %d scenarios with %+v; unsharded %d with %+v", runs, sum, all.Runs, all.Executions)
	}
}

func TestExploreRefusesAShardOutsideItsShards(t *testing.T) {
	t.Parallel()
	for _, o := range []harness.ExploreOpts{{Shard: 0, Shards: 2}, {Shard: 3, Shards: 2}, {Shard: 1, Shards: 0}, {Shard: 1, Shards: -1}} {
		o.Runs = 1
		if _, err := harness.Explore(context.Background(), policy.Reference(), &o); err == nil {
			t.Errorf("shard %d of %d was accepted", o.Shard, o.Shards)
		}
	}
}

// recordingTB stands in for *testing.T to observe what Check reports.
type recordingTB struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recordingTB) Helper()                    {}
func (r *recordingTB) Name() string               { return "TestTeamPolicy" }
func (r *recordingTB) Logf(f string, args ...any) { r.msgs = append(r.msgs, fmt.Sprintf(f, args...)) }
func (r *recordingTB) Log(args ...any)            { r.msgs = append(r.msgs, fmt.Sprint(args...)) }
func (r *recordingTB) Errorf(f string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(f, args...))
}
func (r *recordingTB) Error(args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprint(args...))
}
func (r *recordingTB) Fatalf(f string, args ...any) { r.Errorf(f, args...); panic(r) }
func (r *recordingTB) Fatal(args ...any)            { r.Error(args...); panic(r) }
func (r *recordingTB) FailNow()                     { r.failed = true; panic(r) }
func (r *recordingTB) Fail()                        { r.failed = true }
func (r *recordingTB) Failed() bool                 { return r.failed }

func (r *recordingTB) check(p policy.Policy) {
	defer func() {
		if v := recover(); v != nil && v != any(r) {
			panic(v)
		}
	}()
	harness.Check(r, p, nil)
}

func TestCheckFailsWithTheShrunkCaseAndTheReplayLines(t *testing.T) {
	tb := &recordingTB{}
	tb.check(policies.NaiveBackoff())
	out := strings.Join(tb.msgs, "\n")
	for _, want := range []string{"policy naive-backoff violates", "-rapid.seed=", "chaosrun replay --policy naive-backoff --seed", "timeline:"} {
		if !tb.failed || !strings.Contains(out, want) {
			t.Fatalf("Check on naive-backoff should fail and say %q; it said:\n%s", want, out)
		}
	}
	ok := &recordingTB{}
	ok.check(policy.Reference())
	if ok.failed {
		t.Fatalf("Check on the reference failed:\n%s", strings.Join(ok.msgs, "\n"))
	}
}

func TestCostShowsWhatNaiveBackoffDuplicates(t *testing.T) {
	t.Parallel()
	ref := explore(t, policy.Reference(), &harness.ExploreOpts{Runs: 200, NoShrink: true})
	naive := explore(t, policies.NaiveBackoff(), &harness.ExploreOpts{Runs: 200, NoShrink: true})
	if ref.Cost.DuplicateEffects != 0 || naive.Cost.DuplicateEffects == 0 {
		t.Fatalf("duplicate effects: reference %d, naive-backoff %d", ref.Cost.DuplicateEffects, naive.Cost.DuplicateEffects)
	}
	if ref.Cost.ToolCalls == 0 || ref.Executions.Total == 0 || math.IsNaN(ref.Executions.CompletionRate()) {
		t.Fatalf("empty summary: %+v", ref)
	}
}

// A policy that compensates instead of reconciling — every uncertain
// outcome of a tool with a compensator is undone — holds every invariant
// too: the compensation path is exercised, not only the happy ones.
func TestACompensatingPolicyHoldsEveryInvariant(t *testing.T) {
	t.Parallel()
	undo := policy.Rule{When: policy.Match{Compensator: policy.Bool(true), Phases: []outcome.Phase{outcome.PhaseMid, outcome.PhasePost}}, Do: policy.Compensate}
	p := &policy.Rules{PolicyName: "compensating", Description: "the reference, compensating uncertain outcomes",
		Arch: policy.DefaultArchitecture(), List: append([]policy.Rule{undo}, policies.ReferenceRules()...)}
	s := explore(t, p, &harness.ExploreOpts{Runs: 1000, AllFaults: true, NoShrink: true})
	for _, id := range invariants.IDs() {
		if n := s.Violations[id]; n > 0 {
			f := s.First[id]
			t.Errorf("compensating violated %s in %d of %d runs; first at seed %d:\n%s", id, n, s.Runs, f.Seed, harness.Explain(f.Run, id))
		}
		if n := s.Unknown[id]; n > 0 {
			t.Errorf("%s could not decide in %d runs", id, n)
		}
	}
	t.Logf("%d executions, %d compensated, %d completed, %d dead-lettered", s.Executions.Total, s.Executions.Compensated, s.Executions.Completed, s.Executions.DeadLettered)
	if s.Executions.Compensated < 20 {
		t.Errorf("only %d of %d executions were compensated: the path this test is about was hardly taken", s.Executions.Compensated, s.Executions.Total)
	}
}

// A shared scratchpad keeps what a failed run wrote: a policy that shares
// one mutable context and restarts the workflow after a failure re-reads,
// from its first step, the writes of the run it gave up. The scratchpad
// lives in the store, so this holds through crashes and restarts alike.
func TestSharedContextAndRestartIsCaught(t *testing.T) {
	t.Parallel()
	arch := policy.DefaultArchitecture()
	arch.Context, arch.Resume = policy.Shared, policy.Restart
	p := &policy.Rules{PolicyName: "shared-context-restart", Arch: arch, List: policies.ReferenceRules()}
	s := explore(t, p, &harness.ExploreOpts{NoShrink: true})
	n := s.Violations[invariants.NoPoisonedContextReads]
	t.Logf("no-poisoned-context-reads violated in %d of %d runs", n, s.Runs)
	if n == 0 {
		t.Fatalf("shared context with restarts passed no-poisoned-context-reads in %d runs", s.Runs)
	}
	// The first counterexample is the restart's: a run past the first reads
	// what an earlier run wrote and never committed in this one.
	f := s.First[invariants.NoPoisonedContextReads]
	read := f.Run.History.Events[f.Violation.Event]
	stale := false
	for _, rd := range read.Reads {
		stale = stale || rd.Writer.Step >= 0 && rd.Writer.Run < read.Run
	}
	if !stale {
		t.Errorf("the poisoned read (event %d, run %d) reads nothing an earlier run wrote:\n%s", f.Violation.Event, read.Run, harness.Explain(f.Run, invariants.NoPoisonedContextReads))
	}
}
