package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Exercise runs the conformance suite against the stores newStore returns.
func Exercise(ctx context.Context, t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(ctx, t, newStore(t))
		})
	}
}

var cases = []struct {
	name string
	run  func(ctx context.Context, t *testing.T, s store.Store)
}{
	{"CreateAndLoad", testCreateAndLoad},
	{"TenantIsolation", testTenantIsolation},
	{"BeginEndMarksRecovered", testBeginEnd},
	{"CommitIsAtomicAndOnce", testCommit},
	{"TheLastCommitCompletesInTheSameWrite", testCompletingCommit},
	{"RacingCompletingCommitsOneLands", testRacingCompletingCommits},
	{"RestartBeginsAFreshRun", testRestart},
	{"FinishAndActive", testFinish},
	{"DeadLetterQueue", testDeadLetter},
	{"DeadLetterClaimsAreExclusive", testDeadLetterExclusive},
	{"AuditClaimsRecoveredTerminal", testAudit},
	{"AuditClaimsAreExclusive", testAuditExclusive},
	{"SnapshotsAreCopies", testSnapshotCopies},
	{"ActiveSpansTenantsInCreationOrder", testActiveAcrossTenants},
	{"CancelledClaimsLeaveWorkQueued", testCancelledClaims},
	{"EveryWriteRefusesAnotherTenantsExecution", testTenantWrites},
	{"EveryRecordNeedsItsExecutionAndATenant", testOrphans},
	{"SharedScratchpadOutlivesRunsAndKeepsTheLastWrite", testShared},
	{"DeadLettersReadAloneAsInASnapshot", testDeadLetterReader},
}

// deadLetterReader is what a store that reads an execution's dead letters
// without the rest of its snapshot has (harness.DeadLetterReader).
type deadLetterReader interface {
	DeadLetters(ctx context.Context, tenant, id string) ([]store.DeadLetter, error)
}

