package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/reconcile"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// SimOpts bound one simulated run. The zero value (or nil) means the defaults.
type SimOpts struct {
	// MaxEvents stops a run that records more events (default 20,000): a
	// run that long is a livelock, reported by terminal-state.
	MaxEvents int
	// MaxVirtual stops a run whose virtual clock passes it (default 24h).
	MaxVirtual time.Duration
	// Latency is the virtual time each engine action takes (default 20ms).
	Latency time.Duration
	// RestartDelay is the virtual time an engine takes to come back after a
	// crash (default 1s).
	RestartDelay time.Duration
	// World is the world the run is in (nil: the built-in one).
	World *worlds.World

	space *scenarios.Space // World compiled, by a caller that runs many
	// only, when set, is the one invariant a run is checked for (Shrink's
	// candidates): Run.Results holds its result alone.
	only invariants.ID
}

func (o *SimOpts) withDefaults() SimOpts {
	var v SimOpts
	if o != nil {
		v = *o
	}
	if v.MaxEvents <= 0 {
		v.MaxEvents = 20000
	}
	if v.MaxVirtual <= 0 {
		v.MaxVirtual = 24 * time.Hour
	}
	if v.Latency <= 0 {
		v.Latency = 20 * time.Millisecond
	}
	if v.RestartDelay <= 0 {
		v.RestartDelay = time.Second
	}
	return v
}

// Run is one simulated, checked run of a scenario under a policy.
type Run struct {
	Scenario scenarios.Scenario
	Policy   string
	History  invariants.History
	Ledger   *fakes.Ledger
	Results  []invariants.Result
	// Virtual is how much virtual time the run took.
	Virtual time.Duration

	// Outages is when the store was unavailable during the run (net mode on
	// Postgres; none in the simulation).
	Outages Outages

	analysis *invariants.Analysis
	buffers  *buffers // what Release hands back (nil: nothing)
}

// buffers are the arrays a run's history and ledger fill, which a released
// run hands back for the runs that follow.
type buffers struct {
	events  []engine.Event
	effects []fakes.Effect
	// scratch holds the run's context versions and its events' reads.
	scratch *engine.Scratch
	// rec is the run's recorder, whose list of facts the next run's reuses;
	// sched its scheduler, whose slots the next run's reuses; clock its
	// virtual clock; fault records a fault that fired with rec, made once.
	rec   recorder
	sched scheduler
	clock VirtualClock
	fault func(faults.Applied)
	// execs holds the executions as the engine starts them; world is the
	// fake world of the run that had the buffers, which the next renews.
	execs scenarios.StoreMemory
	world *fakes.World
	inj   faults.Injector
}

var bufferPool = sync.Pool{New: func() any { return new(buffers) }}

// stores are memory stores a finished simulation emptied, for the next.
var stores = sync.Pool{New: func() any { return memstore.New() }}

// Release hands the run's memory (the arrays of its history and its
// ledger, its context versions and its events' reads, its recorder and
// its analysis) back for the runs that follow, and empties the run:
// neither the run nor anything read from it (its events, ledger, results,
// analysis) may be used afterwards. A run
// that is not released is collected as usual; Explore, Shrink and
// Property release each run they do not keep.
func (r *Run) Release() {
	b := r.buffers
	if b == nil {
		return
	}
	b.events = r.History.Events[:0]
	if r.Ledger != nil {
		b.effects = r.Ledger.Effects()[:0]
	}
	if r.analysis != nil {
		r.analysis.Release()
	}
	*r = Run{}
	bufferPool.Put(b)
}

// Statuses returns how each execution ended, by execution id, as its
// history records it (an execution that never ended has no entry).
func (r *Run) Statuses() map[string]store.Status {
	out := map[string]store.Status{}
	for _, e := range r.History.Events {
		if e.Kind == engine.EvFinish {
			out[e.Exec] = e.Status
		}
	}
	return out
}

// Faults returns the faults that fired, in order, as the history records
// them (one EvFault event each: the one record of a fault).
func (r *Run) Faults() []faults.Applied {
	var out []faults.Applied
	for i := range r.History.Events {
		if a, ok := faultOf(&r.History.Events[i]); ok {
			out = append(out, a)
		}
	}
	return out
}

// faultOf returns the fault an event records, if it records one of the
// schedule's kinds (see [FaultEvent]).
func faultOf(e *engine.Event) (faults.Applied, bool) {
	if e.Kind != engine.EvFault {
		return faults.Applied{}, false
	}
	name, detail, _ := strings.Cut(e.Detail, " ")
	for k := range faults.NumKinds {
		if k.String() == name {
			return faults.Applied{Kind: k, AttemptID: e.AttemptID, Tool: e.Tool, Detail: detail}, true
		}
	}
	return faults.Applied{}, false
}

