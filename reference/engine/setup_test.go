package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
)

// clock is a virtual clock: sleeping on it moves it, so backoff costs no
// wall time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// recorder is the engines' Observer.
type recorder struct {
	mu     sync.Mutex
	events []engine.Event
}

func (r *recorder) Observe(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// of returns the events of one kind, optionally only those of one step.
func (r *recorder) of(kind engine.EventKind, step ...int) []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []engine.Event
	for _, e := range r.events {
		if e.Kind == kind && (len(step) == 0 || e.Step == step[0]) {
			out = append(out, e)
		}
	}
	return out
}

// invokes counts the tool calls of each step.
func (r *recorder) invokes(steps int) []int {
	n := make([]int, steps)
	for _, e := range r.of(engine.EvInvoke) {
		n[e.Step]++
	}
	return n
}

// faultAt is a Faults port that fails the first site matching when with err.
type faultAt struct {
	mu    sync.Mutex
	when  func(engine.Site) bool
	err   error
	fired int
}

func (f *faultAt) At(_ context.Context, s engine.Site) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fired == 0 && f.when(s) {
		f.fired++
		return f.err
	}
	return nil
}

// at matches a point of one step's first attempt in the first run.
func at(p engine.Point, step, index int) func(engine.Site) bool {
	return func(s engine.Site) bool {
		return s.Point == p && s.Step == step && s.Attempt == 1 && s.Run == 0 && s.Index == index
	}
}

// nthAfterCommit matches the n-th AfterCommit site, counted, so that a case
// does not depend on the step number the site carries.
func nthAfterCommit(n int) func(engine.Site) bool {
	seen := 0
	return func(s engine.Site) bool {
		if s.Point != engine.AfterCommit {
			return false
		}
		seen++
		return seen == n
	}
}

var errContextStore = errors.New("context store write failed")

// env is one fake world, one store and the record of what engines did to them.
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store *memstore.Store
	world *fakes.World
	rec   *recorder
	reg   *registry.Registry
}

func setup(t *testing.T) *env {
	t.Helper()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return &env{t: t, ctx: context.Background(), clock: c, store: memstore.New(),
		world: fakes.NewWorld(&fakes.Opts{Clock: c}), rec: &recorder{}, reg: fakes.Registry()}
}

// engine builds an engine on the env's store, clock and observer. tools nil
// means the world itself.
func (e *env) engine(p policy.Policy, tools engine.Invoker, faults engine.Faults) *engine.Engine {
	e.t.Helper()
	return e.engineOn(e.store, p, tools, faults)
}

// engineOn builds an engine on another store (one that wraps the env's).
func (e *env) engineOn(s store.Store, p policy.Policy, tools engine.Invoker, faults engine.Faults) *engine.Engine {
	e.t.Helper()
	if tools == nil {
		tools = e.world
	}
	opts := &engine.Opts{Clock: e.clock, Faults: faults, Observer: e.rec, Downstream: e.world, Contracts: fakes.Contracts{}, Seed: 7}
	eng, err := engine.New(s, e.reg, p, tools, opts)
	if err != nil {
		e.t.Fatalf("engine.New: %v", err)
	}
	return eng
}

// run starts x and runs it to its end.
func (e *env) run(eng *engine.Engine, x store.Execution) store.Status {
	e.t.Helper()
	if err := eng.Start(e.ctx, x); err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	status, err := eng.Run(e.ctx, x.Tenant, x.Exec)
	if err != nil {
		e.t.Fatalf("Run: %v", err)
	}
	return status
}

func (e *env) load(x store.Execution) store.Snapshot {
	e.t.Helper()
	snap, err := e.store.Load(e.ctx, x.Tenant, x.Exec)
	if err != nil {
		e.t.Fatalf("Load: %v", err)
	}
	return snap
}

