package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// ExploreOpts configure an exploration. The zero value (or nil) means:
// 500 runs from seed 1, swarm schedules, one worker per CPU, shrinking on.
type ExploreOpts struct {
	// Runs is how many scenarios to run (default 500), unless Duration is set.
	Runs int
	// Duration runs scenarios until it has passed instead of a fixed count.
	Duration time.Duration
	// Seed is the first seed; run i uses seed Seed+i.
	Seed uint64
	// Shard and Shards split the seed space: with Shards = n, only runs with
	// i % n == Shard-1 are this shard's. Shards 1/n ... n/n together cover
	// exactly the runs of the unsharded exploration.
	Shard, Shards int
	// AllFaults enables every fault kind in every scenario instead of a
	// random subset.
	AllFaults bool
	// Workers is how many scenarios run at once (default GOMAXPROCS).
	Workers int
	// NoShrink skips minimising the first counterexamples.
	NoShrink bool
	// ShrinkTime bounds the minimisation of one counterexample (default 10s).
	ShrinkTime time.Duration
	// Sim bounds each run.
	Sim *SimOpts
	// World is the world the scenarios are drawn from and run in (nil: the
	// built-in one; SimOpts.World, when set, wins).
	World *worlds.World
	// NewRunner, when set, makes each worker's Runner (a net-mode rig, say);
	// a Runner that is an io.Closer is closed when the exploration ends. Nil
	// runs the simulation. Shrinking always replays in the simulation.
	NewRunner func() (Runner, error)
	// Progress, if set, is called after each run with the runs done so far
	// and the total (0 when running for a duration).
	Progress func(done, total int)

	space *scenarios.Space // World compiled
}

// Runner runs one scenario under a policy and checks it.
type Runner interface {
	Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*Run, error)
}

// simulator is the default Runner.
type simulator struct{ o *SimOpts }

func (s simulator) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*Run, error) {
	return Simulate(ctx, sc, p, s.o)
}

// Failure is a counterexample: the first seed that violated an invariant,
// and the same failure minimised.
type Failure struct {
	Invariant invariants.ID
	Seed      uint64
	// Original is the scenario of the seed; Run is the minimised scenario's run.
	Original  scenarios.Scenario
	Run       *Run
	Violation invariants.Violation
	// Shrunk is false when minimisation was skipped or found nothing smaller.
	Shrunk bool
}

// Steps is the number of steps of the counterexample.
func (f *Failure) Steps() int { return f.Run.Scenario.Steps() }

// Summary is what an exploration of one policy found.
type Summary struct {
	Policy string
	Runs   int
	// Violations counts, per invariant, the runs that violated it; every
	// invariant has an entry. Unknown counts runs where it could not decide.
	Violations map[invariants.ID]int
	Unknown    map[invariants.ID]int
	// First is the first counterexample of each violated invariant.
	First map[invariants.ID]*Failure
	// FirstFailure is the counterexample of the lowest failing seed (its
	// first violated invariant in contract order), nil when clean.
	FirstFailure *Failure
	Executions   Executions
	Cost         Cost
	// Errors are the runs that ended in an error instead of a verdict (in
	// net mode, a store that did not come back within the rig's patience,
	// say), in seed order. They count in no verdict and not in Runs; the
	// exploration goes on past them.
	Errors []RunError
	// Outages is when the store was unavailable, over every run.
	Outages Outages
	Elapsed time.Duration
	// TimeToFirst is the wall time until the first failing run was found.
	TimeToFirst time.Duration
}

// RunError is a run that ended in an error: its seed replays it.
type RunError struct {
	Seed uint64
	Err  error
}

// Clean reports whether no invariant was violated.
func (s *Summary) Clean() bool { return s.FirstFailure == nil }

type outcome struct {
	i      int
	seed   uint64
	run    *Run
	err    error
	failed []invariants.ID
}

