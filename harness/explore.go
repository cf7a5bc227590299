package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
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
	// Everything fits in it, minimisation included: a run still going at the
	// end is cut and not counted, and once a run has failed, scenarios stop
	// early enough to leave minimisation its time (see [ExploreOpts.ShrinkTime]).
	Duration time.Duration
	// Seed is the first seed; run i uses seed Seed+i.
	Seed uint64
	// Shard and Shards split the seed space: with Shards = n, only runs with
	// i % n == Shard-1 are this shard's. Shards 1/n ... n/n together cover
	// exactly the runs of the unsharded exploration.
	Shard, Shards int
	// TotalRuns is the runs of the whole exploration, every shard together
	// (default Runs x Shards): where its first half ends, targeted runs
	// begin (see [ExploreOpts.NoTargeting]), and every shard must agree.
	TotalRuns int
	// AllFaults enables every fault kind in every scenario instead of a
	// random subset.
	AllFaults bool
	// NoTargeting runs swarm scenarios only. By default an exploration is
	// swarm first, then targeted: its first half (of TotalRuns, or of
	// Duration) draws swarm scenarios, and the pilot — the first of them,
	// up to 1,000 — decides which reachable cells of the fault model no
	// fault reached ([Coverage]); each run of the second half is aimed at
	// a few of those cells ([scenarios.Space.Targeted]), in turn. Every
	// shard runs the whole pilot (counting only its own runs), so a
	// shard's targeted runs are the unsharded exploration's. Targeting
	// needs the simulation: with NewRunner it is off.
	NoTargeting bool
	// Workers is how many scenarios run at once (default GOMAXPROCS).
	Workers int
	// NoShrink skips minimising the first counterexamples.
	NoShrink bool
	// ShrinkTime bounds the minimisation of one counterexample (default 10s).
	// Under Duration, minimisation also ends with the duration: the last
	// quarter of it at most (or ShrinkTime, if less) is kept for it once a
	// run has failed, shared among the counterexamples.
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
	// Shrinking, if set, is called before each counterexample is minimised,
	// with its invariant; minimisations run side by side (up to Workers),
	// so it may be called from several goroutines at once.
	Shrinking func(id invariants.ID)
	// Shrunk, if set, is called after each counterexample is minimised (or
	// its minimisation failed), from the goroutine that called Shrinking.
	Shrunk func(id invariants.ID)

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
	// Targets are the cells the seed's scenario was aimed at (none for a
	// swarm scenario): with the seed, they make the scenario.
	Targets []faults.Cell
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
	// Executions and Cost are what became of the work of the swarm runs,
	// and what their recoveries cost: the targeted runs raise the kinds they
	// aim at far above what swarm schedules draw, which says what a policy
	// breaks, not what it completes or costs.
	Executions Executions
	Cost       Cost
	// Targeted counts the runs aimed at cells (see [ExploreOpts.NoTargeting]).
	Targeted int
	// Errors are the runs that ended in an error instead of a verdict (in
	// net mode, a store that did not come back within the rig's patience,
	// say), in seed order. They count in no verdict and not in Runs; the
	// exploration goes on past them.
	Errors []RunError
	// Outages is when the store was unavailable, over every run.
	Outages Outages
	// Coverage is which cells of the fault model the runs put a fault in;
	// nil when the runs' Runner is not the simulation (net mode records its
	// faults, but judges no reachable cells).
	Coverage *Coverage
	Elapsed  time.Duration
	// TimeToFirst is the wall time until the first failing run was found.
	TimeToFirst time.Duration
}

// RunError is a run that ended in an error: its seed replays it.
type RunError struct {
	Seed uint64
	Err  error
}

// Clean reports whether no invariant was violated. A clean summary may
// still rest on thin evidence: see [Summary.Inconclusive].
func (s *Summary) Clean() bool { return s.FirstFailure == nil }

// Inconclusive reports whether the policy violated nothing but the
// exploration cannot vouch for it: some run left an invariant undecided, or
// some reachable cell of the fault model received no fault (net mode judges
// no cells: its Coverage is nil). The reports call such a policy
// inconclusive, and `chaosrun run` exits 3; more runs (or a longer
// duration) settle it either way.
func (s *Summary) Inconclusive() bool {
	if !s.Clean() {
		return false
	}
	for _, n := range s.Unknown {
		if n > 0 {
			return true
		}
	}
	return s.Coverage != nil && len(s.Coverage.Missing()) > 0
}

