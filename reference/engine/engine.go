package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Opts configures an Engine. The zero value (or nil) means: wall clock, no
// fault injection, no observer, no downstream consumer, no tenant contracts,
// jitter seed 0.
type Opts struct {
	Clock      Clock
	Faults     Faults
	Observer   Observer
	Downstream Downstream
	Contracts  policy.Contracts
	// Seed seeds the backoff jitter, which is a pure function of the seed and
	// the attempt, so that a rebuilt engine draws what the crashed one would have.
	Seed uint64
	// Scratch, when not nil, is where the engine takes the context
	// versions it commits and the reads it reports (see [Scratch]).
	Scratch *Scratch
	// StoreRetry is how long Run waits after a store error before trying
	// again (default 1s).
	StoreRetry time.Duration
}

// Engine runs workflows under a policy. It is safe for concurrent use; each
// execution is advanced by one caller at a time.
type Engine struct {
	store     store.Store
	reg       *registry.Registry
	pol       policy.Policy
	arch      policy.Architecture
	tools     Invoker
	lookup    Lookuper
	down      Downstream
	contracts policy.Contracts
	clock     Clock
	faults    Faults
	obs       Observer
	seed      uint64
	retry     time.Duration
	scratch   *Scratch

	mu   sync.Mutex
	runs map[store.Ref]*run
	// last is the run get found last: a caller advances one execution
	// many times in a row, and its references compare quicker than the
	// map hashes them.
	last    *run
	lastRef store.Ref
	crashed atomic.Bool
}

// New returns an engine. tools may also implement [Lookuper].
func New(s store.Store, reg *registry.Registry, p policy.Policy, tools Invoker, opts *Opts) (*Engine, error) {
	if s == nil || reg == nil || p == nil || tools == nil {
		return nil, errors.New("engine: store, registry, policy and tools are required")
	}
	arch := p.Architecture()
	if err := arch.Validate(); err != nil {
		return nil, fmt.Errorf("engine: policy %q: %w", p.Name(), err)
	}
	if opts == nil {
		opts = &Opts{}
	}
	e := opts.Scratch.takeEngine() // one released, with its map of runs
	var runs map[store.Ref]*run
	if e == nil {
		e, runs = new(Engine), map[store.Ref]*run{}
	} else {
		runs = e.runs
	}
	*e = Engine{
		store: s, reg: reg, pol: p, arch: arch, tools: tools,
		down: opts.Downstream, contracts: opts.Contracts, clock: opts.Clock,
		faults: opts.Faults, obs: opts.Observer, seed: opts.Seed, retry: opts.StoreRetry, scratch: opts.Scratch,
		runs: runs,
	}
	e.lookup, _ = tools.(Lookuper)
	if e.clock == nil {
		e.clock = RealClock
	}
	if e.retry <= 0 {
		e.retry = time.Second
	}
	return e, nil
}

// Release hands the memory of the engine's executions back for the
// engines made after it, and the engine itself to the next New given its
// scratch ([Opts.Scratch]): a caller that runs many short workflows one
// after another (the simulation) releases each engine once it is done with
// it. Neither the engine nor anything it holds may be used afterwards; the
// store, what the engine reported (its events) and the calls it made are
// not affected.
func (e *Engine) Release() {
	e.mu.Lock()
	for ref, r := range e.runs {
		r.release()
		delete(e.runs, ref)
	}
	e.last = nil
	e.mu.Unlock()
	if e.scratch != nil {
		e.scratch.keepEngine(e)
	}
}

// Progress is what Advance left an execution in.
type Progress struct {
	Done   bool
	Status store.Status
	// Wake is when the next action is due (zero: now).
	Wake time.Time
}

// Start creates an execution and makes it runnable.
func (e *Engine) Start(ctx context.Context, x store.Execution) error {
	if e.crashed.Load() {
		return ErrCrash
	}
	if len(x.Steps) == 0 {
		return fmt.Errorf("start %s: the workflow has no steps", x.Ref())
	}
	for _, st := range x.Steps {
		if _, err := e.reg.Base(st.Tool); err != nil {
			return fmt.Errorf("start %s: %w", x.Ref(), err)
		}
	}
	x.Created = e.clock.Now()
	if err := e.store.Create(ctx, x); err != nil {
		return err
	}
	x.Status, x.Run = store.Running, 0
	r := newRun(x)
	r.ctx = e.scratch.inputContext(x.Input)
	if e.arch.Context == policy.Shared || e.arch.Without.Has(policy.CopyOnWrite) {
		r.shared = maps.Clone(r.ctx.Values) // the one document every attempt writes into
	}
	e.mu.Lock()
	e.runs[x.Ref()] = r
	e.mu.Unlock()
	ev := startEvent(x, e.scratch)
	e.emit(&ev)
	return nil
}

