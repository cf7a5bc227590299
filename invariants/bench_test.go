package invariants_test

import (
	"context"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

// recorded simulates the scenarios of seeds 1 to 32 under a catalog
// policy and keeps the runs: the histories and ledgers a benchmark checks.
// They are few, so that they stay in the processor's caches as a history
// a simulation has just recorded does.
func recorded(b *testing.B, policy string) []*harness.Run {
	b.Helper()
	e, err := policies.Lookup(policy)
	if err != nil {
		b.Fatal(err)
	}
	p := e.Go()
	runs := make([]*harness.Run, 32)
	for i := range runs {
		r, err := harness.Simulate(context.Background(), scenarios.Seeded(uint64(i+1), false), p, nil)
		if err != nil {
			b.Fatal(err)
		}
		runs[i] = r
	}
	return runs
}

// BenchmarkCheck measures the checking side of a checked run alone:
// indexing a recorded history and its ledger and running the eleven
// checkers on it, as a simulation does once its run has ended. The runs
// are recorded beforehand, under a correct policy and a naive one (whose
// runs violate invariants, so their messages are made too).
func BenchmarkCheck(b *testing.B) {
	for _, name := range []string{"reference", "naive-backoff"} {
		runs := recorded(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := runs[i%len(runs)]
				a := invariants.Analyze(&r.History, r.Ledger)
				a.Check()
				a.Release()
				i++
			}
		})
	}
}
