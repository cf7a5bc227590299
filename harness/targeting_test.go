package harness_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// resendsRejectedEmail is the reference but for one rare case: when
// initech's send_email rejects an operation after acting on it (a
// rejection, the same on every attempt), it sends it once more. Nothing
// else fails deterministically after send_email acted, so the duplicate
// email it causes is reachable in one cell of the fault model only:
// initech/send_email/post/rejected.
type resendsRejectedEmail struct{ policy.Policy }

func (resendsRejectedEmail) Name() string { return "resends-a-rejected-email" }

func (p resendsRejectedEmail) Decide(in policy.Input) policy.Decision {
	if in.Tenant == "initech" && in.Entry.Tool == "send_email" && in.Outcome.Phase == outcome.PhasePost && in.Outcome.Class == outcome.Deterministic {
		return policy.RetryUpTo(1, "the email was rejected: send it again")
	}
	return p.Policy.Decide(in)
}

var rareCell = faults.Cell{Tenant: "initech", Tool: "send_email", Kind: faults.Rejected}

// A break reachable in one rare cell is caught in every one of ten
// 400-run windows of seeds thanks to the runs aimed at the cells the swarm
// runs left without a fault; with swarm runs alone it is not (the test
// would prove nothing if it were), and the counterexample of a targeted run
// replays from its seed and its targets.
func TestARareCellIsCaughtInEveryWindow(t *testing.T) {
	t.Parallel()
	p := resendsRejectedEmail{policy.Reference()}
	caught, swarmCaught := 0, 0
	for w := range uint64(10) {
		opts := &harness.ExploreOpts{Runs: 400, Seed: 1 + 400*w, NoShrink: true}
		s := explore(t, p, opts)
		if f := s.First[invariants.NoDuplicateSideEffects]; f != nil {
			caught++
			checkTheRareCell(t, p, f)
		}
		for id, n := range s.Violations {
			if n > 0 && id != invariants.NoDuplicateSideEffects && id != invariants.NoLostEffects {
				t.Errorf("window %d: %s violated in %d runs: the policy breaks no-duplicate-side-effects (and so no-lost-effects) only", w, id, n)
			}
		}
		opts.NoTargeting = true
		if explore(t, p, opts).First[invariants.NoDuplicateSideEffects] != nil {
			swarmCaught++
		}
	}
	t.Logf("caught in %d of 10 windows with targeting, %d of 10 with swarm runs alone", caught, swarmCaught)
	if caught < 10 {
		t.Errorf("the rare cell's break was caught in only %d of 10 windows of 400 runs", caught)
	}
	if swarmCaught > 7 {
		t.Errorf("swarm runs alone caught it in %d of 10 windows: the cell is not rare enough for this test to show what targeting adds", swarmCaught)
	}
}

// checkTheRareCell: the counterexample hit the rare cell, and its seed and
// targets give its scenario again.
func checkTheRareCell(t *testing.T, p policy.Policy, f *harness.Failure) {
	t.Helper()
	hit := false
	for _, a := range f.Run.Faults() {
		hit = hit || a.Kind == rareCell.Kind && a.Tenant == rareCell.Tenant && a.Tool == rareCell.Tool
	}
	if !hit {
		t.Errorf("seed %d violated no-duplicate-side-effects without a fault in %s", f.Seed, rareCell)
	}
	run, err := harness.Simulate(t.Context(), scenarios.Default().SeededAt(f.Seed, false, f.Targets), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Digest() != f.Run.Digest() {
		t.Errorf("seed %d aimed at %v does not replay its run", f.Seed, f.Targets)
	}
}

// Every fault that fires lands in a cell the world says is reachable: the
// reachable cells are the injector's and the fakes' own rules, and a fault
// outside them would be a rule the coverage does not know. Every kind of
// fault in the world fires too, so that the check covers them all.
func TestEveryFaultLandsInAReachableCell(t *testing.T) {
	t.Parallel()
	cat := scenarios.Default().World()
	reachable := map[faults.Cell]bool{}
	for _, c := range faults.Reachable(cat) {
		reachable[c] = true
	}
	kinds := map[faults.Kind]bool{}
	for _, p := range []policy.Policy{policy.Reference(), policies.NaiveBackoff()} {
		s := explore(t, p, &harness.ExploreOpts{Runs: 300, AllFaults: true, NoShrink: true})
		for c := range s.Coverage.Hit {
			kinds[c.Kind] = true
			if !reachable[c] {
				t.Errorf("%s: a fault landed in %s, which faults.Reachable does not list", p.Name(), c)
			}
		}
		if got, want := len(s.Coverage.Reachable), len(reachable); got > want {
			t.Errorf("%s: %d reachable cells, more than the world's %d", p.Name(), got, want)
		}
	}
	for _, k := range faults.Kinds() {
		if !kinds[k] {
			t.Errorf("no %s fault landed in any cell", k)
		}
	}
}

// TestInconclusiveIsThinEvidence: a policy that violates nothing is
// inconclusive while some reachable cell has received no fault (20 runs
// leave most without one), and vouched for once every cell has (the 500
// runs of a default exploration); a policy that violates an invariant is
// never inconclusive, however thin its evidence.
func TestInconclusiveIsThinEvidence(t *testing.T) {
	t.Parallel()
	thin := explore(t, policy.Reference(), &harness.ExploreOpts{Runs: 20, NoShrink: true})
	if !thin.Clean() || !thin.Inconclusive() || len(thin.Coverage.Missing()) == 0 {
		t.Errorf("20 runs of the reference: clean %v, inconclusive %v, %d cells missing; want clean, inconclusive, some missing",
			thin.Clean(), thin.Inconclusive(), len(thin.Coverage.Missing()))
	}
	full := explore(t, policy.Reference(), &harness.ExploreOpts{Runs: 500, NoShrink: true})
	if !full.Clean() || full.Inconclusive() {
		t.Errorf("500 runs of the reference: clean %v, inconclusive %v (%d cells missing); want clean and conclusive",
			full.Clean(), full.Inconclusive(), len(full.Coverage.Missing()))
	}
	caught := explore(t, policies.NaiveBackoff(), &harness.ExploreOpts{Runs: 20, NoShrink: true})
	if caught.Clean() || caught.Inconclusive() {
		t.Errorf("20 runs of naive-backoff: clean %v, inconclusive %v; want a violation, which is conclusive", caught.Clean(), caught.Inconclusive())
	}
}
