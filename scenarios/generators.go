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
	if all {
		return everySchedule
	}
	return swarmSchedule
}

var swarmSchedule, everySchedule = newSchedules(false), newSchedules(true)

// newSchedules builds Schedules' generator once: its draws are the same
// whatever generator values come from, and building generators on every
// draw was most of what a draw cost.
func newSchedules(all bool) *rapid.Generator[faults.Schedule] {
	type kindGen struct {
		k           faults.Kind
		label, rate string
		gen         *rapid.Generator[int]
	}
	var kinds []kindGen
	for _, k := range faults.Kinds() {
		kinds = append(kinds, kindGen{k, k.String(), k.String() + "-rate", rapid.IntRange(1, int(faults.MaxRate(k)))})
	}
	seed, on := rapid.Uint64(), rapid.Bool()
	return rapid.Custom(func(t *rapid.T) faults.Schedule {
		s := faults.Schedule{Seed: seed.Draw(t, "seed")}
		for _, g := range kinds {
			if !all && !on.Draw(t, g.label) {
				continue
			}
			s.Rates[g.k] = uint16(g.gen.Draw(t, g.rate))
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