// applied returns the world's applied effects of one step of x, not
// counting those the world made on its own.
func (e *env) applied(x store.Execution, step int) []fakes.Effect {
	var out []fakes.Effect
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == fakes.Applied && !ef.World && ef.Op.Tenant == x.Tenant && ef.Op.Exec == x.Exec && ef.Op.Step == step {
			out = append(out, ef)
		}
	}
	return out
}

// workflow is an execution of tools for tenant, as the scenarios make them:
// each step writes two keys, and the input holds the request and the goal.
func workflow(tenant, id string, tools ...string) store.Execution {
	steps := make([]store.Step, len(tools))
	var goal []string
	for i, tool := range tools {
		steps[i] = store.Step{Tool: tool, Writes: []string{fmt.Sprintf("s%d.out", i), fmt.Sprintf("s%d.meta", i)}}
		if tool != fakes.Plan {
			goal = append(goal, tool)
		}
	}
	return store.Execution{Tenant: tenant, Exec: id, Workflow: "test", Steps: steps,
		Input: map[string]string{"request": tenant + ":request:test", "goal": tenant + ":" + strings.Join(goal, ">")}}
}

// archPolicy is the reference decision tree on another architecture.
type archPolicy struct {
	policy.Policy
	arch policy.Architecture
}

func (p archPolicy) Architecture() policy.Architecture { return p.arch }

func reference(f func(*policy.Architecture)) policy.Policy {
	a := policy.DefaultArchitecture()
	f(&a)
	return archPolicy{Policy: policy.Reference(), arch: a}
}

// assertVersionsUntouched checks that each committed context version holds
// the input and the keys of the steps up to its own, each written by the
// committed attempt: no later write reached a committed version.
func assertVersionsUntouched(t *testing.T, snap store.Snapshot) {
	t.Helper()
	for i, c := range snap.Commits {
		if c.Context.Version != i+1 {
			t.Errorf("commit %d holds context version %d", i, c.Context.Version)
		}
		for k, v := range c.Context.Values {
			if v.Writer == store.InputWriter {
				continue
			}
			if v.Writer.Step > c.Step || v.Writer != (store.Writer{Run: snap.Commits[v.Writer.Step].Run, Step: v.Writer.Step, Attempt: snap.Commits[v.Writer.Step].Attempt}) {
				t.Errorf("context version %d holds %s written by %+v, which is not a committed attempt of a step up to %d", c.Context.Version, k, v.Writer, c.Step)
			}
		}
		if want := len(snap.Execution.Input) + 2*(c.Step+1); len(c.Context.Values) != want {
			t.Errorf("context version %d holds %d keys, want %d", c.Context.Version, len(c.Context.Values), want)
		}
	}
}

// lossy loses the response of a tool's first call: after the tool acted
// (the world has the effect), or before (the request never arrived).
type lossy struct {
	*fakes.World
	tool   string
	acted  bool
	mu     sync.Mutex
	missed int
}

func (l *lossy) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	l.mu.Lock()
	lose := c.Tool == l.tool && l.missed == 0
	if lose {
		l.missed++
	}
	l.mu.Unlock()
	switch {
	case lose && l.acted:
		if _, err := l.World.Invoke(ctx, c); err != nil {
			return engine.Response{}, err
		}
		return engine.Response{}, outcome.ErrTimeout
	case lose:
		return engine.Response{}, outcome.ErrTimeout
	}
	return l.World.Invoke(ctx, c)
}

// cutStream cuts a streaming call's first attempt after two chunks.
type cutStream struct {
	*fakes.World
	mu   sync.Mutex
	cuts int
}

func (c *cutStream) Invoke(ctx context.Context, call engine.Call) (engine.Response, error) {
	c.mu.Lock()
	cut := call.Deliver != nil && c.cuts == 0
	if cut {
		c.cuts++
	}
	c.mu.Unlock()
	if cut {
		deliver := call.Deliver
		call.Deliver = func(i int, chunk string) error {
			if i >= 2 {
				return outcome.ErrStreamCut
			}
			return deliver(i, chunk)
		}
	}
	return c.World.Invoke(ctx, call)
}
