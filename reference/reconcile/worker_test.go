package reconcile_test

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
	"github.com/chaosrun/chaosrun/reference/reconcile"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
)

// quirks makes the world misbehave on the calls that carry given keys.
type quirks map[string]fakes.Quirk

func (q quirks) Quirk(c engine.Call) fakes.Quirk { return q[c.Key] }

type clock struct{ now time.Time }

func (c clock) Now() time.Time                                   { return c.now }
func (c clock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// recorder is the worker's Observer.
type recorder struct {
	mu     sync.Mutex
	events []engine.Event
}

func (r *recorder) Observe(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// env is a store and a world, written through the store port and the
// world's tools the way an engine would have.
type env struct {
	t      *testing.T
	ctx    context.Context
	store  *memstore.Store
	world  *fakes.World
	rec    *recorder
	worker *reconcile.Worker
}

func setup(t *testing.T, q quirks) *env {
	t.Helper()
	c := clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := &env{t: t, ctx: context.Background(), store: memstore.New(), world: fakes.NewWorld(&fakes.Opts{Clock: c, Quirks: q}), rec: &recorder{}}
	w, err := reconcile.New(e.store, fakes.Registry(), e.world, &reconcile.Opts{Clock: c, Observer: e.rec, Batch: 2})
	if err != nil {
		t.Fatalf("reconcile.New: %v", err)
	}
	e.worker = w
	return e
}

// exec is one execution being written.
type exec struct {
	e     *env
	x     store.Execution
	tries map[int]int
}

func (e *env) exec(tenant, id string, tools ...string) *exec {
	e.t.Helper()
	steps := make([]store.Step, len(tools))
	for i, tool := range tools {
		steps[i] = store.Step{Tool: tool, Writes: []string{fmt.Sprintf("s%d.out", i)}}
	}
	x := store.Execution{Tenant: tenant, Exec: id, Steps: steps, Input: map[string]string{"request": tenant + ":request:x"}}
	if err := e.store.Create(e.ctx, x); err != nil {
		e.t.Fatal(err)
	}
	return &exec{e: e, x: x, tries: map[int]int{}}
}

func (x *exec) key(step int) string { return fmt.Sprintf("key:%s/%s/%d", x.x.Tenant, x.x.Exec, step) }

// call begins an attempt of step with the step's key and calls the tool.
func (x *exec) call(step int) (store.Attempt, engine.Response) {
	x.e.t.Helper()
	return x.callWith(step, x.key(step))
}

// callWith begins an attempt of step with the given key and calls the tool.
func (x *exec) callWith(step int, key string) (store.Attempt, engine.Response) {
	x.e.t.Helper()
	x.tries[step]++
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: x.x.Tenant, Exec: x.x.Exec, Step: step, Attempt: x.tries[step]}, Kind: store.Invoke, Key: key}
	if err := x.e.store.Begin(x.e.ctx, a); err != nil {
		x.e.t.Fatal(err)
	}
	resp, err := x.e.world.Invoke(x.e.ctx, engine.Call{
		AttemptID: store.AttemptID{Tenant: a.Tenant, Exec: a.Exec, Step: step, Attempt: a.Attempt},
		Tool:      x.x.Steps[step].Tool,
		Key:       a.Key,
		Payload:   "request=" + x.x.Tenant + ":request:x",
	})
	if err != nil {
		x.e.t.Fatal(err)
	}
	return a, resp
}

// failed records that an attempt's response was lost: the execution recovered.
func (x *exec) failed(a store.Attempt) {
	x.e.t.Helper()
	a.Outcome = outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, SideEffects: true})
	if err := x.e.store.End(x.e.ctx, a); err != nil {
		x.e.t.Fatal(err)
	}
}

func (x *exec) commit(step int, a store.Attempt, resp engine.Response) {
	x.e.t.Helper()
	c := store.Commit{
		AttemptID: store.AttemptID{Tenant: a.Tenant, Exec: a.Exec, Step: step, Attempt: a.Attempt},
		Result:    store.Result{Data: resp.Data, Ref: resp.Ref},
		Context:   store.Context{Version: step + 1, Values: map[string]store.Value{}},
	}
	if err := x.e.store.Commit(x.e.ctx, c); err != nil {
		x.e.t.Fatal(err)
	}
}

// ok runs a step cleanly: call and commit.
func (x *exec) ok(step int) engine.Response {
	a, resp := x.call(step)
	x.commit(step, a, resp)
	return resp
}

