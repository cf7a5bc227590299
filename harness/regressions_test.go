package harness_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// The regression suite: the reference with one safeguard switched off
// (policy.ReferenceWithout) must be caught by Explore, at its default run
// count and settings, by the invariant that safeguard protects. A variant
// the harness lets through is a blind spot of the fault model, the world or
// the invariants, to be fixed there, not here.
//
// Shrinking is off: it minimises the counterexamples after the runs are
// counted, and changes no count.

// regression is one weakened reference and what must catch it.
type regression struct {
	off policy.Safeguard
	// base is what the safeguard backs up, taken away with it, for a
	// safeguard whose loss the reference alone never shows (see
	// unobservable); nil for none. base alone must not break by.
	base *variant
	by   invariants.ID
	// rare names the cells the loss needs, when swarm scenarios reach them
	// in fewer than 5% of runs: then one run must catch it, and targeted
	// exploration is what aims runs at those cells. Empty: 5% of the runs.
	rare string
}

// variant is a reference policy with some architecture changed.
type variant struct {
	name string
	edit func(*policy.Architecture)
}

var noKeyForPublishReport = &variant{"no key for publish_report", func(a *policy.Architecture) {
	a.ToolKeys = map[string]policy.KeyMode{"publish_report": policy.NoKeys}
}}

var finalCommitOff = &variant{"without final-commit", func(a *policy.Architecture) {
	a.Without |= policy.SafeguardSet(policy.FinalCommit)
}}

var regressions = []regression{
	// Layer 1.
	{off: policy.TimeoutTyping, by: invariants.NoDuplicateSideEffects,
		rare: "a lost response or a held request on a tool whose key deduplicates nothing (send_email, signal_downstream, enrich_contact, globex's and initech's publish_report)"},
	// Layer 2.
	{off: policy.TenantEntry, by: invariants.NoDuplicateSideEffects,
		rare: "a failure after acting on a tool a tenant overrides (globex's vector_search and publish_report, initech's publish_report)"},
	// Layer 3.
	{off: policy.NeverRetryContract, by: invariants.TenantContractHonored,
		rare: "a failure before acting of globex's publish_report"},
	{off: policy.AtMostOnceContract, by: invariants.TenantContractHonored,
		rare: "a held request (zombie) on initech's publish_report"},
	{off: policy.KeyRequiredContract, base: noKeyForPublishReport, by: invariants.TenantContractHonored},
	{off: policy.NoPlanRetry, by: invariants.NoOrchestratorRetry},
	{off: policy.ReconcileAfterActed, by: invariants.NoDuplicateSideEffects},
	{off: policy.RetryBudget, by: invariants.TerminalState,
		rare: "an outage for good"},
	{off: policy.RetryAfter, by: invariants.RetryAfterHonored},
	// Layer 4.
	{off: policy.CopyOnWrite, by: invariants.NoPoisonedContextReads},
	{off: policy.BeginBeforeInvoke, by: invariants.NoDuplicateSideEffects,
		rare: "a begin-fail or a crash after calling a tool whose key deduplicates nothing"},
	{off: policy.AtomicCommit, by: invariants.NoPoisonedContextReads},
	{off: policy.PerOperationKeys, by: invariants.NoDuplicateSideEffects,
		rare: "a held request, or a lookup that lags or misses, on a keyed write"},
	{off: policy.DedupTokens, by: invariants.NoDuplicateSideEffects},
	{off: policy.ResumeAfterCommit, by: invariants.ResumeFromCheckpoint},
	{off: policy.ReviewQueue, by: invariants.TerminalState},
	{off: policy.FinalCommit, by: invariants.NoLostEffects},
	// Layer 5.
	{off: policy.DuplicateAnomaly, by: invariants.ReconciliationComplete,
		rare: "a double delivery by a keyed write in an execution that failed an attempt"},
	{off: policy.OrphanAnomaly, base: finalCommitOff, by: invariants.ReconciliationComplete},
	{off: policy.ConflictAnomaly, by: invariants.ReconciliationComplete,
		rare: "a lost write by a keyed write in an execution that failed an attempt"},
}

// unobservable are the safeguards whose loss alone changes nothing the
// reference does in its world: its runs are the reference's, event for
// event. Each is shown in regressions with the safeguard it backs up, or,
// for the two key loops, stays a second line the reference never needs.
var unobservable = map[policy.Safeguard]string{
	policy.KeyRequiredContract: "every call the reference makes to initech's publish_report carries the operation's key, so the clause never finds a call without one",
	policy.CompensateEveryKey:  "with per-operation keys and kept dedup tokens every attempt of a step carries the one key of the operation: the first key is every key",
	policy.ReconcileEveryKey:   "with per-operation keys and kept dedup tokens every attempt of a step carries the one key of the operation: the first key is every key",
	policy.OrphanAnomaly:       "the reference's engine leaves no orphaned effect, and the world leaves none a compensation by key does not undo: there is no orphan for the worker to miss",
}

