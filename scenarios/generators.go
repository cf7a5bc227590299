package scenarios

import (
	"fmt"
	"slices"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
)

// stepTools is the order generators draw tools in: vector_search first, so
// that shrinking replaces a step with the harmless one.
var stepTools = func() []string {
	ts := slices.Clone(fakes.StepTools)
	slices.SortStableFunc(ts, func(a, b string) int {
		switch {
		case a == fakes.VectorSearch:
			return -1
		case b == fakes.VectorSearch:
			return 1
		}
		return 0
	})
	return slices.DeleteFunc(ts, func(t string) bool { return t == fakes.Plan })
}()

type step struct {
	tool string
	salt uint64
}

var steps = rapid.Custom(func(t *rapid.T) step {
	return step{rapid.SampledFrom(stepTools).Draw(t, "tool"), rapid.Uint64().Draw(t, "salt")}
})

// Workflows draws a workflow: 1 to 8 tools from the catalog, sometimes led by
// a planning step, or one of the seven catalog workflows.
func Workflows() *rapid.Generator[Workflow] {
	generated := rapid.Custom(func(t *rapid.T) Workflow {
		steps := rapid.SliceOfN(steps, 1, 8).Draw(t, "steps")
		var w Workflow
		if rapid.Bool().Draw(t, "planned") {
			w.Tools, w.Salts = []string{fakes.Plan}, []uint64{rapid.Uint64().Draw(t, "plan-salt")}
			steps = steps[:min(len(steps), 7)]
		}
		for _, st := range steps {
			w.Tools, w.Salts = append(w.Tools, st.tool), append(w.Salts, st.salt)
		}
		w.Name = fmt.Sprintf("generated(%d)", len(w.Tools))
		return w
	})
	return rapid.OneOf(generated, rapid.SampledFrom(Catalog()))
}

// Tenants draws a tenant.
func Tenants() *rapid.Generator[string] { return rapid.SampledFrom(fakes.TenantNames) }

// Schedules draws a fault schedule: a seed and, per kind, either off or a
// rate up to the kind's maximum (swarm testing). With all set, every kind is
// enabled.
func Schedules(all bool) *rapid.Generator[faults.Schedule] {
	return rapid.Custom(func(t *rapid.T) faults.Schedule {
		s := faults.Schedule{Seed: rapid.Uint64().Draw(t, "seed")}
		for _, k := range faults.Kinds() {
			if !all && !rapid.Bool().Draw(t, k.String()) {
				continue
			}
			s.Rates[k] = uint16(rapid.IntRange(1, int(faults.MaxRate(k))).Draw(t, k.String()+"-rate"))
		}
		return s
	})
}

// Executions draws 1 to 3 interleaved executions, each for a tenant.
func Executions() *rapid.Generator[[]Execution] {
	one := rapid.Custom(func(t *rapid.T) Execution {
		return Execution{
			Tenant:    Tenants().Draw(t, "tenant"),
			Workflow:  Workflows().Draw(t, "workflow"),
			Ambiguous: rapid.IntRange(0, 7).Draw(t, "ambiguity") == 7,
			Salt:      rapid.Uint64().Draw(t, "salt"),
		}
	})
	return rapid.Map(rapid.SliceOfN(one, 1, 3), func(xs []Execution) []Execution {
		for i := range xs {
			xs[i].ID = fmt.Sprintf("e%d", i+1)
		}
		return xs
	})
}

// Generator draws whole scenarios. With allFaults every fault kind is
// enabled in every schedule; otherwise each schedule enables a random subset.
func Generator(allFaults bool) *rapid.Generator[Scenario] {
	return rapid.Custom(func(t *rapid.T) Scenario {
		return Scenario{Executions: Executions().Draw(t, "executions"), Faults: Schedules(allFaults).Draw(t, "faults")}
	})
}

var (
	swarm = Generator(false)
	every = Generator(true)
)

// Of returns the scenario of a seed: the first case rapid draws for it.
func Of(seed uint64) Scenario { return Seeded(seed, false) }

// Seeded returns the scenario of a seed from the swarm generator, or with
// allFaults from the generator that enables every fault kind.
func Seeded(seed uint64, allFaults bool) Scenario {
	gen := swarm
	if allFaults {
		gen = every
	}
	var sc Scenario
	ReadingRapidFlags(func() { sc = gen.Example(int(seed)) })
	return sc
}