// outcome is what a worker hands the aggregation of one run: what the
// summary counts of it, read from the run by the worker, and the run
// itself only where it may be a first failure (see firsts). Any other run
// the worker released at once, so that a run waiting for its turn (runs
// are aggregated in order) holds none of the memory that the runs after
// it reuse.
type outcome struct {
	job
	run      *Run // nil: released, or an error
	err      error
	failed   []invariants.ID
	probe    probe
	verdicts []verdict
	execs    Executions
	cost     Cost
	outages  Outages
}

// verdict is an invariant's status in one run.
type verdict struct {
	id     invariants.ID
	status invariants.Status
}

// firsts is, for each invariant, the lowest index of a phase's runs known
// to violate it. A run that is not the lowest for any invariant it violates
// cannot be a first failure: the aggregation takes a prefix of the runs,
// in order, and the lower one comes first.
type firsts struct {
	mu sync.Mutex
	at map[invariants.ID]int
}

// lowest records that run i violated the invariants failed and reports
// whether it is now the lowest to violate one of them.
func (f *firsts) lowest(i int, failed []invariants.ID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	low := false
	for _, id := range failed {
		if at, ok := f.at[id]; !ok || i < at {
			f.at[id], low = i, true
		}
	}
	return low
}

// outcomeOf reads what the aggregation needs of a run that ended, and
// releases the run unless it may be a first failure.
func outcomeOf(j job, run *Run, cat *fakes.Catalog, first *firsts) outcome {
	o := outcome{job: j, failed: run.Violated(), probe: probeRun(cat, run), outages: run.Outages}
	o.verdicts = make([]verdict, 0, len(run.Results))
	for _, res := range run.Results {
		if res.Status == invariants.Violated || res.Status == invariants.Unknown {
			o.verdicts = append(o.verdicts, verdict{res.Invariant, res.Status})
		}
	}
	if len(j.targets) == 0 {
		o.execs, o.cost = run.Executions(), run.Cost()
	}
	if j.i >= 0 && len(o.failed) > 0 && first.lowest(j.i, o.failed) {
		o.run = run
	} else {
		run.Release()
	}
	return o
}

