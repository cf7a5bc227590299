package harness

import (
	"slices"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// Coverage says which cells of the fault model (tenant x tool x phase x
// fault kind, see [faults.Cell]) an exploration's runs put a fault in.
//
// The reachable cells are the world's ([faults.Reachable]), but for the
// kinds that land on lookups by key ([faults.Kind.OnLookup]): only a system
// that looks a tool up can receive them, so those cells count as reachable
// where the exploration's pilot (see [ExploreOpts]) saw the system under
// test look the tool up for the tenant. Every shard of an exploration runs
// the pilot, so every shard has the same reachable cells, and the merge of
// the shards' coverage is exact.
type Coverage struct {
	// Reachable lists the reachable cells, in order.
	Reachable []faults.Cell
	// Hit counts, per cell, the runs that put a fault in it (reachable or
	// not: a fault on a lookup the pilot never saw).
	Hit map[faults.Cell]int
}

// Missing lists the reachable cells no run put a fault in, in order.
func (c *Coverage) Missing() []faults.Cell {
	var out []faults.Cell
	for _, cell := range c.Reachable {
		if c.Hit[cell] == 0 {
			out = append(out, cell)
		}
	}
	return out
}

// Covered counts the reachable cells some run put a fault in.
func (c *Coverage) Covered() int { return len(c.Reachable) - len(c.Missing()) }

// add counts the cells of one run.
func (c *Coverage) add(cells []faults.Cell) {
	if c.Hit == nil {
		c.Hit = map[faults.Cell]int{}
	}
	for _, cell := range cells {
		c.Hit[cell]++
	}
}

// probe is what one run tells coverage: the cells it hit, and the
// (tenant, tool) pairs the system under test looked up in an attempt.
type probe struct {
	cells  []faults.Cell
	looked [][2]string
}

// probeRun reads a run's cells from its history: each fault event is one
// hit of the cell of its kind, tenant and tool (the tool of the step, for a
// fault on a checkpoint record or at an engine point that names none;
// registry drift hits each tool that drifted and that an execution of the
// tenant calls). Faults on a compensator's calls are not in any cell: a
// compensator is its tool's undo action, not a step.
//
// It walks the history once, and searches the cells and pairs it found so
// far: a run has a few of each.
func probeRun(cat *fakes.Catalog, r *Run) probe {
	var p probe
	hit := func(c faults.Cell) {
		if !slices.Contains(p.cells, c) {
			p.cells = append(p.cells, c)
		}
	}
	for i := range r.History.Events {
		e := &r.History.Events[i]
		if e.Kind == engine.EvLookup && e.Attempt > 0 {
			if at := [2]string{e.Tenant, e.Tool}; !slices.Contains(p.looked, at) {
				p.looked = append(p.looked, at)
			}
			continue
		}
		a, ok := faultOf(e)
		if !ok {
			continue
		}
		if a.Kind == faults.Drift {
			for _, tool := range cat.DriftTools(a.Tenant) {
				if calls(r, a.Tenant, tool) {
					hit(faults.Cell{Tenant: a.Tenant, Tool: tool, Kind: a.Kind})
				}
			}
			continue
		}
		tool := a.Tool
		if tool == "" {
			tool = stepTool(r, a.Exec, a.Step)
		}
		if sp, ok := cat.Spec(a.Tenant, tool); !ok || sp.Undoes != "" {
			continue
		}
		hit(faults.Cell{Tenant: a.Tenant, Tool: tool, Kind: a.Kind})
	}
	return p
}

// stepTool is the tool of an execution's step in the run's scenario ("" if
// there is none).
func stepTool(r *Run, exec string, step int) string {
	for _, x := range r.Scenario.Executions {
		if x.ID == exec && step >= 0 && step < len(x.Workflow.Tools) {
			return x.Workflow.Tools[step]
		}
	}
	return ""
}

// calls reports whether an execution of the tenant calls the tool.
func calls(r *Run, tenant, tool string) bool {
	for _, x := range r.Scenario.Executions {
		if x.Tenant == tenant && slices.Contains(x.Workflow.Tools, tool) {
			return true
		}
	}
	return false
}

// reachable returns the world's reachable cells, those on lookups only
// where looked says the system under test looked the tool up.
func reachable(cat *fakes.Catalog, looked map[[2]string]bool) []faults.Cell {
	return slices.DeleteFunc(faults.Reachable(cat), func(c faults.Cell) bool {
		return c.Kind.OnLookup() && !looked[[2]string{c.Tenant, c.Tool}]
	})
}