// testDeadLetterReader holds a store's DeadLetters, where it has one, to
// what its snapshots say: the same dead letters, resolved ones included, of
// the tenant's own executions only.
func testDeadLetterReader(ctx context.Context, t *testing.T, s store.Store) {
	r, ok := s.(deadLetterReader)
	if !ok {
		t.Skip("the store reads dead letters through snapshots only")
	}
	create(ctx, t, s, "acme", "e1")
	create(ctx, t, s, "acme", "e2")
	dead, err := r.DeadLetters(ctx, "acme", "e2")
	must(t, err)
	if len(dead) != 0 {
		t.Fatalf("dead letters of an execution without any: %+v", dead)
	}
	must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 0, Step: 1}, Cause: "may have been sent", At: t0}))
	_, err = s.ClaimDeadLetters(ctx, 10, func(store.DeadLetter) error { return nil })
	must(t, err)
	dead, err = r.DeadLetters(ctx, "acme", "e1")
	must(t, err)
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if len(dead) != 1 || fmt.Sprint(dead) != fmt.Sprint(snap.DeadLetters) {
		t.Fatalf("DeadLetters = %+v, the snapshot holds %+v", dead, snap.DeadLetters)
	}
	for _, ref := range []store.Ref{{Tenant: "acme", Exec: "nope"}, {Tenant: "globex", Exec: "e1"}, {Tenant: "", Exec: "e1"}} {
		_, err := r.DeadLetters(ctx, ref.Tenant, ref.Exec)
		wantErr(t, err, store.ErrNotFound)
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newExec(tenant, id string) store.Execution {
	return store.Execution{
		Tenant: tenant, Exec: id, Workflow: "wf",
		Steps:   []store.Step{{Tool: "insert_record", Writes: []string{"a", "b"}}, {Tool: "send_email", Writes: []string{"c"}}},
		Input:   map[string]string{"request": tenant + ":hello"},
		Created: t0,
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func create(ctx context.Context, t *testing.T, s store.Store, tenant, id string) {
	t.Helper()
	must(t, s.Create(ctx, newExec(tenant, id)))
}

func commit(tenant, id string, run, step int, version int, values map[string]store.Value) store.Commit {
	return store.Commit{
		AttemptID: store.AttemptID{Tenant: tenant, Exec: id, Run: run, Step: step, Attempt: 1},
		Result:    store.Result{Data: fmt.Sprintf("%s:result-%d", tenant, step), Ref: fmt.Sprintf("ref-%d", step)},
		Context:   store.Context{Version: version, Values: values},
		At:        t0,
	}
}

// completing is the commit of acme's execution id's last step, step, in
// run: a commit marked Complete.
func completing(id string, run, step int) store.Commit {
	c := commit("acme", id, run, step, step+1, map[string]store.Value{"a": {Data: "acme:a", Writer: store.Writer{Run: run, Step: step, Attempt: 1}}})
	c.Complete = true
	return c
}

func testCreateAndLoad(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	wantErr(t, s.Create(ctx, newExec("acme", "e1")), store.ErrExists)
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	e := snap.Execution
	if e.Status != store.Running || e.Run != 0 || e.Recovered || e.Audited || e.Workflow != "wf" || len(e.Steps) != 2 || e.Steps[0].Writes[1] != "b" {
		t.Fatalf("loaded execution %+v does not match what was created", e)
	}
	if snap.Context.Version != 0 || snap.Context.Values["request"] != (store.Value{Data: "acme:hello", Writer: store.InputWriter}) {
		t.Fatalf("context version 0 should be the input, got %+v", snap.Context)
	}
	_, err = s.Load(ctx, "acme", "missing")
	wantErr(t, err, store.ErrNotFound)
}

func testTenantIsolation(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "shared-id")
	create(ctx, t, s, "globex", "shared-id")
	a, err := s.Load(ctx, "acme", "shared-id")
	must(t, err)
	g, err := s.Load(ctx, "globex", "shared-id")
	must(t, err)
	if a.Context.Values["request"].Data != "acme:hello" || g.Context.Values["request"].Data != "globex:hello" {
		t.Fatalf("same id in two tenants must be two executions: %+v %+v", a.Context, g.Context)
	}
	create(ctx, t, s, "acme", "only-acme")
	_, err = s.Load(ctx, "initech", "only-acme")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.Begin(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: "initech", Exec: "only-acme", Attempt: 1}}), store.ErrNotFound)
	wantErr(t, s.Commit(ctx, commit("initech", "only-acme", 0, 0, 1, nil)), store.ErrNotFound)
	wantErr(t, s.Finish(ctx, "initech", "only-acme", store.Failed, "x"), store.ErrNotFound)
	_, err = s.ReconEvents(ctx, "initech", "only-acme")
	wantErr(t, err, store.ErrNotFound)
	// A tenant name that looks like SQL is data, not text of a query.
	evil := "x'); DROP TABLE executions; --"
	create(ctx, t, s, evil, "e1")
	snap, err := s.Load(ctx, evil, "e1")
	must(t, err)
	if snap.Execution.Tenant != evil {
		t.Fatalf("tenant round trip: got %q", snap.Execution.Tenant)
	}
}

func testBeginEnd(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 0, Attempt: 1}, Key: "k1", Token: "tok", Begun: t0}
	must(t, s.Begin(ctx, a))
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if len(snap.Attempts) != 1 || snap.Attempts[0].Ended || snap.Attempts[0].Key != "k1" || snap.Execution.Recovered {
		t.Fatalf("after begin: %+v", snap)
	}
	a.Outcome = outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Timeout, Layer: outcome.Agent, Effects: outcome.PossibleEffects, Cause: "timed out"}
	must(t, s.End(ctx, a))
	snap, err = s.Load(ctx, "acme", "e1")
	must(t, err)
	got := snap.Attempts[0]
	if !got.Ended || got.Outcome != a.Outcome || !snap.Execution.Recovered {
		t.Fatalf("after end: attempt %+v recovered=%v", got, snap.Execution.Recovered)
	}
	wantErr(t, s.End(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 1, Attempt: 1}}), store.ErrNotFound)
}

