package harness_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// generatedWorlds is how many worlds the properties below draw, and
// worldRuns how many scenarios each runs.
const (
	generatedWorlds = 300
	worldRuns       = 20
)

// The reference holds every invariant in any world a team can describe:
// 300 generated worlds — tools of every behaviour, tenants with and without
// contracts and overrides, workflows — 20 scenarios each with every fault
// kind on; and it still gets the work done there, within 10 points of
// naive-backoff's completion on the same seeds.
func TestReferenceHoldsInGeneratedWorlds(t *testing.T) {
	t.Parallel()
	gen := worlds.Generator()
	var ref, naive harness.Executions
	for seed := 1; seed <= generatedWorlds; seed++ {
		w := scenarios.Example(gen, seed)
		opts := &harness.ExploreOpts{World: w, Runs: worldRuns, Seed: uint64(seed), AllFaults: true, NoShrink: true}
		s := explore(t, policy.Reference(), opts)
		for _, id := range invariants.IDs() {
			if n := s.Violations[id]; n > 0 {
				f := s.First[id]
				t.Fatalf("world %d: the reference violated %s in %d of %d runs; first at seed %d:\n%s\nworld:\n%+v", seed, id, n, s.Runs, f.Seed, harness.Explain(f.Run, id), w)
			}
		}
		ref = ref.Add(s.Executions)
		naive = naive.Add(explore(t, policies.NaiveBackoff(), opts).Executions)
	}
	rc, nc := ref.CompletionRate(), naive.CompletionRate()
	t.Logf("completion over %d worlds × %d all-faults scenarios: reference %.1f%%, naive-backoff %.1f%%", generatedWorlds, worldRuns, 100*rc, 100*nc)
	if nc-rc > 0.10 {
		t.Errorf("reference completes %.1f%%, naive-backoff %.1f%%: more than 10 points apart", 100*rc, 100*nc)
	}
}

// mistakeWorlds is how many generated worlds each catalog mistake is put in.
const mistakeWorlds = 100

// Each catalog mistake is caught by its named invariants in every generated
// world that holds what the mistake needs to do harm (its precondition):
// naive-backoff wherever a non-idempotent tool is in a workflow,
// static-system-policy wherever a tenant's contract is on one, and so on.
func TestEachMistakeIsCaughtInGeneratedWorlds(t *testing.T) {
	t.Parallel()
	gen := worlds.Generator()
	for _, e := range policies.Catalog()[1:] {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			held := 0
			for seed := 1; seed <= mistakeWorlds; seed++ {
				w := scenarios.Example(gen, seed)
				space, err := harness.Compile(w)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range e.CaughtBy {
					if !precondition(space.World(), e.Name, id) {
						continue
					}
					held++
					if runs, ok := caught(t, e.Go(), w, id); !ok {
						t.Errorf("world %d holds what %s needs to break %s, and %d runs did not catch it:\n%+v", seed, e.Name, id, runs, w)
					}
				}
			}
			t.Logf("%s: its preconditions held for %d (world, invariant) pairs of %d worlds", e.Name, held, mistakeWorlds)
			if held < mistakeWorlds/10 {
				t.Errorf("only %d worlds hold %s's preconditions: the property says little", held, e.Name)
			}
		})
	}
}

// caught explores a policy in a world in batches until it violates id.
func caught(t *testing.T, p policy.Policy, w *worlds.World, id invariants.ID) (int, bool) {
	const batch, most = 50, 400
	for seed := 1; seed < most; seed += batch {
		s := explore(t, p, &harness.ExploreOpts{World: w, Runs: batch, Seed: uint64(seed), AllFaults: true, NoShrink: true})
		if s.Violations[id] > 0 {
			return seed + batch - 1, true
		}
	}
	return most, false
}

// precondition says whether a world gives a mistake what it needs to break
// the invariant it is caught by.
func precondition(cat *fakes.Catalog, mistake string, id invariants.ID) bool {
	w := cat.World()
	reachable := map[string]bool{}
	for _, tool := range w.GeneratedTools() {
		reachable[tool] = true
	}
	for _, wf := range w.Workflows {
		for _, tool := range wf.Steps {
			reachable[tool] = true
		}
	}
	any := func(f func(tenant string, s worlds.Spec) bool) bool {
		for tool := range reachable {
			for _, tenant := range cat.Tenants() {
				if s, ok := cat.Spec(tenant, tool); ok && f(tenant, s) {
					return true
				}
			}
		}
		return false
	}
	// A tenant's contract stops a retry the policy would make (the
	// mistakes honour contracts, but for static-system-policy).
	free := func(tn string, s worlds.Spec) bool { return w.Contract(tn, s.Tool).IsZero() }
	harmful := func(tn string, s worlds.Spec) bool {
		tr := s.Truth()
		return tr.SideEffects && !tr.Idempotent && free(tn, s)
	}
	switch mistake + "/" + string(id) {
	case "naive-backoff/no-duplicate-side-effects":
		return any(harmful)
	case "status-code-llm-retry/no-duplicate-side-effects":
		return any(func(tn string, s worlds.Spec) bool { return s.Stream && free(tn, s) })
	case "shared-mutable-context/no-poisoned-context-reads":
		return any(func(tn string, s worlds.Spec) bool { return s.Tier <= 1 && free(tn, s) })
	case "global-retry-budget/no-duplicate-side-effects":
		return any(func(tn string, s worlds.Spec) bool { return harmful(tn, s) && s.Behaviour != worlds.KeyedWrite })
	case "restart-whole-workflow/resume-from-checkpoint":
		return any(func(tn string, s worlds.Spec) bool { return s.Behaviour != worlds.Planner && free(tn, s) })
	case "restart-whole-workflow/no-orchestrator-retry":
		return any(func(tn string, s worlds.Spec) bool { return s.Behaviour == worlds.Planner && free(tn, s) })
	case "static-system-policy/tenant-contract-honored":
		return any(func(tn string, s worlds.Spec) bool { return w.Contract(tn, s.Tool).NeverRetry })
	case "retry-only/no-orphaned-side-effects":
		return any(harmful)
	case "retry-only/reconciliation-complete":
		return any(func(_ string, s worlds.Spec) bool {
			tr := s.Truth()
			return tr.SideEffects && tr.Lookup && !tr.Streaming
		})
	}
	panic("no precondition for " + mistake + "/" + string(id))
}
