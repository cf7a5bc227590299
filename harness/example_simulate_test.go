package harness_test

import (
	"context"
	"fmt"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// Simulate runs one scenario — here invoice billing for acme, with every
// tool reply lost after the tool acted at a rate of 30% — under a policy,
// and checks it.
func ExampleSimulate() {
	sc := scenarios.Scenario{
		Executions: []scenarios.Execution{{ID: "e1", Tenant: "acme", Workflow: scenarios.InvoiceBilling}},
		Faults:     faults.Schedule{Seed: 4},
	}
	sc.Faults.Rates[faults.LostResponse] = 300
	for _, p := range []policy.Policy{policy.Reference(), policies.NaiveBackoff()} {
		run, err := harness.Simulate(context.Background(), sc, p, nil)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s, violated %v\n", p.Name(), run.Statuses()["e1"], run.Violated())
	}
	// Output:
	// reference: dead-lettered, violated []
	// naive-backoff: completed, violated [no-duplicate-side-effects no-lost-effects reconciliation-complete]
}

// Explore runs generated scenarios under a policy — swarm scenarios, then
// scenarios aimed at the cells of the fault model they left without a
// fault — and minimises the first counterexample of each invariant it
// breaks.
func ExampleExplore() {
	s, err := harness.Explore(context.Background(), policies.RetryOnly(), &harness.ExploreOpts{Runs: 50})
	if err != nil {
		panic(err)
	}
	f := s.FirstFailure
	fmt.Printf("%d runs, %d violated %s\n", s.Runs, s.Violations[f.Invariant], f.Invariant)
	fmt.Printf("first at seed %d, shrunk to %d steps\n", f.Seed, f.Steps())
	fmt.Println(harness.Replay{Policy: s.Policy, Source: "builtin", Seed: f.Seed, Targets: f.Targets}.Line())
	fmt.Printf("%d targeted runs; %d of %d reachable cells received a fault\n", s.Targeted, s.Coverage.Covered(), len(s.Coverage.Reachable))
	// Output:
	// 50 runs, 22 violated no-orphaned-side-effects
	// first at seed 3, shrunk to 3 steps
	// chaosrun replay --policy retry-only --seed 3
	// 25 targeted runs; 170 of 437 reachable cells received a fault
}