func testCommit(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	vals := map[string]store.Value{
		"request": {Data: "acme:hello", Writer: store.InputWriter},
		"a":       {Data: "acme:a", Writer: store.Writer{Step: 0, Attempt: 1}},
	}
	must(t, s.Commit(ctx, commit("acme", "e1", 0, 0, 1, vals)))
	wantErr(t, s.Commit(ctx, commit("acme", "e1", 0, 0, 2, vals)), store.ErrCommitted)
	wantErr(t, s.Commit(ctx, commit("acme", "e1", 1, 1, 2, vals)), store.ErrStaleRun)
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if len(snap.Commits) != 1 || snap.Commits[0].Result.Ref != "ref-0" || snap.Context.Version != 1 || snap.Context.Values["a"].Writer.Attempt != 1 {
		t.Fatalf("after commit: %+v", snap)
	}
	must(t, s.Finish(ctx, "acme", "e1", store.Completed, ""))
	wantErr(t, s.Commit(ctx, commit("acme", "e1", 0, 1, 2, vals)), store.ErrTerminal)
	wantErr(t, s.Begin(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 1, Attempt: 1}}), store.ErrTerminal)
}

// testCompletingCommit holds a commit marked Complete to both or neither:
// one that lands ends its execution completed (and, if the execution was
// recovered, queues it for audit, as Finish does); one that is refused
// leaves the execution running.
func testCompletingCommit(ctx context.Context, t *testing.T, s store.Store) {
	status := func(id string) store.Status {
		t.Helper()
		snap, err := s.Load(ctx, "acme", id)
		must(t, err)
		return snap.Execution.Status
	}

	create(ctx, t, s, "acme", "stale")
	wantErr(t, s.Commit(ctx, completing("stale", 1, 0)), store.ErrStaleRun)
	if got := status("stale"); got != store.Running {
		t.Fatalf("a refused completing commit left the execution %s, want running", got)
	}

	create(ctx, t, s, "acme", "twice")
	must(t, s.Commit(ctx, commit("acme", "twice", 0, 0, 1, nil)))
	wantErr(t, s.Commit(ctx, completing("twice", 0, 0)), store.ErrCommitted)
	if got := status("twice"); got != store.Running {
		t.Fatalf("a completing commit of a committed step left the execution %s, want running", got)
	}

	recovered(ctx, t, s, "acme", "done", store.Running)
	must(t, s.Commit(ctx, completing("done", 0, 0)))
	snap, err := s.Load(ctx, "acme", "done")
	must(t, err)
	if snap.Execution.Status != store.Completed || snap.Execution.Cause != "" || len(snap.Commits) != 1 || snap.Context.Values["a"].Data != "acme:a" {
		t.Fatalf("after the completing commit: %+v", snap)
	}
	wantErr(t, s.Commit(ctx, completing("done", 0, 0)), store.ErrTerminal)
	wantErr(t, s.Finish(ctx, "acme", "done", store.Completed, ""), store.ErrTerminal)
	refs, err := s.Active(ctx)
	must(t, err)
	if len(refs) != 2 || refs[0].Exec != "stale" || refs[1].Exec != "twice" {
		t.Fatalf("active after the completing commit: %v", refs)
	}
	var audited []string
	_, err = s.Audit(ctx, 10, func(snap store.Snapshot) ([]store.ReconEvent, error) {
		audited = append(audited, snap.Execution.Exec)
		return nil, nil
	})
	must(t, err)
	if len(audited) != 1 || audited[0] != "done" {
		t.Fatalf("audit after a recovered execution's completing commit handed out %v, want [done]", audited)
	}
}

// testRacingCompletingCommits sends the same completing commit twice at
// once, as two engines that both ran an execution's last step would: one
// lands, the other is refused as committed or finished, never as a store
// failure (which an engine would count as a failed attempt of a step that
// committed).
func testRacingCompletingCommits(ctx context.Context, t *testing.T, s store.Store) {
	for i := range 40 {
		id := fmt.Sprintf("race-%d", i)
		create(ctx, t, s, "acme", id)
		c := completing(id, 0, 0)
		var errs [2]error
		var wg sync.WaitGroup
		for k := range errs {
			wg.Go(func() { errs[k] = s.Commit(ctx, c) })
		}
		wg.Wait()
		landed := 0
		for _, err := range errs {
			switch {
			case err == nil:
				landed++
			case errors.Is(err, store.ErrCommitted), errors.Is(err, store.ErrTerminal):
			default:
				t.Fatalf("%s: a racing completing commit failed: %v", id, err)
			}
		}
		snap, err := s.Load(ctx, "acme", id)
		must(t, err)
		if landed != 1 || snap.Execution.Status != store.Completed || len(snap.Commits) != 1 {
			t.Fatalf("%s: %d of two racing completing commits landed, execution %s with %d commits", id, landed, snap.Execution.Status, len(snap.Commits))
		}
	}
}