// weakened is the policy of a regression, and the policy of its base alone.
func (r regression) weakened() (p, base policy.Policy) {
	p = policy.ReferenceWithout(r.off)
	if r.base == nil {
		return p, nil
	}
	return archVariant{p, p.Name() + ", " + r.base.name, r.base.edit}, archVariant{policy.Reference(), "reference, " + r.base.name, r.base.edit}
}

// archVariant is a policy with its architecture edited.
type archVariant struct {
	policy.Policy
	name string
	edit func(*policy.Architecture)
}

func (v archVariant) Name() string { return v.name }

func (v archVariant) Architecture() policy.Architecture {
	a := v.Policy.Architecture()
	v.edit(&a)
	return a
}

func TestEachWeakenedReferenceIsCaughtByItsInvariant(t *testing.T) {
	t.Parallel()
	covered := map[policy.Safeguard]bool{}
	for _, r := range regressions {
		covered[r.off] = true
	}
	for _, g := range policy.AllSafeguards() {
		if _, ok := unobservable[g]; !covered[g] && !ok {
			t.Errorf("safeguard %s has no regression, and is not listed as unobservable", g)
		}
	}
	for _, r := range regressions {
		p, base := r.weakened()
		t.Run(p.Name(), func(t *testing.T) {
			t.Parallel()
			s := explore(t, p, &harness.ExploreOpts{NoShrink: true})
			n := s.Violations[r.by]
			rate := float64(n) / float64(s.Runs)
			t.Logf("caught by %s in %d of %d runs (%.1f%%); all violations: %s", r.by, n, s.Runs, 100*rate, violated(s))
			switch {
			case r.rare == "" && rate < 0.05:
				t.Errorf("caught by %s in %d of %d runs, below 5%% (violations: %s)", r.by, n, s.Runs, violated(s))
			case n == 0:
				t.Errorf("never caught by %s in %d runs; it needs %s, which exploration must reach (violations: %s)", r.by, s.Runs, r.rare, violated(s))
			}
			if base != nil {
				if b := explore(t, base, &harness.ExploreOpts{NoShrink: true}); b.Violations[r.by] > 0 {
					t.Errorf("%s alone breaks %s in %d runs: the catch is not the safeguard's", base.Name(), r.by, b.Violations[r.by])
				}
			}
		})
	}
}

// violated lists the invariants a summary counts violations of, with their counts.
func violated(s *harness.Summary) string {
	var parts []string
	for _, id := range invariants.IDs() {
		if n := s.Violations[id]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", id, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// The safeguards listed as unobservable are so: switched off alone, the
// reference runs the default exploration's scenarios exactly as it does
// with them on.
func TestUnobservableSafeguardsChangeNoRun(t *testing.T) {
	t.Parallel()
	runs := 500 // the default exploration's: seeds 1 to 500
	ref := make([][32]byte, runs)
	for i := range ref {
		ref[i] = runPrint(t, policy.Reference(), uint64(i+1))
	}
	for g, why := range unobservable {
		t.Run(g.String(), func(t *testing.T) {
			t.Parallel()
			p := policy.ReferenceWithout(g)
			for i := range ref {
				if runPrint(t, p, uint64(i+1)) != ref[i] {
					t.Fatalf("%s changes the run of seed %d, but is listed as unobservable: %s", p.Name(), i+1, why)
				}
			}
		})
	}
}

// runPrint is a run's history and ledger, hashed: what the policy did in
// the scenario of a seed, whatever its name.
func runPrint(t *testing.T, p policy.Policy, seed uint64) [32]byte {
	t.Helper()
	run, err := harness.Simulate(context.Background(), scenarios.Seeded(seed, false), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintln(h, run.HistoryDigest())
	for _, e := range run.Ledger.Effects() {
		fmt.Fprintf(h, "%+v\n", e)
	}
	return [32]byte(h.Sum(nil))
}

// The zero value switches nothing off: ReferenceWithout() is the reference,
// and the default exploration finds it clean, every invariant decided.
func TestNoSafeguardOffIsTheReference(t *testing.T) {
	t.Parallel()
	p := policy.ReferenceWithout()
	if p.Name() != "reference" || p.Architecture().Without != 0 || policy.DefaultArchitecture().Without != 0 {
		t.Fatalf("ReferenceWithout() is %q without %q", p.Name(), p.Architecture().Without)
	}
	s := explore(t, p, &harness.ExploreOpts{NoShrink: true})
	for _, id := range invariants.IDs() {
		if s.Violations[id] > 0 || s.Unknown[id] > 0 {
			t.Errorf("%s: %d violations, %d undecided in %d runs", id, s.Violations[id], s.Unknown[id], s.Runs)
		}
	}
}
