package reports

import (
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
)

// The chaosrun.report/v1 schema belongs to this package: every JSON name
// of the report is a tag on a type declared here, and the harness's own
// figures are copied in field by field. Renaming a field of the harness
// therefore never renames a key of the report; adding one adds nothing to
// the report until it is copied here. Keys are only ever added to v1,
// never renamed or removed.

// Executions counts what became of the work: a policy that dead-letters
// everything is safe and useless, and this is where it shows.
type Executions struct {
	Total        int `json:"total"`
	Completed    int `json:"completed"`
	Compensated  int `json:"compensated"`
	DeadLettered int `json:"dead_lettered"`
	Failed       int `json:"failed"`
}

// CompletionRate is completed / total (0 when nothing ran).
func (x Executions) CompletionRate() float64 {
	if x.Total == 0 {
		return 0
	}
	return float64(x.Completed) / float64(x.Total)
}

func executionsOf(x harness.Executions) Executions {
	return Executions{Total: x.Total, Completed: x.Completed, Compensated: x.Compensated, DeadLettered: x.DeadLettered, Failed: x.Failed}
}

// Cost is what a policy's recoveries cost, from the ledger and the history.
type Cost struct {
	ToolCalls             int `json:"tool_calls"`
	Retries               int `json:"retries"`
	DuplicateEffects      int `json:"duplicate_effects"`
	DuplicateChargesCents int `json:"duplicate_charges_cents"`
	// DuplicateCostCents is additive to v1: paid calls made again that took
	// no customer's money (duplicate_charges_cents counts only those).
	DuplicateCostCents   int `json:"duplicate_cost_cents"`
	LLMTokensWasted      int `json:"llm_tokens_wasted"`
	DeadLettered         int `json:"dead_lettered"`
	Compensations        int `json:"compensations"`
	ReconciliationEvents int `json:"reconciliation_events"`
}

func costOf(c harness.Cost) Cost {
	return Cost{
		ToolCalls: c.ToolCalls, Retries: c.Retries, DuplicateEffects: c.DuplicateEffects,
		DuplicateChargesCents: c.DuplicateChargesCents, DuplicateCostCents: c.DuplicateCostCents, LLMTokensWasted: c.LLMTokensWasted,
		DeadLettered: c.DeadLettered, Compensations: c.Compensations, ReconciliationEvents: c.ReconciliationEvents,
	}
}

// add sums two counts, for merging shards.
func (x Executions) add(y Executions) Executions {
	return Executions{x.Total + y.Total, x.Completed + y.Completed, x.Compensated + y.Compensated, x.DeadLettered + y.DeadLettered, x.Failed + y.Failed}
}

// add sums two costs, for merging shards.
func (c Cost) add(d Cost) Cost {
	return Cost{c.ToolCalls + d.ToolCalls, c.Retries + d.Retries, c.DuplicateEffects + d.DuplicateEffects,
		c.DuplicateChargesCents + d.DuplicateChargesCents, c.DuplicateCostCents + d.DuplicateCostCents, c.LLMTokensWasted + d.LLMTokensWasted,
		c.DeadLettered + d.DeadLettered, c.Compensations + d.Compensations, c.ReconciliationEvents + d.ReconciliationEvents}
}

// Coverage is additive to v1: which cells of the fault model (tenant x
// tool x phase x fault kind, written "tenant/tool/phase/kind") received a
// fault. Reachable counts the cells a run can hit in the world, Hit those
// some run did; Missing lists the others, in order: while it is not empty,
// a policy that violated nothing is inconclusive, not clean. TargetedRuns
// counts the runs aimed at cells the pilot left without a fault. A report
// of net mode, which judges no coverage, has none.
type Coverage struct {
	Reachable    int      `json:"reachable"`
	Hit          int      `json:"hit"`
	Missing      []string `json:"missing"`
	TargetedRuns int      `json:"targeted_runs"`
}

func coverageOf(s *harness.Summary) *Coverage {
	if s.Coverage == nil {
		return nil
	}
	c := &Coverage{Reachable: len(s.Coverage.Reachable), Missing: []string{}, TargetedRuns: s.Targeted}
	for _, m := range s.Coverage.Missing() {
		c.Missing = append(c.Missing, m.String())
	}
	c.Hit = c.Reachable - len(c.Missing)
	return c
}

// merge combines the coverage of two shards of one exploration. Every shard
// runs the pilot that decides the reachable cells, so shards of --runs have
// the same ones, and a cell is missing from the whole when it is missing
// from every shard. Shards of --duration may have reached different cells
// by lookups: then a cell missing from any shard stays missing, which may
// miss a hit but never claims one.
func (c *Coverage) merge(d *Coverage) *Coverage {
	switch {
	case c == nil:
		return d.clone()
	case d == nil:
		return c.clone()
	}
	out := &Coverage{Reachable: max(c.Reachable, d.Reachable), Missing: []string{}, TargetedRuns: c.TargetedRuns + d.TargetedRuns}
	in := map[string]bool{}
	for _, m := range d.Missing {
		in[m] = true
	}
	for _, m := range c.Missing {
		if in[m] || c.Reachable != d.Reachable {
			out.Missing = append(out.Missing, m)
		}
		delete(in, m)
	}
	if c.Reachable != d.Reachable {
		for _, m := range d.Missing {
			if in[m] {
				out.Missing = append(out.Missing, m)
			}
		}
		slices.SortFunc(out.Missing, compareCells)
	}
	out.Hit = out.Reachable - len(out.Missing)
	return out
}

func (c *Coverage) clone() *Coverage {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Missing = append([]string{}, c.Missing...)
	return &cp
}

// compareCells orders cells as the harness does: by tenant, tool, then
// kind.
func compareCells(a, b string) int {
	ca, errA := faults.ParseCell(a)
	cb, errB := faults.ParseCell(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return ca.Compare(cb)
}
