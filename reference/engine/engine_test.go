package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

func TestWorkflowCompletes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	x := workflow(fakes.Acme, "e1", fakes.Plan, fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord, fakes.CreateCharge, fakes.PublishReport)
	if got := e.run(e.engine(policy.Reference(), nil, nil), x); got != store.Completed {
		t.Fatalf("status %s, want completed", got)
	}
	n := len(x.Steps)
	if got := e.rec.invokes(n); !slices.Equal(got, []int{1, 1, 1, 1, 1, 1}) {
		t.Errorf("invocations per step %v, want one each", got)
	}
	for step := range n {
		if c := e.rec.of(engine.EvCommit, step); len(c) != 1 || c[0].Version != step+1 {
			t.Errorf("step %d: commits %v, want one, of version %d", step, c, step+1)
		}
	}
	if f := e.rec.of(engine.EvFailure); len(f) != 0 {
		t.Errorf("failures in a world without faults: %v", f)
	}
	snap := e.load(x)
	if snap.Execution.Status != store.Completed || snap.Execution.Recovered || len(snap.Commits) != n || snap.Context.Version != n {
		t.Fatalf("stored %s recovered=%v with %d commits at version %d", snap.Execution.Status, snap.Execution.Recovered, len(snap.Commits), snap.Context.Version)
	}
	for step := range n {
		for _, k := range x.Steps[step].Writes {
			v, ok := snap.Context.Values[k]
			if !ok || v.Writer != (store.Writer{Step: step, Attempt: 1}) || fakes.DataTenant(v.Data) != fakes.Acme {
				t.Errorf("context %s = %+v, want acme's data written by step %d attempt 1", k, v, step)
			}
		}
	}
	assertVersionsUntouched(t, snap)
	for _, step := range []int{3, 4, 5} {
		if got := e.applied(x, step); len(got) != 1 || got[0].Ref != snap.Commits[step].Result.Ref {
			t.Errorf("step %d (%s): effects %v, want one, the committed %s", step, x.Steps[step].Tool, got, snap.Commits[step].Result.Ref)
		}
	}
	if fin := e.rec.of(engine.EvFinish); len(fin) != 1 || fin[0].Status != store.Completed {
		t.Errorf("finish events %v", fin)
	}
}

func TestInvalidPlanFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	x := workflow(fakes.Acme, "e1", fakes.Plan, fakes.InsertRecord)
	x.Input["request"] += " ambiguous"
	if got := e.run(e.engine(policy.Reference(), nil, nil), x); got != store.Failed {
		t.Fatalf("status %s, want failed", got)
	}
	if got := e.rec.invokes(2); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("invocations per step %v: a deterministic orchestrator failure is not retried", got)
	}
	if cause := e.load(x).Execution.Cause; !strings.Contains(cause, "invalid plan") || !strings.Contains(cause, "clarify_intent") {
		t.Errorf("cause %q should surface the invalid plan", cause)
	}
}

// TestRetryReadsTheContext fails step 1's first attempt after it wrote one
// of its two keys, and looks at what the retry read.
func TestRetryReadsTheContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mode     policy.ContextMode
		poisoned bool
	}{
		{"versioned: the last committed version", policy.Versioned, false},
		{"shared: the failed attempt's partial write", policy.Shared, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.VectorSearch, fakes.VectorSearch)
			faults := &faultAt{when: at(engine.ContextWrite, 1, 1), err: errContextStore}
			p := reference(func(a *policy.Architecture) { a.Context = c.mode })
			if got := e.run(e.engine(p, nil, faults), x); got != store.Completed {
				t.Fatalf("status %s, want completed", got)
			}
			if faults.fired != 1 {
				t.Fatalf("the fault fired %d times", faults.fired)
			}
			fail := e.rec.of(engine.EvFailure, 1)
			if len(fail) != 1 || fail[0].Outcome.Context != outcome.ContextPartial {
				t.Fatalf("step 1 failures %v, want one that left the context partial", fail)
			}
			reads := e.rec.of(engine.EvRead, 1)
			if len(reads) != 2 {
				t.Fatalf("step 1 read %d times, want 2", len(reads))
			}
			retry := reads[1]
			if retry.Attempt != 2 || retry.Version != 1 {
				t.Errorf("the retry is attempt %d reading version %d, want attempt 2 reading version 1", retry.Attempt, retry.Version)
			}
			var keys []string
			poisoned := false
			for _, r := range retry.Reads {
				keys = append(keys, r.Key)
				if r.Writer == (store.Writer{Step: 1, Attempt: 1}) {
					poisoned = true
				}
			}
			if poisoned != c.poisoned {
				t.Errorf("the retry read %v; reads the failed attempt's write: %v, want %v", keys, poisoned, c.poisoned)
			}
			want := []string{"goal", "request", "s0.meta", "s0.out"}
			if c.poisoned {
				want = []string{"goal", "request", "s0.meta", "s0.out", "s1.out"}
			}
			if !slices.Equal(keys, want) {
				t.Errorf("the retry read %v, want %v", keys, want)
			}
			snap := e.load(x)
			if v := snap.Context.Values["s1.out"]; v.Writer != (store.Writer{Step: 1, Attempt: 2}) {
				t.Errorf("the committed s1.out was written by %+v, want attempt 2", v.Writer)
			}
			assertVersionsUntouched(t, snap)
		})
	}
}

