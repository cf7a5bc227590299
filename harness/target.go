package harness

import (
	"slices"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
)

// An exploration is swarm first, then targeted (see
// [ExploreOpts.NoTargeting]). Its runs are numbered across the shards: run
// g is shard (g mod n)+1's run g/n, of seed Seed+g. Of TotalRuns runs, the
// first half (rounded up) draws swarm scenarios and the rest is aimed at
// cells; the pilot is the first of the swarm runs, up to pilotRuns, and
// the cells it left without a fault are what the rest aims at. What a run
// aims at depends on its number and the pilot alone, so that every shard,
// which runs the whole pilot, aims its runs as the unsharded exploration
// does. Under Duration, where no run count is known, the swarm half is the
// first half of the time, the pilot all of it, and a shard aims at what its
// own pilot missed.

// pilotRuns bounds the pilot: enough swarm runs to find the cells swarm
// scenarios reach often, few enough for every shard to run them all.
const pilotRuns = 1000

// aimsPerRun is the most cells a targeted run aims at, all of one kind.
const aimsPerRun = 6

// job is one run to make: the shard's i-th run (-1: a run of another
// shard's, made for the pilot's coverage only), its seed, and the cells
// its scenario is aimed at.
type job struct {
	i       int
	seed    uint64
	targets []faults.Cell
}

// phase is one part of an exploration: its jobs, in order, and when it ends.
type phase struct {
	job func(k int) (job, bool)
	// end stops the phase's claims (zero: none) without cutting a run;
	// deadline cuts the runs still going (zero: none).
	end, deadline time.Time
	// pilot marks the phase whose runs, all of them, are the pilot.
	pilot bool
}

// swarmPhase is the exploration's first phase. Counting runs, it is the
// pilot, every shard's runs of it included; under a duration, the shard's
// swarm runs of the first half of the time.
func swarmPhase(ex *exploration, deadline time.Time) phase {
	o := ex.o
	if o.Duration > 0 {
		end := deadline
		if ex.targeting() {
			end = ex.start.Add(o.Duration / 2)
		}
		return phase{job: func(k int) (job, bool) { return job{i: k, seed: o.seedOf(k)}, true }, end: end, deadline: deadline, pilot: true}
	}
	n := o.pilotRuns()
	return phase{job: func(g int) (job, bool) {
		if g >= n {
			return job{}, false
		}
		j := job{i: -1, seed: o.Seed + uint64(g)}
		if i := g / o.Shards; g%o.Shards == o.Shard-1 && i < o.Runs {
			j.i = i
		}
		return j, true
	}, pilot: true}
}

// targetedPhase is the rest of the exploration: the shard's runs after the
// pilot, the swarm half's aimed at nothing, the others at the pilot's
// missing cells, in turn.
func targetedPhase(ex *exploration, deadline time.Time) phase {
	o, first := ex.o, ex.next
	var groups [][]faults.Cell
	if ex.targeting() {
		groups = aims(ex.pilot.missing(o.space.World()))
	}
	if o.Duration > 0 {
		return phase{job: func(k int) (job, bool) {
			j := job{i: first + k, seed: o.seedOf(first + k)}
			if len(groups) > 0 {
				j.targets = groups[k%len(groups)]
			}
			return j, true
		}, deadline: deadline}
	}
	swarm := o.swarmRuns()
	return phase{job: func(k int) (job, bool) {
		i := first + k
		if i >= o.Runs {
			return job{}, false
		}
		g := i*o.Shards + o.Shard - 1
		j := job{i: i, seed: o.seedOf(i)}
		if g >= swarm && len(groups) > 0 {
			j.targets = groups[(g-swarm)%len(groups)]
		}
		return j, true
	}}
}

// targeting reports whether the exploration aims runs at cells: not with
// NoTargeting, nor with a Runner of the caller's (coverage is the
// simulation's).
func (ex *exploration) targeting() bool { return !ex.o.NoTargeting && ex.o.NewRunner == nil }

// swarmRuns is how many of the exploration's runs, counted across shards,
// draw swarm scenarios: the first half, rounded up (all of them without
// targeting).
func (o ExploreOpts) swarmRuns() int {
	if o.NoTargeting || o.NewRunner != nil {
		return o.TotalRuns
	}
	return o.TotalRuns - o.TotalRuns/2
}

// pilotRuns is how many runs, counted across shards, the pilot is: none
// with a Runner of the caller's, which judges no coverage.
func (o ExploreOpts) pilotRuns() int {
	if o.NewRunner != nil {
		return 0
	}
	return min(o.swarmRuns(), pilotRuns)
}

// aims splits cells into the groups targeted runs aim at: cells of one
// kind, at most aimsPerRun of them, in the cells' order by kind.
func aims(cells []faults.Cell) [][]faults.Cell {
	cells = slices.Clone(cells)
	slices.SortStableFunc(cells, func(a, b faults.Cell) int { return int(a.Kind) - int(b.Kind) })
	var groups [][]faults.Cell
	for len(cells) > 0 {
		n := 1
		for n < len(cells) && n < aimsPerRun && cells[n].Kind == cells[0].Kind {
			n++
		}
		groups = append(groups, cells[:n:n])
		cells = cells[n:]
	}
	return groups
}

// missing lists the reachable cells of world cat the pilot left without a
// fault, in order.
func (p *pilot) missing(cat *fakes.Catalog) []faults.Cell {
	return slices.DeleteFunc(reachable(cat, p.looked), func(c faults.Cell) bool { return p.hit[c] })
}

// pilot is the coverage of the pilot's runs, every shard's.
type pilot struct {
	hit    map[faults.Cell]bool
	looked map[[2]string]bool
}

func (p *pilot) add(r outcome) {
	if r.err != nil {
		return
	}
	if p.hit == nil {
		p.hit = map[faults.Cell]bool{}
	}
	for _, c := range r.probe.cells {
		p.hit[c] = true
	}
	for _, l := range r.probe.looked {
		p.looked[l] = true
	}
}
