package scenarios

import (
	"fmt"
	"slices"
	"sync"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/worlds"
)

// Space is what scenarios are drawn from in one world: its tenants, its
// workflows (each as often as its weight says) and the tools generated
// workflows use. It is read-only once built.
type Space struct {
	cat *fakes.Catalog
	// tools are the generated steps' tools, the first harmless read first,
	// so that shrinking replaces a step with it; planners only lead.
	tools    []string
	planners []string
	catalog  []Workflow
	weighted []Workflow
	swarm    *rapid.Generator[Scenario]
	every    *rapid.Generator[Scenario]
}

// NewSpace returns the space of a compiled world.
func NewSpace(cat *fakes.Catalog) *Space {
	s := &Space{cat: cat}
	w := cat.World()
	for _, tool := range w.GeneratedTools() {
		switch spec, _ := cat.Spec("", tool); spec.Behaviour {
		case worlds.Planner:
			s.planners = append(s.planners, tool)
		default:
			s.tools = append(s.tools, tool)
		}
	}
	if i := slices.IndexFunc(s.tools, func(t string) bool { spec, _ := cat.Spec("", t); return spec.Behaviour == worlds.Read }); i > 0 {
		read := s.tools[i]
		s.tools = append([]string{read}, slices.Delete(s.tools, i, i+1)...)
	}
	for _, wf := range w.Workflows {
		x := Workflow{Name: wf.Name, Tools: slices.Clone(wf.Steps)}
		if first, _ := cat.Spec("", wf.Steps[0]); first.Behaviour == worlds.Planner {
			x.Planned = true
		}
		s.catalog = append(s.catalog, x)
		for range max(wf.Weight, 1) {
			s.weighted = append(s.weighted, x)
		}
	}
	s.swarm, s.every = s.generator(false), s.generator(true)
	return s
}

var defaultSpace = sync.OnceValue(func() *Space { return NewSpace(fakes.Default()) })

// Default returns the built-in world's space.
func Default() *Space { return defaultSpace() }

// World returns the compiled world the space draws from.
func (s *Space) World() *fakes.Catalog { return s.cat }

// Catalog lists the world's workflows, in the world's order.
func (s *Space) Catalog() []Workflow { return slices.Clone(s.catalog) }

// Lookup returns one of the world's workflows by name.
func (s *Space) Lookup(name string) (Workflow, error) {
	for _, w := range s.catalog {
		if w.Name == name {
			return w, nil
		}
	}
	return Workflow{}, fmt.Errorf("unknown workflow %q", name)
}

type step struct {
	tool string
	salt uint64
}

// Workflows draws a workflow: 1 to 8 of the world's tools, sometimes led by
// a planning step, or one of the world's workflows, by weight.
func (s *Space) Workflows() *rapid.Generator[Workflow] {
	var gens []*rapid.Generator[Workflow]
	switch {
	case len(s.tools) > 0:
		gens = append(gens, s.generated())
	case len(s.planners) > 0: // a world of planners plans, and that is all
		gens = append(gens, rapid.Map(rapid.SampledFrom(s.planners), func(p string) Workflow {
			return Workflow{Name: "generated(1)", Tools: []string{p}, Planned: true}
		}))
	}
	if len(s.weighted) > 0 {
		gens = append(gens, rapid.SampledFrom(s.weighted))
	}
	return rapid.OneOf(gens...)
}

func (s *Space) generated() *rapid.Generator[Workflow] {
	// The generators are built once, not on each draw: what they draw does
	// not depend on it, and building them was most of a draw's cost.
	tools, salts, planned := rapid.SampledFrom(s.tools), rapid.Uint64(), rapid.Bool()
	var planners *rapid.Generator[string]
	if len(s.planners) > 1 {
		planners = rapid.SampledFrom(s.planners)
	}
	steps := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) step {
		return step{tools.Draw(t, "tool"), salts.Draw(t, "salt")}
	}), 1, 8)
	return rapid.Custom(func(t *rapid.T) Workflow {
		drawn := steps.Draw(t, "steps")
		var w Workflow
		if len(s.planners) > 0 && planned.Draw(t, "planned") {
			planner := s.planners[0]
			if planners != nil {
				planner = planners.Draw(t, "planner")
			}
			w.Tools, w.Salts, w.Planned = []string{planner}, []uint64{salts.Draw(t, "plan-salt")}, true
			drawn = drawn[:min(len(drawn), 7)]
		}
		for _, st := range drawn {
			w.Tools, w.Salts = append(w.Tools, st.tool), append(w.Salts, st.salt)
		}
		w.Name = generatedName(len(w.Tools))
		return w
	})
}

// Tenants draws one of the world's tenants.
func (s *Space) Tenants() *rapid.Generator[string] { return rapid.SampledFrom(s.cat.Tenants()) }

// Executions draws 1 to 3 interleaved executions, each for a tenant.
func (s *Space) Executions() *rapid.Generator[[]Execution] {
	workflows, tenants, ambiguity, salts := s.Workflows(), s.Tenants(), rapid.IntRange(0, 7), rapid.Uint64()
	one := rapid.Custom(func(t *rapid.T) Execution {
		return Execution{
			Tenant:    tenants.Draw(t, "tenant"),
			Workflow:  workflows.Draw(t, "workflow"),
			Ambiguous: ambiguity.Draw(t, "ambiguity") == 7,
			Salt:      salts.Draw(t, "salt"),
		}
	})
	return rapid.Map(rapid.SliceOfN(one, 1, 3), numbered)
}

// Generator draws whole scenarios. With allFaults every fault kind is
// enabled in every schedule; otherwise each schedule enables a random subset.
func (s *Space) Generator(allFaults bool) *rapid.Generator[Scenario] {
	if allFaults && s.every != nil {
		return s.every
	}
	if !allFaults && s.swarm != nil {
		return s.swarm
	}
	return s.generator(allFaults)
}

func (s *Space) generator(allFaults bool) *rapid.Generator[Scenario] {
	executions, schedules := s.Executions(), Schedules(allFaults)
	return rapid.Custom(func(t *rapid.T) Scenario {
		return Scenario{Executions: executions.Draw(t, "executions"), Faults: schedules.Draw(t, "faults")}
	})
}

// Seeded returns the scenario of a seed: the first case rapid draws for it
// from the swarm generator, or with allFaults from the one that enables
// every fault kind.
func (s *Space) Seeded(seed uint64, allFaults bool) Scenario {
	return Example(s.Generator(allFaults), int(seed))
}