func testRestart(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	must(t, s.Begin(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Attempt: 1}}))
	must(t, s.Commit(ctx, commit("acme", "e1", 0, 0, 1, map[string]store.Value{"a": {Data: "acme:a"}})))
	wantErr(t, s.Restart(ctx, "acme", "e1", 2), store.ErrStaleRun)
	must(t, s.Restart(ctx, "acme", "e1", 1))
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if snap.Execution.Run != 1 || len(snap.Commits) != 0 || snap.Context.Version != 0 || len(snap.Attempts) != 1 {
		t.Fatalf("after restart: %+v", snap)
	}
	wantErr(t, s.Begin(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 0, Attempt: 2}}), store.ErrStaleRun)
	must(t, s.Commit(ctx, commit("acme", "e1", 1, 0, 1, nil)))
}

func testFinish(ctx context.Context, t *testing.T, s store.Store) {
	for _, id := range []string{"e1", "e2", "e3"} {
		create(ctx, t, s, "acme", id)
	}
	if err := s.Finish(ctx, "acme", "e2", store.Running, ""); err == nil {
		t.Fatal("finishing with a non-terminal status must be refused")
	}
	must(t, s.Finish(ctx, "acme", "e2", store.Failed, "invalid plan"))
	wantErr(t, s.Finish(ctx, "acme", "e2", store.Completed, ""), store.ErrTerminal)
	refs, err := s.Active(ctx)
	must(t, err)
	if len(refs) != 2 || refs[0].Exec != "e1" || refs[1].Exec != "e3" {
		t.Fatalf("active: %v", refs)
	}
	snap, err := s.Load(ctx, "acme", "e2")
	must(t, err)
	if snap.Execution.Status != store.Failed || snap.Execution.Cause != "invalid plan" {
		t.Fatalf("finished execution: %+v", snap.Execution)
	}
}

func testDeadLetter(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	create(ctx, t, s, "globex", "e2")
	must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 1}, Cause: "send_email may have been sent", At: t0}))
	must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "globex", Exec: "e2", Step: 0}, Cause: "never retry", At: t0}))
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if snap.Execution.Status != store.DeadLettered || len(snap.DeadLetters) != 1 || snap.DeadLetters[0].Step != 1 {
		t.Fatalf("dead-lettered execution: %+v", snap)
	}
	wantErr(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 1}}), store.ErrTerminal)

	fail := errors.New("reviewer busy")
	n, err := s.ClaimDeadLetters(ctx, 10, func(d store.DeadLetter) error {
		if d.Tenant == "globex" {
			return fail
		}
		return nil
	})
	if n != 1 || !errors.Is(err, fail) {
		t.Fatalf("claim with one failure: resolved %d, err %v", n, err)
	}
	var seen []string
	n, err = s.ClaimDeadLetters(ctx, 10, func(d store.DeadLetter) error { seen = append(seen, d.Tenant); return nil })
	must(t, err)
	if n != 1 || len(seen) != 1 || seen[0] != "globex" {
		t.Fatalf("an unresolved dead letter must be claimable again: %d %v", n, seen)
	}
	n, err = s.ClaimDeadLetters(ctx, 10, func(store.DeadLetter) error { return nil })
	if n != 0 || err != nil {
		t.Fatalf("queue should be empty: %d %v", n, err)
	}
}