// TestCrashAndRecovery crashes an engine at one site, builds a new engine
// on the same store, recovers and runs to the end.
func TestCrashAndRecovery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		when      func(engine.Site) bool
		committed int // steps committed when the engine crashed
		// inFlight is set when an attempt had begun and not ended: the
		// rebuilt engine types it as a crashed, uncertain outcome.
		inFlight bool
		// lookup is set when that outcome is reconciled by key.
		lookup bool
	}{
		{"before the first begin", at(engine.BeforeBegin, 0, 0), 0, false, false},
		{"after a begin, before the call", at(engine.AfterBegin, 1, 0), 1, true, false},
		{"after a stream completed", at(engine.AfterInvoke, 1, 0), 1, true, false},
		{"after a keyed write acted", at(engine.AfterInvoke, 2, 0), 2, true, true},
		{"inside a context write", at(engine.ContextWrite, 2, 1), 2, true, true},
		{"before a charge's commit", at(engine.BeforeCommit, 3, 0), 3, true, true},
		{"after the third commit", nthAfterCommit(3), 3, false, false},
		{"after the last commit", nthAfterCommit(4), 4, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord, fakes.CreateCharge)
			first := e.engine(policy.Reference(), nil, &faultAt{when: c.when, err: engine.ErrCrash})
			if err := first.Start(e.ctx, x); err != nil {
				t.Fatal(err)
			}
			if _, err := first.Run(e.ctx, x.Tenant, x.Exec); !errors.Is(err, engine.ErrCrash) {
				t.Fatalf("Run: %v, want ErrCrash", err)
			}
			if _, err := first.Advance(e.ctx, x.Tenant, x.Exec); !errors.Is(err, engine.ErrCrash) {
				t.Errorf("a crashed engine advanced: %v", err)
			}
			if err := first.Start(e.ctx, workflow(fakes.Acme, "e2", fakes.VectorSearch)); !errors.Is(err, engine.ErrCrash) {
				t.Errorf("a crashed engine started an execution: %v", err)
			}
			if got := len(e.load(x).Commits); got != c.committed {
				t.Fatalf("%d steps committed at the crash, want %d", got, c.committed)
			}
			before := e.rec.invokes(len(x.Steps))
			failuresBefore := len(e.rec.of(engine.EvFailure))

			second := e.engine(policy.Reference(), nil, nil)
			refs, err := second.Recover(e.ctx)
			active := []store.Ref{x.Ref()}
			if c.committed == len(x.Steps) {
				active = nil // the last step's commit completed the execution
			}
			if err != nil || !slices.Equal(refs, active) {
				t.Fatalf("Recover = %v, %v; want %v", refs, err, active)
			}
			status, err := second.Run(e.ctx, x.Tenant, x.Exec)
			if err != nil || status != store.Completed {
				t.Fatalf("Run after recovery = %s, %v; want completed", status, err)
			}
			failures := e.rec.of(engine.EvFailure)[failuresBefore:]
			if crashed := len(failures) > 0 && failures[0].Outcome.Crashed && failures[0].Step == c.committed; crashed != c.inFlight {
				t.Errorf("failures after the rebuild %v; the in-flight attempt typed as crashed: %v, want %v", failures, crashed, c.inFlight)
			}
			if lookups := e.rec.of(engine.EvLookup, c.committed); (len(lookups) == 1 && lookups[0].Found) != c.lookup {
				t.Errorf("lookups of step %d: %v; want one that found the operation: %v", c.committed, lookups, c.lookup)
			}
			after := e.rec.invokes(len(x.Steps))
			for step := range c.committed {
				if after[step] != 1 {
					t.Errorf("committed step %d was invoked %d times (before the crash %v, in all %v)", step, after[step], before, after)
				}
			}
			snap := e.load(x)
			if snap.Execution.Status != store.Completed || len(snap.Commits) != len(x.Steps) {
				t.Fatalf("stored %s with %d commits", snap.Execution.Status, len(snap.Commits))
			}
			for _, step := range []int{2, 3} {
				if got := e.applied(x, step); len(got) != 1 || got[0].Ref != snap.Commits[step].Result.Ref {
					t.Errorf("step %d (%s): effects %v, want one, the committed %s", step, x.Steps[step].Tool, got, snap.Commits[step].Result.Ref)
				}
			}
		})
	}
}

func TestLostResponseIsReconciledByKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		acted   bool
		found   bool
		invokes []int
	}{
		{"the tool acted: commit what the lookup found", true, true, []int{1, 1}},
		{"the tool did not act: the lookup finds nothing and the call is retried", false, false, []int{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.InsertRecord, fakes.CreateCharge)
			tools := &lossy{World: e.world, tool: fakes.CreateCharge, acted: c.acted}
			if got := e.run(e.engine(policy.Reference(), tools, nil), x); got != store.Completed {
				t.Fatalf("status %s, want completed", got)
			}
			decisions := e.rec.of(engine.EvDecision, 1)
			if len(decisions) == 0 || decisions[0].Decision.Action != policy.Reconcile {
				t.Fatalf("decisions on the charge %v, want reconcile first", decisions)
			}
			lookups := e.rec.of(engine.EvLookup, 1)
			if len(lookups) != 1 || lookups[0].Found != c.found || lookups[0].Key == "" {
				t.Fatalf("lookups %v, want one by key that found=%v", lookups, c.found)
			}
			if got := e.rec.invokes(2); !slices.Equal(got, c.invokes) {
				t.Errorf("invocations per step %v, want %v", got, c.invokes)
			}
			charges := e.applied(x, 1)
			ref := e.load(x).Commits[1].Result.Ref
			if len(charges) != 1 || charges[0].Ref != ref {
				t.Fatalf("charges %v, want exactly one, the committed %s", charges, ref)
			}
			if c.found && lookups[0].Ref != ref {
				t.Errorf("the lookup found %s and the commit holds %s", lookups[0].Ref, ref)
			}
			for _, inv := range e.rec.of(engine.EvInvoke, 1) {
				if inv.Key != lookups[0].Key {
					t.Errorf("attempt %d carried key %q, the lookup %q: per-operation keys are stable", inv.Attempt, inv.Key, lookups[0].Key)
				}
			}
		})
	}
}

// TestWriteFailureCommitsTheResponseInHand fails the context write after a
// keyed write acted: the engine still holds the response, so reconciling
// commits it without a lookup and without a second call.
func TestWriteFailureCommitsTheResponseInHand(t *testing.T) {
	t.Parallel()
	e := setup(t)
	x := workflow(fakes.Acme, "e1", fakes.InsertRecord)
	faults := &faultAt{when: at(engine.ContextWrite, 0, 1), err: errContextStore}
	if got := e.run(e.engine(policy.Reference(), nil, faults), x); got != store.Completed {
		t.Fatalf("status %s, want completed", got)
	}
	fail := e.rec.of(engine.EvFailure)
	if len(fail) != 1 || !fail[0].Outcome.InHand || fail[0].Outcome.Phase != outcome.PhasePost {
		t.Fatalf("failures %v, want one post-execution failure with the response in hand", fail)
	}
	if d := e.rec.of(engine.EvDecision); len(d) != 1 || d[0].Decision.Action != policy.Reconcile {
		t.Fatalf("decisions %v, want reconcile", d)
	}
	if l := e.rec.of(engine.EvLookup); len(l) != 0 {
		t.Errorf("lookups %v: the response was in hand", l)
	}
	if got := e.rec.invokes(1); got[0] != 1 {
		t.Errorf("%d calls, want 1", got[0])
	}
	snap := e.load(x)
	records := e.applied(x, 0)
	if len(records) != 1 || snap.Commits[0].Result.Ref != records[0].Ref || snap.Commits[0].Attempt != 2 {
		t.Errorf("records %v, commit %+v: want one record, committed by the reconcile attempt 2", records, snap.Commits[0])
	}
}

// TestStreamCutRetriesUnderTheSameToken cuts a model call's stream after two
// chunks reached the downstream consumer: the retry streams under the same
// dedup token, and the consumer receives each chunk once.
func TestStreamCutRetriesUnderTheSameToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.LLMComplete)
	if got := e.run(e.engine(policy.Reference(), &cutStream{World: e.world}, nil), x); got != store.Completed {
		t.Fatalf("status %s, want completed", got)
	}
	fail := e.rec.of(engine.EvFailure, 1)
	if len(fail) != 1 || fail[0].Outcome.LLM != outcome.MidInference || !fail[0].Outcome.SignalsSent {
		t.Fatalf("failures %v, want one mid-inference failure after chunks went out", fail)
	}
	calls := e.rec.of(engine.EvInvoke, 1)
	if len(calls) != 2 || calls[0].Token == "" || calls[1].Token != calls[0].Token {
		t.Fatalf("calls %v, want a retry under the first call's token", calls)
	}
	per := map[int]int{}
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == fakes.Chunk {
			per[ef.Op.Sub]++
		}
	}
	if len(per) < 3 {
		t.Fatalf("chunks delivered %v, want the whole generation", per)
	}
	for i, n := range per {
		if n != 1 {
			t.Errorf("chunk %d reached the consumer %d times", i, n)
		}
	}
}

func TestStartRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		x      store.Execution
		unregd bool
	}{
		{"an unregistered tool", workflow(fakes.Acme, "e1", fakes.VectorSearch, "teleport"), true},
		{"a compensator's unknown twin", workflow(fakes.Acme, "e1", "refund_everything"), true},
		{"a workflow without steps", store.Execution{Tenant: fakes.Acme, Exec: "e1"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			err := e.engine(policy.Reference(), nil, nil).Start(e.ctx, c.x)
			if err == nil || errors.Is(err, registry.ErrUnregistered) != c.unregd {
				t.Fatalf("Start: %v (unregistered: want %v)", err, c.unregd)
			}
			if !strings.Contains(err.Error(), "acme/e1") {
				t.Errorf("error %q should name the execution", err)
			}
			if _, err := e.store.Load(e.ctx, fakes.Acme, "e1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused execution is stored: %v", err)
			}
			if ev := e.rec.of(engine.EvStart); len(ev) != 0 {
				t.Errorf("a refused execution started: %v", ev)
			}
		})
	}
}

func TestKeyRequiredContract(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		keys   policy.KeyMode
		status store.Status
		calls  int
	}{
		{"per-operation keys satisfy it", policy.PerOperation, store.Completed, 1},
		{"no keys fail the execution before the call", policy.NoKeys, store.Failed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Initech, "e1", fakes.VectorSearch, fakes.PublishReport)
			p := reference(func(a *policy.Architecture) { a.Keys = c.keys })
			if got := e.run(e.engine(p, nil, nil), x); got != c.status {
				t.Fatalf("status %s, want %s", got, c.status)
			}
			if got := e.rec.invokes(2)[1]; got != c.calls {
				t.Errorf("publish_report called %d times, want %d", got, c.calls)
			}
			if got := len(e.applied(x, 1)); got != c.calls {
				t.Errorf("%d published reports, want %d", got, c.calls)
			}
			if c.status != store.Failed {
				return
			}
			const says = "tenant initech requires an idempotency key for publish_report and the policy sends none"
			if cause := e.load(x).Execution.Cause; cause != says {
				t.Errorf("cause %q, want %q", cause, says)
			}
			if fin := e.rec.of(engine.EvFinish); len(fin) != 1 || fin[0].Detail != says || fin[0].Step != 1 {
				t.Errorf("finish events %v, want one at step 1 with the cause", fin)
			}
		})
	}
}

func TestResumeMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mode     policy.ResumeMode
		invokes  []int
		restarts int
	}{
		{"checkpoint resumes at the failed step", policy.Checkpoint, []int{1, 2, 1}, 0},
		{"restart re-runs step 0", policy.Restart, []int{2, 2, 1}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.VectorSearch, fakes.VectorSearch)
			faults := &faultAt{when: at(engine.ContextWrite, 1, 1), err: errContextStore}
			p := reference(func(a *policy.Architecture) { a.Resume = c.mode })
			if got := e.run(e.engine(p, nil, faults), x); got != store.Completed {
				t.Fatalf("status %s, want completed", got)
			}
			if got := e.rec.invokes(3); !slices.Equal(got, c.invokes) {
				t.Errorf("invocations per step %v, want %v", got, c.invokes)
			}
			restarts := e.rec.of(engine.EvRestart)
			if len(restarts) != c.restarts {
				t.Fatalf("restarts %v, want %d", restarts, c.restarts)
			}
			snap := e.load(x)
			if snap.Execution.Run != c.restarts || len(snap.Commits) != 3 {
				t.Fatalf("stored run %d with %d commits", snap.Execution.Run, len(snap.Commits))
			}
			for _, cm := range snap.Commits {
				if cm.Run != c.restarts {
					t.Errorf("commit of step %d belongs to run %d, want %d", cm.Step, cm.Run, c.restarts)
				}
			}
			if c.restarts > 0 {
				step0 := e.rec.of(engine.EvInvoke, 0)
				if step0[1].Run != 1 {
					t.Errorf("step 0's second call ran in run %d, want 1", step0[1].Run)
				}
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := engine.New(nil, e.reg, policy.Reference(), e.world, nil); err == nil {
		t.Error("New without a store")
	}
	bad := reference(func(a *policy.Architecture) { a.Backoff.Multiplier = 0 })
	_, err := engine.New(e.store, e.reg, bad, e.world, nil)
	if err == nil || !strings.Contains(err.Error(), `policy "reference"`) || !strings.Contains(err.Error(), "multiplier") {
		t.Errorf("New with an invalid architecture: %v", err)
	}
}
