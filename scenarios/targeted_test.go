package scenarios_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/scenarios"
)

// A targeted scenario is aimed at its cells: for each (tenant, tool) an
// execution of that tenant calling the tool, each kind at its target rate
// (a kind on lookups with lost responses too, which make a system look
// up), the executions numbered in order; it is the same for the same seed,
// rapid's first draw for it, and without cells the swarm scenario.
func TestTargetedScenariosAimAtTheirCells(t *testing.T) {
	t.Parallel()
	space := scenarios.Default()
	cells := faults.Reachable(space.World())
	for i, seed := range []uint64{1, 2, 77, 4096} {
		aim := []faults.Cell{cells[(i*53)%len(cells)], cells[(i*97+7)%len(cells)], cells[(i*31+300)%len(cells)]}
		sc := space.SeededAt(seed, false, aim)
		if again := space.SeededAt(seed, false, aim); !reflect.DeepEqual(sc, again) {
			t.Fatalf("seed %d aimed at %v: two scenarios", seed, aim)
		}
		for _, c := range aim {
			if !slices.ContainsFunc(sc.Executions, func(x scenarios.Execution) bool {
				return x.Tenant == c.Tenant && slices.Contains(x.Workflow.Tools, c.Tool)
			}) {
				t.Errorf("seed %d: no execution of %s calls %s:\n%s", seed, c.Tenant, c.Tool, sc)
			}
			if sc.Faults.Rates[c.Kind] < faults.TargetRate(c.Kind) {
				t.Errorf("seed %d: %s at %d‰, want at least %d‰", seed, c.Kind, sc.Faults.Rates[c.Kind], faults.TargetRate(c.Kind))
			}
			if c.Kind.OnLookup() && sc.Faults.Rates[faults.LostResponse] < faults.TargetRate(faults.LostResponse) {
				t.Errorf("seed %d: aimed at %s with lost responses at %d‰", seed, c, sc.Faults.Rates[faults.LostResponse])
			}
		}
		for j, x := range sc.Executions {
			if want := fmt.Sprintf("e%d", j+1); x.ID != want {
				t.Errorf("seed %d: execution %d is %s, want %s", seed, j, x.ID, want)
			}
		}
		if got, ok := drawnFrom(t, seed, space.Targeted(false, aim)); !ok || !reflect.DeepEqual(got, sc) {
			t.Errorf("seed %d: rapid's first draw is\n%s\nand SeededAt gives\n%s", seed, got, sc)
		}
		if !reflect.DeepEqual(space.SeededAt(seed, true, nil), space.Seeded(seed, true)) {
			t.Errorf("seed %d: aimed at nothing is not the swarm scenario", seed)
		}
	}
}

// A planner aimed at leads its workflow, which it plans.
func TestATargetedPlannerLeads(t *testing.T) {
	t.Parallel()
	sc := scenarios.Default().SeededAt(5, false, []faults.Cell{{Tenant: "globex", Tool: "plan", Kind: faults.Reset}})
	x := sc.Executions[len(sc.Executions)-1]
	if x.Tenant != "globex" || x.Workflow.Tools[0] != "plan" || !x.Workflow.Planned {
		t.Errorf("the aimed execution is %+v", x)
	}
}