// lostThenOK loses the first attempt's response and commits the second's.
func (x *exec) lostThenOK(step int) engine.Response {
	a, _ := x.call(step)
	x.failed(a)
	return x.ok(step)
}

func (x *exec) finish(s store.Status) {
	x.e.t.Helper()
	if err := x.e.store.Finish(x.e.ctx, x.x.Tenant, x.x.Exec, s, "test"); err != nil {
		x.e.t.Fatal(err)
	}
}

func (e *env) lookup(tenant, tool, key string) engine.LookupResult {
	e.t.Helper()
	res, err := e.world.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: tenant}, Tool: tool, Key: key})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// compensations returns the refs the world undid.
func (e *env) compensations() []string {
	var refs []string
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == fakes.Compensated {
			refs = append(refs, ef.Tool+" "+ef.Ref)
		}
	}
	return refs
}

// pass runs the worker and checks that a second pass finds nothing more.
func (e *env) pass() []store.ReconEvent {
	e.t.Helper()
	events, err := e.worker.Pass(e.ctx)
	if err != nil {
		e.t.Fatalf("Pass: %v", err)
	}
	again, err := e.worker.Pass(e.ctx)
	if err != nil || len(again) != 0 {
		e.t.Errorf("a second pass found %v, %v; the first should have audited everything", again, err)
	}
	return events
}

func (e *env) audited(x *exec) bool {
	e.t.Helper()
	snap, err := e.store.Load(e.ctx, x.x.Tenant, x.x.Exec)
	if err != nil {
		e.t.Fatal(err)
	}
	return snap.Execution.Audited
}

// summary renders events compactly for comparisons.
func summary(events []store.ReconEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = fmt.Sprintf("%s/%s step %d %s %s: %s", ev.Tenant, ev.Exec, ev.Step, ev.Tool, ev.Kind, ev.Action)
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestDuplicateEffect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tenant  string
		tool    string
		action  string
		undone  []string
		liveAft int
	}{
		{"a duplicate charge is refunded", fakes.Acme, fakes.CreateCharge,
			"compensated [create_charge-2] with refund_charge", []string{"refund_charge create_charge-2"}, 1},
		{"a duplicate record is deleted", fakes.Globex, fakes.InsertRecord,
			"compensated [insert_record-2] with delete_record", []string{"delete_record insert_record-2"}, 1},
		{"a duplicate trigger has no compensator: flagged", fakes.Initech, fakes.PublishReport,
			"flagged for review", nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			key := fmt.Sprintf("key:%s/e1/0", c.tenant)
			e := setup(t, quirks{key: fakes.DoubleDelivery})
			x := e.exec(c.tenant, "e1", c.tool)
			a, resp := x.call(0) // the world applies it twice and answers once
			x.failed(a)
			x.commit(0, a, resp)
			x.finish(store.Completed)
			if got := e.lookup(c.tenant, c.tool, key).Refs; len(got) != 2 {
				t.Fatalf("the world holds %v, want a double delivery", got)
			}

			events := e.pass()
			want := []string{fmt.Sprintf("%s/e1 step 0 %s duplicate-effect: %s", c.tenant, c.tool, c.action)}
			if got := summary(events); !equal(got, want) {
				t.Fatalf("events %q, want %q", got, want)
			}
			if !strings.Contains(events[0].Detail, "committed: "+resp.Ref) {
				t.Errorf("detail %q should name the committed effect %s", events[0].Detail, resp.Ref)
			}
			if got := e.compensations(); !equal(got, c.undone) {
				t.Errorf("compensated %v, want %v", got, c.undone)
			}
			live := e.lookup(c.tenant, c.tool, key).Refs
			if len(live) != c.liveAft || live[0] != resp.Ref {
				t.Errorf("live after the pass %v, want %d starting with the committed %s", live, c.liveAft, resp.Ref)
			}
			if !e.audited(x) {
				t.Error("the execution is not marked audited")
			}
			stored, err := e.store.ReconEvents(e.ctx, c.tenant, "e1")
			if err != nil || !equal(summary(stored), want) {
				t.Errorf("stored events %v, %v", summary(stored), err)
			}
		})
	}
}

