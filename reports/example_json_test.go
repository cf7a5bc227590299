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

// tiny is a world of one tenant and one read-only tool: its fault model
// has few cells, so that a report's coverage fits an example.
const tiny = `world: v1
name: tiny
tools:
  search: {behaviour: read}
tenants:
  acme: {}
`

// Render a report as JSON, schema chaosrun.report/v1, here of an
// exploration in a tiny world. The exploration's wall time (elapsed_ms) is
// the one field that differs from run to run; it is zeroed here so that
// the output is stable.
func ExampleJSON() {
	w, err := worlds.Parse("tiny.yaml", []byte(tiny))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := harness.Explore(context.Background(), policy.Reference(), &harness.ExploreOpts{Runs: 3, Seed: 1, World: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := reports.New(reports.Setup{Runs: 3, Version: "(devel)", World: w.Name})
	r.Add(s, reports.Entry{Source: "builtin"})
	r.Policies[0].ElapsedMS = 0
	if err := reports.JSON(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "schema": "chaosrun.report/v1",
	//   "mode": "sim",
	//   "seed": 1,
	//   "runs_per_policy": 3,
	//   "shard": "1/1",
	//   "store": "memory",
	//   "world": "tiny",
	//   "seeds": {
	//     "first": 1,
	//     "last": 3
	//   },
	//   "version": "(devel)",
	//   "invariants": [
	//     "no-duplicate-side-effects",
	//     "no-lost-effects",
	//     "no-poisoned-context-reads",
	//     "tenant-isolation",
	//     "tenant-contract-honored",
	//     "resume-from-checkpoint",
	//     "no-orchestrator-retry",
	//     "no-orphaned-side-effects",
	//     "reconciliation-complete",
	//     "terminal-state",
	//     "retry-after-honored"
	//   ],
	//   "policies": [
	//     {
	//       "name": "reference",
	//       "source": "builtin",
	//       "runs": 3,
	//       "elapsed_ms": 0,
	//       "violations": {
	//         "no-duplicate-side-effects": 0,
	//         "no-lost-effects": 0,
	//         "no-orchestrator-retry": 0,
	//         "no-orphaned-side-effects": 0,
	//         "no-poisoned-context-reads": 0,
	//         "reconciliation-complete": 0,
	//         "resume-from-checkpoint": 0,
	//         "retry-after-honored": 0,
	//         "tenant-contract-honored": 0,
	//         "tenant-isolation": 0,
	//         "terminal-state": 0
	//       },
	//       "first_failure": null,
	//       "executions": {
	//         "total": 3,
	//         "completed": 3,
	//         "compensated": 0,
	//         "dead_lettered": 0,
	//         "failed": 0
	//       },
	//       "cost": {
	//         "tool_calls": 11,
	//         "retries": 1,
	//         "duplicate_effects": 0,
	//         "duplicate_charges_cents": 0,
	//         "duplicate_cost_cents": 0,
	//         "llm_tokens_wasted": 0,
	//         "dead_lettered": 0,
	//         "compensations": 0,
	//         "reconciliation_events": 0
	//       },
	//       "unknown": {
	//         "no-duplicate-side-effects": 0,
	//         "no-lost-effects": 0,
	//         "no-orchestrator-retry": 0,
	//         "no-orphaned-side-effects": 0,
	//         "no-poisoned-context-reads": 0,
	//         "reconciliation-complete": 0,
	//         "resume-from-checkpoint": 0,
	//         "retry-after-honored": 0,
	//         "tenant-contract-honored": 0,
	//         "tenant-isolation": 0,
	//         "terminal-state": 0
	//       },
	//       "failures": [],
	//       "all_faults": false,
	//       "coverage": {
	//         "reachable": 13,
	//         "hit": 3,
	//         "missing": [
	//           "acme/search/pre/unavailable",
	//           "acme/search/pre/rate-limit",
	//           "acme/search/mid/lost-response",
	//           "acme/search/mid/reset",
	//           "acme/search/store/commit-fail",
	//           "acme/search/store/commit-ambiguous",
	//           "acme/search/engine/crash",
	//           "acme/search/mid/error-after",
	//           "acme/search/post/rejected",
	//           "acme/search/pre/outage"
	//         ],
	//         "targeted_runs": 1
	//       }
	//     }
	//   ]
	// }
}
