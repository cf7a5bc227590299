package scenarios

import (
	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/faults"
)

// Workflows draws a workflow of the built-in world (see [Space.Workflows]).
func Workflows() *rapid.Generator[Workflow] { return Default().Workflows() }

// Tenants draws a tenant of the built-in world.
func Tenants() *rapid.Generator[string] { return Default().Tenants() }

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

// Executions draws 1 to 3 interleaved executions in the built-in world.
func Executions() *rapid.Generator[[]Execution] { return Default().Executions() }

// Generator draws whole scenarios of the built-in world. With allFaults
// every fault kind is enabled in every schedule; otherwise each schedule
// enables a random subset.
func Generator(allFaults bool) *rapid.Generator[Scenario] { return Default().Generator(allFaults) }

// Of returns the scenario of a seed in the built-in world: the first case
// rapid draws for it.
func Of(seed uint64) Scenario { return Seeded(seed, false) }

// Seeded returns the scenario of a seed in the built-in world (see
// [Space.Seeded]).
func Seeded(seed uint64, allFaults bool) Scenario { return Default().Seeded(seed, allFaults) }