// TestDuplicateUnderPerAttemptKeys has two attempts with keys of their own
// both act: the worker keeps the committed effect, whichever it is, and
// undoes the other.
func TestDuplicateUnderPerAttemptKeys(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	x := e.exec(fakes.Acme, "e1", fakes.CreateCharge)
	a1, lost := x.callWith(0, "key:acme/e1/0/r0.a1")
	x.failed(a1)
	a2, resp := x.callWith(0, "key:acme/e1/0/r0.a2")
	x.commit(0, a2, resp)
	x.finish(store.Completed)

	events := e.pass()
	want := []string{fmt.Sprintf("acme/e1 step 0 create_charge duplicate-effect: compensated [%s] with refund_charge", lost.Ref)}
	if got := summary(events); !equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if got := e.compensations(); !equal(got, []string{"refund_charge " + lost.Ref}) {
		t.Errorf("compensated %v, want the first attempt's %s", got, lost.Ref)
	}
	if !e.lookup(fakes.Acme, fakes.CreateCharge, a2.Key).Found {
		t.Errorf("the committed charge %s was undone", resp.Ref)
	}
}

func TestOrphanedEffect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tenant string
		tool   string
		status store.Status
		action string
		undone int
	}{
		{"a charge left by a failed execution is refunded", fakes.Acme, fakes.CreateCharge, store.Failed,
			"compensated [create_charge-2] with refund_charge", 1},
		{"a charge left by a compensated execution is refunded", fakes.Acme, fakes.CreateCharge, store.Compensated,
			"compensated [create_charge-2] with refund_charge", 1},
		{"a trigger left by a failed execution is flagged", fakes.Initech, fakes.PublishReport, store.Failed,
			"flagged for review", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, nil)
			x := e.exec(c.tenant, "e1", fakes.InsertRecord, c.tool)
			x.ok(0)
			a, _ := x.call(1)
			x.failed(a)
			x.finish(c.status)

			events := e.pass()
			want := []string{fmt.Sprintf("%s/e1 step 1 %s orphaned-effect: %s", c.tenant, c.tool, c.action)}
			if got := summary(events); !equal(got, want) {
				t.Fatalf("events %q, want %q", got, want)
			}
			if !strings.Contains(events[0].Detail, c.status.String()) {
				t.Errorf("detail %q should say how the execution ended", events[0].Detail)
			}
			if got := len(e.compensations()); got != c.undone {
				t.Errorf("%d compensations, want %d", got, c.undone)
			}
			if found := e.lookup(c.tenant, c.tool, x.key(1)).Found; found != (c.undone == 0) {
				t.Errorf("the orphan is still live: %v", found)
			}
			if !e.audited(x) {
				t.Error("the execution is not marked audited")
			}
		})
	}
}

func TestLostWrite(t *testing.T) {
	t.Parallel()
	e := setup(t, quirks{"key:acme/e1/1": fakes.LostWrite})
	x := e.exec(fakes.Acme, "e1", fakes.InsertRecord, fakes.InsertRecord)
	x.lostThenOK(0)
	resp := x.ok(1) // acknowledged, and lost
	x.finish(store.Completed)

	events := e.pass()
	want := []string{"acme/e1 step 1 insert_record conflicting-state: flagged for review"}
	if got := summary(events); !equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if !strings.Contains(events[0].Detail, resp.Ref) {
		t.Errorf("detail %q should name the acknowledged %s", events[0].Detail, resp.Ref)
	}
	if got := e.compensations(); len(got) != 0 {
		t.Errorf("a lost write was compensated: %v", got)
	}
}