func testDeadLetterExclusive(ctx context.Context, t *testing.T, s store.Store) {
	const total = 40
	for i := range total {
		id := fmt.Sprintf("e%d", i)
		create(ctx, t, s, "acme", id)
		must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: id}, Cause: "review"}))
	}
	exclusive(t, total, "claimed", "dead letter", func(got func(exec string)) (int, error) {
		return s.ClaimDeadLetters(ctx, 3, func(d store.DeadLetter) error {
			got(d.Exec)
			return nil
		})
	})
}

// exclusive calls claim from four workers at once, each until it hands out
// nothing, and fails unless the claims handed out total distinct items,
// each exactly once. claim calls got with the id of each item it hands out;
// verb and noun name the claim in failures ("claimed", "dead letter").
func exclusive(t *testing.T, total int, verb, noun string, claim func(got func(id string)) (int, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	got := func(id string) {
		mu.Lock()
		seen[id]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := claim(got)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("%s %d distinct %ss, want %d", verb, len(seen), noun, total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s %s was %s %d times", noun, id, verb, n)
		}
	}
}

func recovered(ctx context.Context, t *testing.T, s store.Store, tenant, id string, st store.Status) {
	t.Helper()
	create(ctx, t, s, tenant, id)
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: tenant, Exec: id, Attempt: 1}}
	must(t, s.Begin(ctx, a))
	a.Outcome = outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Transient, Layer: outcome.Agent}
	must(t, s.End(ctx, a))
	if st.Terminal() {
		must(t, s.Finish(ctx, tenant, id, st, "cause"))
	}
}

func testAudit(ctx context.Context, t *testing.T, s store.Store) {
	recovered(ctx, t, s, "acme", "r1", store.Completed)
	recovered(ctx, t, s, "globex", "r2", store.Failed)
	recovered(ctx, t, s, "acme", "still-running", store.Running)
	create(ctx, t, s, "acme", "clean")
	must(t, s.Finish(ctx, "acme", "clean", store.Completed, ""))

	var audited []string
	n, err := s.Audit(ctx, 10, func(snap store.Snapshot) ([]store.ReconEvent, error) {
		e := snap.Execution
		audited = append(audited, e.Ref().String())
		if !e.Recovered || !e.Status.Terminal() || len(snap.Attempts) != 1 {
			t.Errorf("audit handed out %+v", e)
		}
		return []store.ReconEvent{{Tenant: e.Tenant, Exec: e.Exec, Step: 0, Tool: "insert_record", Kind: "duplicate-effect", Action: "flagged", At: t0}}, nil
	})
	must(t, err)
	if n != 2 || len(audited) != 2 {
		t.Fatalf("audit should hand out exactly the two terminal recovered executions, got %v", audited)
	}
	events, err := s.ReconEvents(ctx, "acme", "r1")
	must(t, err)
	if len(events) != 1 || events[0].Kind != "duplicate-effect" {
		t.Fatalf("events of acme/r1: %+v", events)
	}
	snap, err := s.Load(ctx, "acme", "r1")
	must(t, err)
	if !snap.Execution.Audited {
		t.Fatal("audited execution not marked")
	}
	n, err = s.Audit(ctx, 10, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
	if n != 0 || err != nil {
		t.Fatalf("a second pass found %d executions (%v), want none", n, err)
	}

	recovered(ctx, t, s, "initech", "r3", store.Compensated)
	boom := errors.New("lookup failed")
	_, err = s.Audit(ctx, 10, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, boom })
	wantErr(t, err, boom)
	n, err = s.Audit(ctx, 10, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
	if n != 1 || err != nil {
		t.Fatalf("an audit that failed must be retried: %d %v", n, err)
	}
}

func testAuditExclusive(ctx context.Context, t *testing.T, s store.Store) {
	const total = 30
	for i := range total {
		recovered(ctx, t, s, "acme", fmt.Sprintf("r%d", i), store.Completed)
	}
	exclusive(t, total, "audited", "execution", func(got func(exec string)) (int, error) {
		return s.Audit(ctx, 4, func(snap store.Snapshot) ([]store.ReconEvent, error) {
			got(snap.Execution.Exec)
			return nil, nil
		})
	})
}

func testSnapshotCopies(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	vals := map[string]store.Value{"a": {Data: "acme:a"}}
	must(t, s.Commit(ctx, commit("acme", "e1", 0, 0, 1, vals)))
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	snap.Context.Values["a"] = store.Value{Data: "mutated by the reader"}
	snap.Execution.Steps[0].Tool = "mutated"
	again, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if again.Context.Values["a"].Data != "acme:a" || again.Execution.Steps[0].Tool != "insert_record" {
		t.Fatalf("a committed version changed after the fact: %+v", again)
	}
}

// testShared: the shared scratchpad is the execution's, not a run's or a
// version's. A failed attempt's write stays through a restart, the last
// write of a key wins, a stale run cannot write, an ended execution takes
// no write, and a snapshot's map is the reader's own.
func testShared(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	if snap, err := s.Load(ctx, "acme", "e1"); err != nil || snap.Shared == nil || len(snap.Shared) != 0 {
		t.Fatalf("a new execution's scratchpad: %+v, %v", snap.Shared, err)
	}
	failed := store.Writer{Run: 0, Step: 1, Attempt: 2}
	must(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "e1", Key: "notes", Value: store.Value{Data: "acme:half", Writer: failed}}))
	must(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "e1", Key: "plan", Value: store.Value{Data: "acme:p0", Writer: failed}}))
	must(t, s.Restart(ctx, "acme", "e1", 1))
	wantErr(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "e1", Key: "notes", Value: store.Value{Data: "acme:late", Writer: failed}}), store.ErrStaleRun)
	next := store.Writer{Run: 1, Step: 0, Attempt: 1}
	must(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "e1", Key: "plan", Value: store.Value{Data: "acme:p1", Writer: next}}))
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	want := map[string]store.Value{"notes": {Data: "acme:half", Writer: failed}, "plan": {Data: "acme:p1", Writer: next}}
	if len(snap.Shared) != len(want) || snap.Shared["notes"] != want["notes"] || snap.Shared["plan"] != want["plan"] {
		t.Fatalf("after a restart and a second write: %+v, want %+v", snap.Shared, want)
	}
	snap.Shared["notes"] = store.Value{Data: "mutated by the reader"}
	again, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if again.Shared["notes"] != want["notes"] {
		t.Fatalf("the scratchpad changed through a snapshot: %+v", again.Shared)
	}
	must(t, s.Finish(ctx, "acme", "e1", store.Failed, "gave up"))
	wantErr(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "e1", Key: "notes", Value: store.Value{Data: "acme:after", Writer: next}}), store.ErrTerminal)
	wantErr(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "acme", Exec: "nope", Key: "notes", Value: store.Value{Data: "acme:x", Writer: next}}), store.ErrNotFound)
}

