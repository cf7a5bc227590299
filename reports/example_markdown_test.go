package reports_test

import (
	"context"
	"fmt"
	"os"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reports"
)

// Explore a policy, add it to a report and render the report for a CI job
// summary. In GitHub Actions, write it to the file $GITHUB_STEP_SUMMARY
// names (reports.WriteFile does it whole or not at all).
func ExampleMarkdown() {
	s, err := harness.Explore(context.Background(), policy.Reference(), &harness.ExploreOpts{Runs: 5, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := reports.New(reports.Setup{Runs: 5})
	r.Add(s, reports.Entry{Source: "builtin", Summary: "none: the five layers"})
	if err := reports.Markdown(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ## chaosrun report
	//
	// **Verdict:** 1 policy, 5 runs each (seed 1, sim): 1 clean
	//
	// <sub>sim mode, memory store, world default, seeds 1-5, shard 1/1</sub>
	//
	// ### Invariants by policy
	//
	// Runs in which each invariant was violated. `*` marks an invariant the policy's mistake must break; · means it held in every run; ? counts runs where the checker could not decide.
	//
	// | policy | runs | dup | lost | poison | iso | contract | resume | orch | orphan | recon | term | retry-after | verdict |
	// | --- | ---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | --- |
	// | `reference` | 5 | · | · | · | · | · | · | · | · | · | · | · | clean |
	//
	// <sub>**dup** no-duplicate-side-effects · **lost** no-lost-effects · **poison** no-poisoned-context-reads · **iso** tenant-isolation · **contract** tenant-contract-honored · **resume** resume-from-checkpoint · **orch** no-orchestrator-retry · **orphan** no-orphaned-side-effects · **recon** reconciliation-complete · **term** terminal-state · **retry-after** retry-after-honored</sub>
	//
	// ### What the work became, and what it cost
	//
	// | policy | completion | dead-lettered | compensated | duplicate effects | duplicate charges | duplicate cost | wasted LLM tokens | retries | reconciliation events |
	// | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
	// | `reference` | 77.8% (7/9) | 1 | 0 | 0 | $0.00 | $0.00 | 400 | 1 | 0 |
	//
	// <sub>Duplicate charges: money a charging tool took twice from a customer, who gets it back only by a refund. Duplicate cost: other paid calls made again (an enrichment, a paid webhook), paid by you.</sub>
}
