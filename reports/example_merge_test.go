package reports_test

import (
	"context"
	"fmt"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reports"
)

// Merge the reports of two shards of one exploration: the counts add up
// and the lowest seed's counterexample is kept, as in the unsharded run.
func ExampleMerge() {
	var parts []reports.Part
	for shard := 1; shard <= 2; shard++ {
		r := reports.New(reports.Setup{Runs: 10, Shard: shard, Shards: 2})
		s, err := harness.Explore(context.Background(), policies.NaiveBackoff(),
			&harness.ExploreOpts{Runs: r.RunsPerPolicy, Seed: 1, Shard: shard, Shards: 2, NoShrink: true})
		if err != nil {
			fmt.Println(err)
			return
		}
		r.Add(s, reports.Entry{Source: "builtin"})
		parts = append(parts, reports.Part{Name: fmt.Sprintf("shard-%d.json", shard), Report: r})
	}
	merged, err := reports.Merge(parts)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := merged.Policies[0]
	fmt.Println("shard", merged.Shard, "seeds", reports.SeedsText(merged), "runs", p.Runs)
	fmt.Println("first failure:", p.FirstFailure.Invariant, "at seed", p.FirstFailure.Seed, "from", p.Failure(p.FirstFailure.Invariant).From)
	// Output:
	// shard 1/1 seeds 1-10 runs 10
	// first failure: no-duplicate-side-effects at seed 3 from shard 1/2 (shard-1.json)
}