func testActiveAcrossTenants(ctx context.Context, t *testing.T, s store.Store) {
	// Same creation time for all: the order is the order of Create calls.
	for _, ref := range []store.Ref{{Tenant: "acme", Exec: "b"}, {Tenant: "globex", Exec: "a"}, {Tenant: "acme", Exec: "a"}, {Tenant: "initech", Exec: "c"}} {
		create(ctx, t, s, ref.Tenant, ref.Exec)
	}
	must(t, s.Finish(ctx, "globex", "a", store.Completed, ""))
	refs, err := s.Active(ctx)
	must(t, err)
	want := []store.Ref{{Tenant: "acme", Exec: "b"}, {Tenant: "acme", Exec: "a"}, {Tenant: "initech", Exec: "c"}}
	if fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Fatalf("active: %v, want %v, every tenant's in creation order", refs, want)
	}
}

func testCancelledClaims(ctx context.Context, t *testing.T, s store.Store) {
	recovered(ctx, t, s, "acme", "r1", store.Completed)
	create(ctx, t, s, "globex", "d1")
	must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "globex", Exec: "d1"}, Cause: "review"}))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	called := false
	n, err := s.Audit(cancelled, 10, func(store.Snapshot) ([]store.ReconEvent, error) { called = true; return nil, nil })
	if n != 0 || !errors.Is(err, context.Canceled) || called {
		t.Fatalf("audit with a cancelled ctx: %d %v (handler called: %v), want 0 and context.Canceled", n, err, called)
	}
	n, err = s.ClaimDeadLetters(cancelled, 10, func(store.DeadLetter) error { called = true; return nil })
	if n != 0 || !errors.Is(err, context.Canceled) || called {
		t.Fatalf("dead-letter claim with a cancelled ctx: %d %v (handler called: %v), want 0 and context.Canceled", n, err, called)
	}
	n, err = s.Audit(ctx, 10, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
	if n != 1 || err != nil {
		t.Fatalf("a cancelled audit must leave the execution pending: %d %v", n, err)
	}
	n, err = s.ClaimDeadLetters(ctx, 10, func(store.DeadLetter) error { return nil })
	if n != 1 || err != nil {
		t.Fatalf("a cancelled claim must leave the dead letter queued: %d %v", n, err)
	}
}