// Explore runs generated scenarios under a policy and summarises what the
// checkers found: swarm scenarios first, then scenarios aimed at the cells
// of the fault model the pilot left without a fault (see
// [ExploreOpts.NoTargeting]). Results do not depend on Workers: runs are
// aggregated in seed order (under Duration, up to the first run the
// deadline cut).
func Explore(ctx context.Context, p policy.Policy, opts *ExploreOpts) (*Summary, error) {
	o, err := exploreDefaults(opts)
	if err != nil {
		return nil, err
	}
	if o.Sim, o.space, err = inWorld(o.Sim, o.World); err != nil {
		return nil, err
	}
	start := time.Now()
	var deadline time.Time // zero: no duration
	if o.Duration > 0 {
		deadline = start.Add(o.Duration)
	}
	sum := &Summary{Policy: p.Name(), Violations: map[invariants.ID]int{}, Unknown: map[invariants.ID]int{}, First: map[invariants.ID]*Failure{}}
	for _, id := range invariants.IDs() {
		sum.Violations[id] = 0
	}
	ex := &exploration{o: o, sum: sum, start: start, pilot: &pilot{looked: map[[2]string]bool{}}}
	if o.NewRunner == nil {
		sum.Coverage = &Coverage{Hit: map[faults.Cell]int{}}
	}
	for _, ph := range []func(*exploration, time.Time) phase{swarmPhase, targetedPhase} {
		if err := ex.phase(ctx, p, ph(ex, deadline)); err != nil {
			return nil, err
		}
		if ex.cut {
			break
		}
	}
	if sum.Coverage != nil {
		sum.Coverage.Reachable = reachable(o.space.World(), ex.pilot.looked)
	}
	sum.TimeToFirst = ex.firstAt
	if !o.NoShrink {
		if err := sum.shrink(ctx, p, o, deadline); err != nil {
			return nil, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// exploration is one Explore under way: its summary so far, aggregated in
// the order of the shard's runs, and the pilot's coverage.
type exploration struct {
	o       ExploreOpts
	sum     *Summary
	start   time.Time
	firstAt time.Duration
	next    int // the shard's next run to aggregate
	cut     bool
	pilot   *pilot
}

// phase runs one phase's jobs and aggregates their outcomes in order.
func (ex *exploration) phase(ctx context.Context, p policy.Policy, ph phase) error {
	results, errc, done := ex.o.produce(ctx, p, ph)
	pending := map[int]outcome{}
	for res := range results {
		if res.i < 0 || ph.pilot {
			ex.pilot.add(res)
		}
		if res.i < 0 {
			done()
			continue // another shard's run of the pilot: its coverage only
		}
		pending[res.i] = res
		for {
			r, ok := pending[ex.next]
			if !ok {
				break
			}
			delete(pending, ex.next)
			done()
			ex.next++
			if len(r.failed) > 0 && ex.firstAt == 0 {
				ex.firstAt = time.Since(ex.start)
			}
			ex.sum.add(r)
			if ex.o.Progress != nil {
				ex.o.Progress(ex.sum.Runs+len(ex.sum.Errors), ex.o.total())
			}
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	// A run the deadline cut ends the exploration where it is: the runs
	// after it are not aggregated, in this phase or the next.
	ex.cut = len(pending) > 0 || (!ph.deadline.IsZero() && !time.Now().Before(ph.deadline))
	return nil
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
	if s.Coverage != nil {
		s.Coverage.add(r.probe.cells)
	}
	s.Outages.Merge(r.outages)
	if len(r.targets) > 0 {
		s.Targeted++
	} else {
		s.Executions = s.Executions.Add(r.execs)
		s.Cost = s.Cost.Add(r.cost)
	}
	kept := false
	for _, v := range r.verdicts {
		switch v.status {
		case invariants.Violated:
			s.Violations[v.id]++
			if s.First[v.id] == nil {
				// r.run is there: a run released by its worker had a run
				// before it violate each invariant it violated.
				s.First[v.id] = &Failure{Invariant: v.id, Seed: r.seed, Targets: r.targets, Original: r.run.Scenario, Run: r.run, Violation: r.run.Result(v.id).Violations[0]}
				kept = true
			}
		case invariants.Unknown:
			s.Unknown[v.id]++
		}
	}
	if len(r.failed) > 0 && s.FirstFailure == nil {
		s.FirstFailure = s.First[r.failed[0]]
	}
	if !kept && r.run != nil {
		r.run.Release() // read: its memory goes to the runs that follow
	}
}

// shrink minimises the first counterexample of every violated invariant,
// o.Workers at a time, before the deadline when there is one: a
// counterexample left no time stays as it was found. Each minimisation is
// deterministic within its bound, so the result does not depend on Workers.
func (s *Summary) shrink(ctx context.Context, p policy.Policy, o ExploreOpts, deadline time.Time) error {
	ids := make([]invariants.ID, 0, len(s.First))
	for id := range s.First {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	workers := max(1, min(o.Workers, len(ids)))
	// Every minimisation gets the same share: the bound, or under a
	// deadline what is left of it over the rounds the workers need.
	limit := shrinkTime(o.ShrinkTime, deadline, time.Now(), (len(ids)+workers-1)/workers)
	if limit <= 0 {
		return nil
	}
	errs := make([]error, len(ids))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if o.Shrinking != nil {
				o.Shrinking(id)
			}
			if o.Shrunk != nil {
				defer o.Shrunk(id)
			}
			f := s.First[id]
			shrunk, err := Shrink(ctx, p, f.Seed, id, &ShrinkOpts{AllFaults: o.AllFaults, Targets: f.Targets, Time: limit, Sim: o.Sim})
			if err != nil {
				errs[i] = fmt.Errorf("shrink the %s counterexample of seed %d: %w", id, f.Seed, err)
				return
			}
			if shrunk != nil {
				f.Run, f.Violation, f.Shrunk = shrunk, shrunk.Result(id).Violations[0], true
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// shrinkTime is the time one of left minimisations may take at now: its
// bound (default 10s), or without one, an equal share of what remains
// before the deadline (zero: none). Zero or less means no time is left.
func shrinkTime(bound time.Duration, deadline, now time.Time, left int) time.Duration {
	if bound <= 0 {
		bound = 10 * time.Second
	}
	if deadline.IsZero() {
		return bound
	}
	return min(bound, deadline.Sub(now)/time.Duration(max(left, 1)))
}

// shrinkReserve is how long before the deadline an exploration that has
// found a counterexample stops starting runs, to leave time to minimise it.
func (o ExploreOpts) shrinkReserve() time.Duration {
	if o.NoShrink || o.Duration <= 0 {
		return 0
	}
	bound := o.ShrinkTime
	if bound <= 0 {
		bound = 10 * time.Second
	}
	return min(bound, o.Duration/4)
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
	if o.TotalRuns <= 0 {
		o.TotalRuns = o.Runs * o.Shards
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

// aheadPerWorker bounds, per worker, how many runs an exploration holds
// that it cannot aggregate yet: runs are aggregated in order, and a run
// that takes long (or a worker the scheduler left waiting, with every
// policy of a comparison exploring at once) would otherwise leave the
// other workers to pile up finished runs, histories and all, behind it.
const aheadPerWorker = 32

// produce runs a phase's jobs on o.Workers goroutines and streams their
// outcomes. No job starts after the phase's end (zero: none); with a
// deadline (non-zero), no run starts after it, a run still going at it is
// cut and dropped, and once a run has failed no run starts in the
// minimisation's reserve before it. A job is claimed only with a place in
// the window, which the caller gives back (the returned func) once it is
// done with the job's outcome: at most aheadPerWorker runs per worker are
// in flight or waiting for an earlier one.
func (o ExploreOpts) produce(ctx context.Context, p policy.Policy, ph phase) (<-chan outcome, <-chan error, func()) {
	out := make(chan outcome, o.Workers)
	errc := make(chan error, 1)
	window := make(chan struct{}, aheadPerWorker*o.Workers)
	done := func() { <-window }
	deadline := ph.deadline
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if !deadline.IsZero() {
		runCtx, cancel = context.WithDeadline(ctx, deadline)
	}
	var failing atomic.Bool
	first := &firsts{at: map[invariants.ID]int{}}
	var mu sync.Mutex
	next := 0
	claimIn := func() (job, bool) {
		mu.Lock()
		defer mu.Unlock()
		stop := deadline
		if failing.Load() {
			stop = stop.Add(-o.shrinkReserve())
		}
		if runCtx.Err() != nil || (!deadline.IsZero() && !time.Now().Before(stop)) || (!ph.end.IsZero() && !time.Now().Before(ph.end)) {
			return job{}, false
		}
		j, ok := ph.job(next)
		if ok {
			next++
		}
		return j, ok
	}
	claim := func() (job, bool) {
		select {
		case window <- struct{}{}:
		case <-runCtx.Done():
			return job{}, false
		}
		j, ok := claimIn()
		if !ok {
			done()
		}
		return j, ok
	}
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	cat := o.space.World()
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
				j, ok := claim()
				if !ok {
					return
				}
				run, err := runner.Run(runCtx, o.space.SeededAt(j.seed, o.AllFaults, j.targets), p)
				switch {
				case runCtx.Err() != nil && ctx.Err() == nil:
					return // cut by the deadline: it proves nothing
				case err != nil && ctx.Err() != nil:
					return // interrupted: the exploration is incomplete anyway
				case err != nil:
					out <- outcome{job: j, err: fmt.Errorf("seed %d: %w", j.seed, err)}
				default:
					o := outcomeOf(j, run, cat, first)
					if len(o.failed) > 0 && j.i >= 0 {
						failing.Store(true)
					}
					out <- o
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		cancel()
		close(out)
		// An exploration stopped from outside (an interrupt, the caller's
		// deadline) is incomplete in either mode: --duration ends on its own
		// clock, never through ctx.
		if firstErr == nil && ctx.Err() != nil {
			firstErr = ctx.Err()
		}
		errc <- firstErr
	}()
	return out, errc, done
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
