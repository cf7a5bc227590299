package scenarios

import (
	"slices"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/faults"
)

// Targeted draws scenarios aimed at cells of the fault model that swarm
// scenarios left without a fault: a scenario of [Space.Generator], of whose
// executions rapid may keep none, then for each (tenant, tool) of cells
// one more execution of that tenant whose workflow calls the tool, and
// each cell's kind enabled at its [faults.TargetRate] (a kind that lands
// on lookups with lost responses too, which make a system look up).
// Shrinking keeps the aimed executions and the kinds aimed at, and reduces
// the rest. Without cells it is Generator(allFaults).
func (s *Space) Targeted(allFaults bool, cells []faults.Cell) *rapid.Generator[Scenario] {
	base := s.Generator(allFaults)
	if len(cells) == 0 {
		return base
	}
	cells = slices.Clone(cells)
	return rapid.Custom(func(t *rapid.T) Scenario {
		sc := base.Draw(t, "scenario")
		keep := rapid.IntRange(0, len(sc.Executions)).Draw(t, "others")
		xs := slices.Clone(sc.Executions[:keep])
		var aimed [][2]string
		for _, c := range cells {
			if at := [2]string{c.Tenant, c.Tool}; !slices.Contains(aimed, at) {
				aimed = append(aimed, at)
				xs = append(xs, s.aimAt(t, c.Tenant, c.Tool))
			}
			raise(&sc.Faults, c.Kind)
			if c.Kind.OnLookup() {
				// A lookup follows an outcome nobody can read: a response lost
				// after the tool acted.
				raise(&sc.Faults, faults.LostResponse)
			}
		}
		sc.Executions = numbered(xs)
		return sc
	})
}

// raise enables kind k at its target rate, or keeps the higher rate drawn.
func raise(s *faults.Schedule, k faults.Kind) { s.Rates[k] = max(s.Rates[k], faults.TargetRate(k)) }

// aimAt draws an execution of tenant whose workflow calls tool: a
// generated workflow of up to four steps with the tool among them (leading
// them, for a planner), or, for a tool generated workflows never draw, one
// of the world's workflows that calls it.
func (s *Space) aimAt(t *rapid.T, tenant, tool string) Execution {
	x := Execution{Tenant: tenant, Ambiguous: rapid.IntRange(0, 7).Draw(t, "aim-ambiguity") == 7, Salt: rapid.Uint64().Draw(t, "aim-salt")}
	generated := slices.Contains(s.tools, tool)
	planner := slices.Contains(s.planners, tool)
	if !generated && !planner {
		var calls []Workflow
		for _, w := range s.catalog {
			if slices.Contains(w.Tools, tool) {
				calls = append(calls, w)
			}
		}
		if len(calls) > 0 {
			x.Workflow = rapid.SampledFrom(calls).Draw(t, "aim-workflow")
			return x
		}
		// Not a tool of the world's workflows either: a step of its own.
	}
	var others []string
	if len(s.tools) > 0 {
		others = rapid.SliceOfN(rapid.SampledFrom(s.tools), 0, 3).Draw(t, "aim-others")
	}
	at := 0
	if !planner {
		at = rapid.IntRange(0, len(others)).Draw(t, "aim-at")
	}
	w := Workflow{Tools: slices.Insert(others, at, tool), Planned: planner}
	for range w.Tools {
		w.Salts = append(w.Salts, rapid.Uint64().Draw(t, "aim-step-salt"))
	}
	w.Name = generatedName(len(w.Tools))
	x.Workflow = w
	return x
}

// SeededAt returns the scenario of a seed aimed at cells: the first case
// rapid draws for it from [Space.Targeted] (without cells, [Space.Seeded]).
func (s *Space) SeededAt(seed uint64, allFaults bool, cells []faults.Cell) Scenario {
	if len(cells) == 0 {
		return s.Seeded(seed, allFaults)
	}
	gen := s.Targeted(allFaults, cells)
	return Example(gen, int(seed))
}