func testTenantWrites(ctx context.Context, t *testing.T, s store.Store) {
	create(ctx, t, s, "acme", "e1")
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Attempt: 1}}
	must(t, s.Begin(ctx, a))
	a.Tenant = "globex"
	wantErr(t, s.End(ctx, a), store.ErrNotFound)
	wantErr(t, s.Restart(ctx, "globex", "e1", 1), store.ErrNotFound)
	wantErr(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "globex", Exec: "e1"}, Cause: "x"}), store.ErrNotFound)
	wantErr(t, s.WriteShared(ctx, store.SharedWrite{Tenant: "globex", Exec: "e1", Key: "k", Value: store.Value{Data: "globex:k"}}), store.ErrNotFound)
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if e := snap.Execution; e.Recovered || e.Run != 0 || e.Status != store.Running || len(snap.DeadLetters) != 0 || len(snap.Shared) != 0 {
		t.Fatalf("another tenant's writes changed acme/e1: %+v", snap)
	}
}

// testOrphans holds both stores to what Postgres's constraints hold its
// rows to: no record of an execution that does not exist, no execution (and
// so no record) of the empty tenant or with an empty id.
func testOrphans(ctx context.Context, t *testing.T, s store.Store) {
	for _, e := range []store.Execution{newExec("", "e1"), newExec("acme", "")} {
		if err := s.Create(ctx, e); err == nil || errors.Is(err, store.ErrExists) {
			t.Errorf("Create(tenant %q, id %q) = %v, want it refused", e.Tenant, e.Exec, err)
		}
		_, err := s.Load(ctx, e.Tenant, e.Exec)
		wantErr(t, err, store.ErrNotFound)
	}
	create(ctx, t, s, "acme", "e1")
	for _, ref := range []store.Ref{{Tenant: "acme", Exec: "nope"}, {Tenant: "", Exec: "e1"}} {
		a := store.Attempt{AttemptID: store.AttemptID{Tenant: ref.Tenant, Exec: ref.Exec, Attempt: 1}}
		c := commit(ref.Tenant, ref.Exec, 0, 0, 1, map[string]store.Value{"a": {Data: "x"}})
		writes := map[string]error{
			"Begin":      s.Begin(ctx, a),
			"End":        s.End(ctx, a),
			"Commit":     s.Commit(ctx, c),
			"Restart":    s.Restart(ctx, ref.Tenant, ref.Exec, 1),
			"Finish":     s.Finish(ctx, ref.Tenant, ref.Exec, store.Failed, "x"),
			"DeadLetter": s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: ref.Tenant, Exec: ref.Exec}, Cause: "x"}),
		}
		for name, err := range writes {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s of %s: %v, want %v", name, ref, err, store.ErrNotFound)
			}
		}
		_, err := s.ReconEvents(ctx, ref.Tenant, ref.Exec)
		wantErr(t, err, store.ErrNotFound)
	}
	refs, err := s.Active(ctx)
	must(t, err)
	if len(refs) != 1 || refs[0] != (store.Ref{Tenant: "acme", Exec: "e1"}) {
		t.Fatalf("Active = %v, want acme/e1 alone", refs)
	}
	snap, err := s.Load(ctx, "acme", "e1")
	must(t, err)
	if len(snap.Attempts) != 0 || len(snap.Commits) != 0 || snap.Execution.Status != store.Running {
		t.Fatalf("writes of other executions changed acme/e1: %+v", snap)
	}
}