// Explore runs generated scenarios under a policy and summarises what the
// checkers found. Results do not depend on Workers: runs are aggregated in
// seed order.
func Explore(ctx context.Context, p policy.Policy, opts *ExploreOpts) (*Summary, error) {
	o, err := exploreDefaults(opts)
	if err != nil {
		return nil, err
	}
	if o.Sim, o.space, err = inWorld(o.Sim, o.World); err != nil {
		return nil, err
	}
	start := time.Now()
	sum := &Summary{Policy: p.Name(), Violations: map[invariants.ID]int{}, Unknown: map[invariants.ID]int{}, First: map[invariants.ID]*Failure{}}
	for _, id := range invariants.IDs() {
		sum.Violations[id] = 0
	}
	results, errc := o.produce(ctx, p)
	var firstAt time.Duration
	pending := map[int]outcome{}
	next := 0
	for res := range results {
		pending[res.i] = res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if len(r.failed) > 0 && firstAt == 0 {
				firstAt = time.Since(start)
			}
			sum.add(r)
			if o.Progress != nil {
				o.Progress(sum.Runs+len(sum.Errors), o.total())
			}
		}
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	sum.TimeToFirst = firstAt
	if !o.NoShrink {
		if err := sum.shrink(ctx, p, o); err != nil {
			return nil, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func (s *Summary) add(r outcome) {
	if r.err != nil {
		s.Errors = append(s.Errors, RunError{Seed: r.seed, Err: r.err})
		var saw interface{ Outages() Outages } // what the run saw before it failed
		if errors.As(r.err, &saw) {
			s.Outages.Merge(saw.Outages())
		}
		return
	}
	s.Runs++
	s.Outages.Merge(r.run.Outages)
	s.Executions = s.Executions.Add(r.run.Executions())
	s.Cost = s.Cost.Add(r.run.Cost())
	for _, res := range r.run.Results {
		switch res.Status {
		case invariants.Violated:
			s.Violations[res.Invariant]++
			if s.First[res.Invariant] == nil {
				s.First[res.Invariant] = &Failure{Invariant: res.Invariant, Seed: r.seed, Original: r.run.Scenario, Run: r.run, Violation: res.Violations[0]}
			}
		case invariants.Unknown:
			s.Unknown[res.Invariant]++
		}
	}
	if len(r.failed) > 0 && s.FirstFailure == nil {
		s.FirstFailure = s.First[r.failed[0]]
	}
}

// shrink minimises the first counterexample of every violated invariant.
func (s *Summary) shrink(ctx context.Context, p policy.Policy, o ExploreOpts) error {
	ids := make([]invariants.ID, 0, len(s.First))
	for id := range s.First {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		f := s.First[id]
		shrunk, err := Shrink(ctx, p, f.Seed, id, &ShrinkOpts{AllFaults: o.AllFaults, Time: o.ShrinkTime, Sim: o.Sim})
		if err != nil {
			return fmt.Errorf("shrink the %s counterexample of seed %d: %w", id, f.Seed, err)
		}
		if shrunk != nil {
			f.Run, f.Violation, f.Shrunk = shrunk, shrunk.Result(id).Violations[0], true
		}
	}
	return nil
}

func exploreDefaults(opts *ExploreOpts) (ExploreOpts, error) {
	var o ExploreOpts
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Shards < 0, o.Shards == 0 && o.Shard != 0:
		return o, fmt.Errorf("explore: shard %d of %d: give Shards (1 or more) with Shard", o.Shard, o.Shards)
	case o.Shards > 0 && (o.Shard < 1 || o.Shard > o.Shards):
		return o, fmt.Errorf("explore: shard %d of %d: Shard must be within 1-%d", o.Shard, o.Shards, o.Shards)
	}
	if o.Runs <= 0 {
		o.Runs = 500
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Shards <= 0 {
		o.Shard, o.Shards = 1, 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

func (o ExploreOpts) total() int {
	if o.Duration > 0 {
		return 0
	}
	return o.Runs
}

// seedOf returns the seed of the shard's i-th run.
func (o ExploreOpts) seedOf(i int) uint64 {
	return o.Seed + uint64(i*o.Shards+o.Shard-1)
}

// produce runs scenarios on o.Workers goroutines and streams their outcomes.
func (o ExploreOpts) produce(ctx context.Context, p policy.Policy) (<-chan outcome, <-chan error) {
	out := make(chan outcome, o.Workers)
	errc := make(chan error, 1)
	deadline := time.Now().Add(o.Duration)
	var mu sync.Mutex
	next := 0
	claim := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || (o.Duration > 0 && time.Now().After(deadline)) || (o.Duration <= 0 && next >= o.Runs) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runner, done, err := o.runner()
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				return
			}
			defer done()
			for {
				i, ok := claim()
				if !ok {
					return
				}
				seed := o.seedOf(i)
				run, err := runner.Run(ctx, o.space.Seeded(seed, o.AllFaults), p)
				switch {
				case err != nil && ctx.Err() != nil:
					return // interrupted: the exploration is incomplete anyway
				case err != nil:
					out <- outcome{i: i, seed: seed, err: fmt.Errorf("seed %d: %w", seed, err)}
				default:
					out <- outcome{i: i, seed: seed, run: run, failed: run.Violated()}
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
		// An exploration stopped from outside (an interrupt, the caller's
		// deadline) is incomplete in either mode: --duration ends on its own
		// clock, never through ctx.
		if firstErr == nil && ctx.Err() != nil {
			firstErr = ctx.Err()
		}
		errc <- firstErr
	}()
	return out, errc
}

// runner returns a worker's Runner and what releases it.
func (o ExploreOpts) runner() (Runner, func(), error) {
	if o.NewRunner == nil {
		return simulator{o.Sim}, func() {}, nil
	}
	r, err := o.NewRunner()
	if err != nil {
		return nil, nil, err
	}
	return r, func() {
		if c, ok := r.(io.Closer); ok {
			_ = c.Close()
		}
	}, nil
}
