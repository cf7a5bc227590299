package reports_test

import (
	"context"
	"fmt"
	"os"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reports"
	"github.com/chaosrun/chaosrun/worlds"
)

// Explore a policy, add it to a report and render the report for a CI job
// summary. In GitHub Actions, write it to the file $GITHUB_STEP_SUMMARY
// names (reports.WriteFile does it whole or not at all).
// The exploration here is in a tiny world (see ExampleJSON), whose fault
// model has few cells.
func ExampleMarkdown() {
	w, err := worlds.Parse("tiny.yaml", []byte(tiny))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := harness.Explore(context.Background(), policy.Reference(), &harness.ExploreOpts{Runs: 20, Seed: 1, World: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := reports.New(reports.Setup{Runs: 20, World: w.Name})
	r.Add(s, reports.Entry{Source: "builtin", Summary: "none: the five layers"})
	if err := reports.Markdown(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ## chaosrun report
	//
	// **Verdict:** 1 policy, 20 runs each (seed 1, sim): 1 clean
	//
	// <sub>sim mode, memory store, world tiny, seeds 1-20, shard 1/1</sub>
	//
	// ### Invariants by policy
	//
	// Runs in which each invariant was violated. `*` marks an invariant the policy's mistake must break; · means it held in every run; ? counts runs where the checker could not decide.
	//
	// | policy | runs | dup | lost | poison | iso | contract | resume | orch | orphan | recon | term | retry-after | verdict |
	// | --- | ---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | --- |
	// | `reference` | 20 | · | · | · | · | · | · | · | · | · | · | · | clean |
	//
	// <sub>**dup** no-duplicate-side-effects · **lost** no-lost-effects · **poison** no-poisoned-context-reads · **iso** tenant-isolation · **contract** tenant-contract-honored · **resume** resume-from-checkpoint · **orch** no-orchestrator-retry · **orphan** no-orphaned-side-effects · **recon** reconciliation-complete · **term** terminal-state · **retry-after** retry-after-honored</sub>
	//
	// ### What the work became, and what it cost
	//
	// | policy | completion | dead-lettered | compensated | duplicate effects | duplicate charges | duplicate cost | wasted LLM tokens | retries | reconciliation events |
	// | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
	// | `reference` | 100.0% (16/16) | 0 | 0 | 0 | $0.00 | $0.00 | 0 | 6 | 0 |
	//
	// <sub>Over the swarm runs (targeted runs raise a few kinds of fault far above what swarm schedules draw). Duplicate charges: money a charging tool took twice from a customer, who gets it back only by a refund. Duplicate cost: other paid calls made again (an enrichment, a paid webhook), paid by you.</sub>
	//
	// ### Coverage of the fault model
	//
	// Cells are tenant × tool × phase × fault kind. A policy that violated nothing is clean only when every reachable cell received a fault in some run, and inconclusive otherwise. Targeted runs are aimed at the cells the swarm runs left without a fault.
	//
	// | policy | cells hit | targeted runs | never received a fault |
	// | --- | ---: | ---: | --- |
	// | `reference` | 13/13 | 10 | none |
}
