package harness_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

// TestReleasedMemoryLeavesNoTrace simulates seeds twice, releasing every
// run in between so that later runs fill the arrays and the analyses
// earlier ones held: each seed's digest and verdicts must be the same both
// times, and a released run is empty.
func TestReleasedMemoryLeavesNoTrace(t *testing.T) {
	p := policies.NaiveBackoff()
	digests := map[uint64]string{}
	for round := range 2 {
		for seed := uint64(1); seed <= 40; seed++ {
			r, err := harness.Simulate(context.Background(), scenarios.Seeded(seed, true), p, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := fmt.Sprintf("%s %+v", r.Digest(), r.Results)
			if round == 0 {
				digests[seed] = d
			} else if d != digests[seed] {
				t.Fatalf("seed %d: digest and verdicts %s after runs were released, %s before", seed, d, digests[seed])
			}
			r.Release()
			if len(r.History.Events) != 0 || r.Ledger != nil || r.Results != nil {
				t.Fatalf("seed %d: a released run still holds %d events", seed, len(r.History.Events))
			}
			r.Release() // a second release does nothing
		}
	}
}