// FaultEvent is the record of an applied fault in a run's history.
func FaultEvent(a faults.Applied) engine.Event {
	return engine.Event{Kind: engine.EvFault, AttemptID: a.AttemptID, Tool: a.Tool, Detail: a.Kind.String() + " " + a.Detail}
}

// Analysis returns the run's history and ledger as the checkers indexed
// them: what the results, the cost and the reports' timelines all read.
func (r *Run) Analysis() *invariants.Analysis {
	if r.analysis == nil {
		r.analysis = invariants.Analyze(&r.History, r.Ledger)
	}
	return r.analysis
}

// Violated lists the invariants the run violated.
func (r *Run) Violated() []invariants.ID {
	var ids []invariants.ID
	for _, res := range r.Results {
		if res.Status == invariants.Violated {
			ids = append(ids, res.Invariant)
		}
	}
	return ids
}

// Result returns the verdict of one invariant.
func (r *Run) Result(id invariants.ID) invariants.Result {
	for _, res := range r.Results {
		if res.Invariant == id {
			return res
		}
	}
	return invariants.Result{Invariant: id, Status: invariants.Unknown, Reason: "not checked"}
}

// Digest is a hash of the run — its scenario, history and ledger: the same
// scenario and policy give the same digest, byte for byte.
func (r *Run) Digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%+v\n%s\n", r.Policy, r.Scenario, r.HistoryDigest())
	for _, e := range r.Ledger.Effects() {
		fmt.Fprintf(h, "%+v\n", e)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HistoryDigest is a hash of the recorded events alone.
func (r *Run) HistoryDigest() string {
	h := sha256.New()
	for _, e := range r.History.Events {
		fmt.Fprintf(h, "%s|%d|%s\n", e.At.Format(time.RFC3339Nano), e.Kind, e)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type recorder struct {
	events []engine.Event
	clock  *VirtualClock
	// facts are the durable facts recorded, searched while they are few
	// (a run has a start, an end and a commit per step) and mapped past
	// factSearch: then factSet holds them, and mapped is set.
	facts   []engine.Fact
	factSet map[engine.Fact]bool
	mapped  bool
}

const factSearch = 32

// factKinds holds, by kind, whether an event of that kind reports a
// durable fact, as [engine.Event.Fact] says: the recorder asks Fact only
// of those, for Fact copies the event it is asked of, and most events
// report none. Fact's answer depends on the kind alone
// (TestFactDependsOnTheKindAlone).
var factKinds = func() (kinds [256]bool) {
	for k := range kinds {
		_, kinds[k] = engine.Event{Kind: engine.EventKind(k)}.Fact()
	}
	return kinds
}()

// reset readies the recorder for a run, its events recorded in the array
// of events, keeping the memory of its facts: the run's facts overwrite
// the list's, and a map of them is emptied only when there is one.
func (r *recorder) reset(clock *VirtualClock, events []engine.Event) {
	if len(r.factSet) > 0 {
		clear(r.factSet)
	}
	r.events, r.clock, r.facts, r.mapped = events[:0], clock, r.facts[:0], false
}

// Observe records an event. A durable fact reported again (see
// [engine.Event.Fact]) is recorded once: this is the one place that
// filters the history.
func (r *recorder) Observe(e engine.Event) {
	if e.At.IsZero() {
		e.At = r.clock.Now()
	}
	if factKinds[e.Kind] {
		if f, ok := e.Fact(); ok && !r.firstOf(f) {
			return
		}
	}
	r.events = append(r.events, e)
}

// firstOf reports whether the fact is new, and remembers it.
func (r *recorder) firstOf(f engine.Fact) bool {
	if r.mapped {
		if r.factSet[f] {
			return false
		}
		r.factSet[f] = true
		return true
	}
	for i := range r.facts {
		if g := &r.facts[i]; g.Kind == f.Kind && g.AttemptID == f.AttemptID {
			return false
		}
	}
	r.facts = append(r.facts, f)
	if len(r.facts) > factSearch {
		if r.factSet == nil {
			r.factSet = make(map[engine.Fact]bool, 2*len(r.facts))
		}
		r.mapped = true
		for _, g := range r.facts {
			r.factSet[g] = true
		}
	}
	return true
}

// inWorld returns o (nil: the defaults) with the world w, compiled as space,
// unless o names a world of its own.
func inWorld(o *SimOpts, w *worlds.World) (*SimOpts, *scenarios.Space, error) {
	var v SimOpts
	if o != nil {
		v = *o
	}
	if v.World == nil {
		v.World = w
	}
	space, err := v.compiled()
	v.space = space
	return &v, space, err
}

// compiled returns the options' world compiled: the caller's, or compiled
// now, or the built-in one.
func (o SimOpts) compiled() (*scenarios.Space, error) {
	switch {
	case o.space != nil:
		return o.space, nil
	case o.World == nil:
		return scenarios.Default(), nil
	}
	return Compile(o.World)
}

// Compile checks a world and compiles it once for the runs in it: its
// catalog for the fakes and the engine, and the space scenarios are drawn
// from.
func Compile(w *worlds.World) (*scenarios.Space, error) {
	if w == nil {
		return scenarios.Default(), nil
	}
	cat, err := fakes.Compile(w)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", w.Name, err)
	}
	return scenarios.NewSpace(cat), nil
}

// Simulate runs a scenario under a policy in one process, on a virtual
// clock, with the scenario's faults, then runs the reconciliation worker
// (when the policy's architecture has one) and checks every invariant.
func Simulate(ctx context.Context, sc scenarios.Scenario, p policy.Policy, opts *SimOpts) (*Run, error) {
	o := opts.withDefaults()
	space, err := o.compiled()
	if err != nil {
		return nil, err
	}
	cat := space.World()
	buf := bufferPool.Get().(*buffers)
	if buf.scratch == nil {
		buf.scratch = new(engine.Scratch)
		buf.fault = func(a faults.Applied) { buf.rec.Observe(FaultEvent(a)) }
	}
	clock := &buf.clock
	*clock = VirtualClock{now: Epoch}
	buf.scratch.Reset() // the run that had it was released: nothing reads it
	rec := &buf.rec
	rec.reset(clock, buf.events)
	if cap(rec.events) < 8*sc.Steps()+16 {
		rec.events = make([]engine.Event, 0, 8*sc.Steps()+16)
	}
	run := &Run{Scenario: sc, Policy: p.Name(), buffers: buf}
	inj := buf.inj.Renew(sc.Faults, sc.Units(), buf.fault) // the run that had it was released
	inj.UseClock(clock)
	world := fakes.NewWorld(&fakes.Opts{Catalog: cat, Clock: clock, Quirks: inj, Drift: inj.Drift(cat), Expect: 3 * sc.Steps(), Reuse: buf.effects, Renew: buf.world})
	buf.world = world
	buf.events, buf.effects = nil, nil // the run holds them now, until it is released
	mem := stores.Get().(*memstore.Store)
	defer func() { mem.Recycle(); stores.Put(mem) }() // nothing the run returns reads it, nor anything read from it
	st := inj.Store(mem)
	tools := inj.Invoker(world)
	reg := cat.Registry()
	eopts := &engine.Opts{Clock: clock, Faults: inj, Observer: rec, Downstream: world, Contracts: cat, Seed: sc.Faults.Seed, Scratch: buf.scratch}
	eng, err := engine.New(st, reg, p, tools, eopts)
	if err != nil {
		return nil, err
	}
	s := &buf.sched
	s.reset(sc, clock, o.Latency)
	buf.execs.Reset() // the engine that read them last is gone
	for _, x := range sc.Executions {
		if err := eng.Start(ctx, x.StoreIn(&buf.execs)); err != nil {
			return nil, fmt.Errorf("start %s: %w", x.ID, err)
		}
	}
	for !s.idle() {
		if err := ctx.Err(); err != nil {
			run.History.Cut = invariants.Aborted
			break
		}
		if len(rec.events) > o.MaxEvents || clock.Elapsed() > o.MaxVirtual {
			run.History.Cut = invariants.CutAtLimit
			break
		}
		i := s.next()
		x := sc.Executions[i]
		prog, err := eng.Advance(ctx, x.Tenant, x.ID)
		clock.Sleep(ctx, o.Latency)
		switch {
		case errors.Is(err, engine.ErrCrash):
			rec.Observe(engine.Event{Kind: engine.EvCrash, Detail: "the engine process died"})
			clock.Sleep(ctx, o.RestartDelay)
			eng.Release() // the crashed engine is gone: its executions' memory serves the next
			if eng, err = engine.New(st, reg, p, tools, eopts); err != nil {
				return nil, err
			}
			refs, err := eng.Recover(ctx)
			if err != nil {
				return nil, fmt.Errorf("rebuild after a crash: %w", err)
			}
			rec.Observe(engine.Event{Kind: engine.EvRecover, Detail: fmt.Sprintf("rebuilt from the store; %d executions to resume", len(refs))})
			s.wakeAll(clock.Now())
		case err != nil:
			s.wake(i, prog.Wake)
		case prog.Done:
			s.done(i)
		default:
			s.wake(i, prog.Wake)
		}
	}
	eng.Release() // the engine has stopped; nothing reads its executions
	if run.History.Cut != invariants.Aborted {
		// Requests still on their way (zombies) arrive, whatever became of
		// the executions that sent them.
		if err := inj.Land(ctx, tools); err != nil {
			return nil, fmt.Errorf("land the held requests: %w", err)
		}
		if err := ReadReviewQueue(ctx, mem, sc, rec); err != nil {
			return nil, err
		}
	}
	if p.Architecture().Reconciliation() && run.History.Cut != invariants.Aborted {
		// A run cut at its limits still gets its audit: the worker looks only
		// at executions that ended, and the engine has stopped. It runs once
		// the world's lookups have caught up with the last calls, as a
		// periodic worker does.
		clock.Sleep(ctx, cat.MaxLookupLag())
		if err := reconcilePass(ctx, mem, reg, world, rec, clock, p.Architecture().Without); err != nil {
			return nil, err
		}
	}
	run.History.Events = rec.events
	run.Ledger = world.Ledger()
	if o.only != "" {
		run.Results = []invariants.Result{run.Analysis().CheckOne(o.only)}
	} else {
		run.Results = run.Analysis().Check()
	}
	run.Virtual = clock.Elapsed()
	world.Release() // its ledger is the run's; nothing else of it is read again
	return run, nil
}

// ReadReviewQueue records, as EvQueued events and one EvReviewed, the dead
// letters the store holds for review of a scenario's executions, once the
// engine has stopped: terminal-state holds a dead-lettered execution nobody
// queued to be one nobody will look at.
func ReadReviewQueue(ctx context.Context, s store.Store, sc scenarios.Scenario, obs engine.Observer) error {
	n := 0
	for _, x := range sc.Executions {
		dead, err := deadLetters(ctx, s, x.Tenant, x.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // never created: the engine crashed before Start
		}
		if err != nil {
			return fmt.Errorf("read the review queue: %w", err)
		}
		for _, d := range dead {
			obs.Observe(engine.Event{Kind: engine.EvQueued, AttemptID: d.AttemptID, Detail: d.Cause})
			n++
		}
	}
	detail := "0 dead letters" // the usual count, without making a string
	if n > 0 {
		detail = strconv.Itoa(n) + " dead letters"
	}
	obs.Observe(engine.Event{Kind: engine.EvReviewed, Detail: detail})
	return nil
}

// DeadLetterReader is a store that reads an execution's dead letters
// without loading the rest of it (the memory store): [ReadReviewQueue]
// uses it when the store has it, and a snapshot otherwise.
type DeadLetterReader interface {
	DeadLetters(ctx context.Context, tenant, id string) ([]store.DeadLetter, error)
}

func deadLetters(ctx context.Context, s store.Store, tenant, id string) ([]store.DeadLetter, error) {
	if r, ok := s.(DeadLetterReader); ok {
		return r.DeadLetters(ctx, tenant, id)
	}
	snap, err := s.Load(ctx, tenant, id)
	return snap.DeadLetters, err
}

func reconcilePass(ctx context.Context, s store.Store, reg *registry.Registry, world *fakes.World, rec *recorder, clock *VirtualClock, without policy.Safeguards) error {
	rec.Observe(engine.Event{Kind: engine.EvAudit, Seq: world.Ledger().Len(), Detail: "reconciliation pass"})
	w, err := reconcile.New(s, reg, world, &reconcile.Opts{Clock: clock, Observer: rec, Without: without})
	if err != nil {
		return err
	}
	_, err = w.Pass(ctx)
	return err
}

// scheduler picks which execution advances next: the earliest due, ties
// broken by execution order, so that a scenario interleaves the same way
// every time.
type scheduler struct {
	execs []slot
	left  int
	clock *VirtualClock
}

type slot struct {
	due   time.Time
	alive bool
}

// reset readies the scheduler for a run's executions, keeping its slots'
// array.
func (s *scheduler) reset(sc scenarios.Scenario, clock *VirtualClock, stagger time.Duration) {
	n := len(sc.Executions)
	s.execs, s.left, s.clock = slices.Grow(s.execs[:0], n)[:n], n, clock
	for i := range s.execs {
		s.execs[i] = slot{due: clock.Now().Add(time.Duration(i) * stagger / 2), alive: true}
	}
}

func (s *scheduler) idle() bool { return s.left == 0 }

func (s *scheduler) next() int {
	best := -1
	for i, x := range s.execs {
		if x.alive && (best < 0 || x.due.Before(s.execs[best].due)) {
			best = i
		}
	}
	s.clock.AdvanceTo(s.execs[best].due)
	return best
}

func (s *scheduler) wake(i int, t time.Time) {
	if t.Before(s.clock.Now()) {
		t = s.clock.Now()
	}
	s.execs[i].due = t
}

func (s *scheduler) done(i int) {
	if s.execs[i].alive {
		s.execs[i].alive = false
		s.left--
	}
}

func (s *scheduler) wakeAll(t time.Time) {
	for i := range s.execs {
		s.execs[i].due = t
	}
}