func TestNothingToReport(t *testing.T) {
	t.Parallel()
	t.Run("a clean recovered execution is audited and reports nothing", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		x := e.exec(fakes.Acme, "e1", fakes.InsertRecord, fakes.CreateCharge, fakes.PublishReport)
		x.lostThenOK(0)
		x.lostThenOK(1)
		x.lostThenOK(2)
		x.finish(store.Completed)
		if events := e.pass(); len(events) != 0 {
			t.Fatalf("events %q in a consistent execution", summary(events))
		}
		if !e.audited(x) {
			t.Error("the execution is not marked audited")
		}
	})
	t.Run("a dead-lettered step is left to its reviewer", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		x := e.exec(fakes.Acme, "e1", fakes.InsertRecord, fakes.CreateCharge)
		x.ok(0)
		a, _ := x.call(1) // the charge exists
		x.failed(a)
		if err := e.store.DeadLetter(e.ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 1}, Cause: "review"}); err != nil {
			t.Fatal(err)
		}
		if events := e.pass(); len(events) != 0 {
			t.Fatalf("events %q for a dead-lettered step", summary(events))
		}
		if got := e.compensations(); len(got) != 0 {
			t.Errorf("the worker undid a dead-lettered step's effect: %v", got)
		}
		if !e.lookup(fakes.Acme, fakes.CreateCharge, x.key(1)).Found {
			t.Error("the charge under review is gone")
		}
		if !e.audited(x) {
			t.Error("the execution is not marked audited")
		}
	})
	t.Run("tools beyond the worker's sight are skipped", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		x := e.exec(fakes.Globex, "e1", fakes.SendEmail, fakes.PublishReport)
		x.lostThenOK(0)
		a, _ := x.call(1) // globex's paid webhook answers no lookups
		x.failed(a)
		x.finish(store.Failed)
		if events := e.pass(); len(events) != 0 {
			t.Fatalf("events %q for tools that answer no lookups", summary(events))
		}
		if !e.audited(x) {
			t.Error("the execution is not marked audited")
		}
	})
	t.Run("an execution that never failed is not looked at", func(t *testing.T) {
		t.Parallel()
		e := setup(t, quirks{"key:acme/e1/0": fakes.DoubleDelivery})
		x := e.exec(fakes.Acme, "e1", fakes.CreateCharge)
		x.ok(0)
		x.finish(store.Completed)
		if events := e.pass(); len(events) != 0 {
			t.Fatalf("events %q for an execution that never recovered", summary(events))
		}
		if e.audited(x) {
			t.Error("an execution that never failed was audited")
		}
	})
	t.Run("a running execution waits", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		x := e.exec(fakes.Acme, "e1", fakes.CreateCharge)
		a, _ := x.call(0)
		x.failed(a)
		if events := e.pass(); len(events) != 0 {
			t.Fatalf("events %q for an execution still running", summary(events))
		}
		if e.audited(x) {
			t.Error("a running execution was audited")
		}
	})
}

func TestPassAuditsEveryExecutionAcrossBatches(t *testing.T) {
	t.Parallel()
	q := quirks{}
	for i := 1; i <= 5; i++ {
		q[fmt.Sprintf("key:acme/e%d/0", i)] = fakes.DoubleDelivery
	}
	e := setup(t, q) // batches of 2
	var xs []*exec
	for i := 1; i <= 5; i++ {
		x := e.exec(fakes.Acme, fmt.Sprintf("e%d", i), fakes.InsertRecord)
		a, resp := x.call(0)
		x.failed(a)
		x.commit(0, a, resp)
		x.finish(store.Completed)
		xs = append(xs, x)
	}
	events := e.pass()
	if len(events) != 5 {
		t.Fatalf("%d events over 5 executions in batches of 2: %q", len(events), summary(events))
	}
	for _, x := range xs {
		if !e.audited(x) {
			t.Errorf("%s is not audited", x.x.Ref())
		}
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	if len(e.rec.events) != 5 {
		t.Fatalf("the observer saw %d events, want 5", len(e.rec.events))
	}
	for _, ev := range e.rec.events {
		if ev.Kind != engine.EvRecon || ev.Detail != string(store.DuplicateEffect) || !strings.HasPrefix(ev.Ref, "compensated") {
			t.Errorf("observed %s", ev)
		}
	}
}

// failingTools answers every lookup with an error.
type failingTools struct{ *fakes.World }

var errLookup = errors.New("lookup endpoint down")

func (failingTools) Lookup(context.Context, engine.LookupRequest) (engine.LookupResult, error) {
	return engine.LookupResult{}, errLookup
}

func TestPassLeavesAnExecutionItCouldNotAudit(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	x := e.exec(fakes.Acme, "e1", fakes.CreateCharge)
	x.lostThenOK(0)
	x.finish(store.Completed)
	w, err := reconcile.New(e.store, fakes.Registry(), failingTools{e.world}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Pass(e.ctx); !errors.Is(err, errLookup) {
		t.Fatalf("Pass: %v, want the lookup's error", err)
	}
	if e.audited(x) {
		t.Fatal("an execution whose audit failed is marked audited")
	}
	if events := e.pass(); len(events) != 0 {
		t.Errorf("a consistent execution, audited again, reports %q", summary(events))
	}
	if !e.audited(x) {
		t.Error("the second worker did not audit it")
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	if _, err := reconcile.New(nil, fakes.Registry(), fakes.NewWorld(nil), nil); err == nil {
		t.Error("New without a store")
	}
	if _, err := reconcile.New(memstore.New(), nil, fakes.NewWorld(nil), nil); err == nil {
		t.Error("New without a registry")
	}
	if _, err := reconcile.New(memstore.New(), fakes.Registry(), nil, nil); err == nil {
		t.Error("New without tools")
	}
}