// Advance performs the next due action of an execution: at most one tool
// call, lookup or compensation, plus the bookkeeping around it.
func (e *Engine) Advance(ctx context.Context, tenant, id string) (Progress, error) {
	if e.crashed.Load() {
		return Progress{}, ErrCrash
	}
	r, err := e.get(ctx, tenant, id)
	if err != nil {
		return Progress{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := e.clock.Now()
	resynced := false
	for !r.done && !r.wake.After(now) {
		visible, err := e.act(ctx, r)
		if err != nil {
			if errors.Is(err, ErrCrash) {
				e.crashed.Store(true)
				return Progress{}, ErrCrash
			}
			if !resynced && (errors.Is(err, store.ErrTerminal) || errors.Is(err, store.ErrStaleRun)) {
				// A write this engine was told had failed landed: the store
				// is ahead. Take its state, once per call.
				resynced = true
				if err := e.resync(ctx, r, err); err != nil {
					return Progress{Wake: now.Add(e.retry)}, err
				}
				continue
			}
			return Progress{Wake: now.Add(e.retry)}, err
		}
		if visible {
			break
		}
	}
	return Progress{Done: r.done, Status: r.status, Wake: r.wake}, nil
}

// Run advances an execution until it ends, sleeping on the engine's clock
// between actions. Store errors are retried after Opts.StoreRetry while ctx
// lasts; a crash or a cancelled ctx ends Run with its error.
func (e *Engine) Run(ctx context.Context, tenant, id string) (store.Status, error) {
	for {
		p, err := e.Advance(ctx, tenant, id)
		switch {
		case errors.Is(err, ErrCrash), errors.Is(err, store.ErrNotFound):
			return 0, err
		case err != nil && ctx.Err() != nil:
			return 0, err
		case err != nil:
			e.emit(&Event{Kind: EvStoreError, AttemptID: store.AttemptID{Tenant: tenant, Exec: id}, Detail: err.Error()})
		case p.Done:
			return p.Status, nil
		}
		if err := e.clock.Sleep(ctx, p.Wake.Sub(e.clock.Now())); err != nil {
			return 0, err
		}
	}
}

// Recover loads every unfinished execution from the store, as a new engine
// does after a crash, and returns them. Each resumes after its last commit;
// an attempt that was in flight is typed as an uncertain outcome and decided
// by the policy.
func (e *Engine) Recover(ctx context.Context) ([]store.Ref, error) {
	refs, err := e.store.Active(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	for _, ref := range refs {
		if _, err := e.get(ctx, ref.Tenant, ref.Exec); err != nil {
			return nil, fmt.Errorf("recover %s: %w", ref, err)
		}
	}
	return refs, nil
}

func (e *Engine) get(ctx context.Context, tenant, id string) (*run, error) {
	ref := store.Ref{Tenant: tenant, Exec: id}
	e.mu.Lock()
	r := e.last
	ok := r != nil && e.lastRef.Exec == id && e.lastRef.Tenant == tenant
	if !ok {
		if r, ok = e.runs[ref]; ok {
			e.last, e.lastRef = r, ref
		}
	}
	e.mu.Unlock()
	if ok {
		return r, nil
	}
	snap, err := e.store.Load(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	r = e.rebuild(snap)
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.runs[ref]; ok {
		return prev, nil
	}
	e.runs[ref] = r
	return r, nil
}

// resync replaces r's state with the store's, as a rebuilt engine would
// find it.
func (e *Engine) resync(ctx context.Context, r *run, cause error) error {
	snap, err := e.store.Load(ctx, r.exec.Tenant, r.exec.Exec)
	if err != nil {
		return fmt.Errorf("reload %s after %v: %w", r.exec.Ref(), cause, err)
	}
	r.runState = e.rebuild(snap).runState
	return nil
}

// emitRecovered reports a durable fact a rebuilt engine found in the store.
func (e *Engine) emitRecovered(ev Event) {
	ev.Recovered = true
	e.emit(&ev)
}

// emit reports ev to the observer, stamped with the engine's clock if it
// has no time. It takes the event by address: an Event is large, and it is
// copied once, to the observer.
func (e *Engine) emit(ev *Event) {
	if e.obs == nil {
		return
	}
	if ev.At.IsZero() {
		ev.At = e.clock.Now()
	}
	e.obs.Observe(*ev)
}

// at consults the fault port at point p of attempt id. Only ErrCrash and,
// at ContextWrite, other errors have an effect; a crash goes up to Advance,
// the one place that marks the engine crashed.
func (e *Engine) at(ctx context.Context, r *run, p Point, id store.AttemptID, index int) error {
	if e.faults == nil {
		return nil
	}
	err := e.faults.At(ctx, Site{Point: p, AttemptID: id, Tool: r.exec.Steps[id.Step].Tool, Index: index})
	if errors.Is(err, ErrCrash) || p == ContextWrite {
		return err
	}
	return nil
}

// entry returns the registry entry and the tenant contract the engine must
// use for the current step of r: the tenant's own when the architecture
// honours contracts. The registry and the contracts do not change once the
// engine has them, so each step looks them up once per run.
func (e *Engine) entry(r *run) (registry.Entry, policy.Contract, error) {
	c := &r.entries[r.step]
	if !c.known {
		c.ent, c.contract, c.err = e.lookupEntry(r.exec.Steps[r.step].Tool, r.exec.Tenant)
		c.known = true
	}
	return c.ent, c.contract, c.err
}

// stepEntry is what entry found for a step.
type stepEntry struct {
	ent      registry.Entry
	contract policy.Contract
	err      error
	known    bool
}

// lookupEntry looks up what entry returns for tool on behalf of tenant.
func (e *Engine) lookupEntry(tool, tenant string) (registry.Entry, policy.Contract, error) {
	if e.arch.TenantContracts == policy.Ignore {
		ent, err := e.reg.Base(tool)
		return ent, policy.Contract{}, err
	}
	lookup := e.reg.Lookup
	if e.arch.Without.Has(policy.TenantEntry) {
		lookup = func(tool, _ string) (registry.Entry, error) { return e.reg.Base(tool) }
	}
	ent, err := lookup(tool, tenant)
	var c policy.Contract
	if err == nil && e.contracts != nil {
		c = e.arch.Without.Contract(e.contracts.Contract(tenant, tool))
	}
	return ent, c, err
}

// classify is Layer 1's typing of a failure, as the engine applies it.
func (e *Engine) classify(obs outcome.Observation) outcome.Outcome {
	if e.arch.Without.Has(policy.TimeoutTyping) && errors.Is(obs.Err, outcome.ErrTimeout) {
		obs.Err = fmt.Errorf("%w (a timeout taken for one): %v", outcome.ErrRefused, obs.Err)
	}
	return outcome.Classify(obs)
}

func inputContext(input map[string]string) store.Context {
	c := store.Context{Values: make(map[string]store.Value, len(input))}
	for k, v := range input {
		c.Values[k] = store.Value{Data: v, Writer: store.InputWriter}
	}
	return c
}

// jitter is a uniform draw in [0, 1) that depends only on the seed and the attempt.
func (e *Engine) jitter(a store.Attempt) float64 {
	h := splitmix.Fold(splitmix.Fold(e.seed^splitmix.Golden, a.Tenant), a.Exec)
	h = splitmix.Mix(h ^ uint64(a.Run)<<48 ^ uint64(a.Step)<<32 ^ uint64(a.Attempt))
	return float64(h>>11) / (1 << 53)
}

var errCrashedAttempt = errors.New("the engine crashed during the attempt")

func crashedOutcome(ent registry.Entry) outcome.Outcome {
	return outcome.Classify(outcome.Observation{Stage: outcome.StageRecovered, Err: errCrashedAttempt,
		Layer: ent.Layer, SideEffects: ent.SideEffects, Streaming: ent.Streaming, Signals: ent.Signals})
}
