package invariants_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// history builds hand-made histories and ledgers, one execution at a time.
type history struct {
	events  []engine.Event
	effects []fakes.Effect
	cut     invariants.Cut
	drift   []fakes.Drift
	// now stamps the events; wait moves it on.
	now time.Time
}

// wait moves the history's clock on by d.
func (h *history) wait(d time.Duration) { h.now = h.now.Add(d) }

type exec struct {
	h          *history
	tenant, id string
	tools      []string
	version    int
	values     map[string]store.Writer
}

func (h *history) ev(e engine.Event) int {
	if e.At.IsZero() {
		e.At = h.now
	}
	h.events = append(h.events, e)
	return len(h.events) - 1
}

func (h *history) start(tenant, id string, tools ...string) *exec {
	h.ev(engine.Event{Kind: engine.EvStart, AttemptID: store.AttemptID{Tenant: tenant, Exec: id}, Tools: tools})
	return &exec{h: h, tenant: tenant, id: id, tools: tools, values: map[string]store.Writer{}}
}

func (x *exec) e(kind engine.EventKind, step, attempt int) engine.Event {
	return engine.Event{Kind: kind, AttemptID: store.AttemptID{Tenant: x.tenant, Exec: x.id, Step: step, Attempt: attempt}, Tool: x.tools[step]}
}

// attempt records begin, a read of the last committed version, and the
// invocation (with key).
func (x *exec) attempt(step, attempt int, key string) {
	x.h.ev(x.e(engine.EvBegin, step, attempt))
	x.read(step, attempt, x.version, x.committedReads())
	inv := x.e(engine.EvInvoke, step, attempt)
	inv.Key = key
	x.h.ev(inv)
}

func (x *exec) committedReads() []engine.Read {
	reads := []engine.Read{{Key: "request", Data: x.tenant + ":request", Writer: store.InputWriter}}
	for k, w := range x.values {
		reads = append(reads, engine.Read{Key: k, Data: x.tenant + ":v", Writer: w})
	}
	return reads
}

func (x *exec) read(step, attempt, version int, reads []engine.Read) int {
	r := x.e(engine.EvRead, step, attempt)
	r.Version, r.Reads = version, reads
	return x.h.ev(r)
}

// write records a context write of key by an attempt.
func (x *exec) write(step, attempt int, key string) {
	w := x.e(engine.EvWrite, step, attempt)
	w.Detail = key
	x.h.ev(w)
}

// commit records the step's write of one key and its commit.
func (x *exec) commit(step, attempt int) int {
	key := x.tools[step] + ".out"
	x.write(step, attempt, key)
	x.version++
	x.values[key] = store.Writer{Step: step, Attempt: attempt}
	c := x.e(engine.EvCommit, step, attempt)
	c.Version = x.version
	return x.h.ev(c)
}

func (x *exec) fail(step, attempt int, o outcome.Outcome) int {
	f := x.e(engine.EvFailure, step, attempt)
	f.Outcome = &o
	return x.h.ev(f)
}

func (x *exec) fault(step, attempt int, detail string) {
	f := x.e(engine.EvFault, step, attempt)
	f.Detail = detail
	x.h.ev(f)
}

func (x *exec) finish(s store.Status, cause string) int {
	return x.h.ev(engine.Event{Kind: engine.EvFinish, AttemptID: store.AttemptID{Tenant: x.tenant, Exec: x.id}, Status: s, Detail: cause})
}

func (x *exec) deadLetter(step int, cause string) {
	x.h.ev(engine.Event{Kind: engine.EvDeadLetter, AttemptID: store.AttemptID{Tenant: x.tenant, Exec: x.id, Step: step}, Detail: cause})
	x.finish(store.DeadLettered, cause)
}

// effect appends a ledger entry for the step.
func (x *exec) effect(kind fakes.Kind, step, attempt int, ref string, mods ...func(*fakes.Effect)) {
	e := fakes.Effect{Kind: kind, Op: fakes.Op{Tenant: x.tenant, Exec: x.id, Step: step, Sub: -1}, Attempt: attempt, Tool: x.tools[step], Ref: ref}
	for _, m := range mods {
		m(&e)
	}
	x.h.effects = append(x.h.effects, e)
}

func chunk(i int) func(*fakes.Effect)      { return func(e *fakes.Effect) { e.Op.Sub = i } }
func world(e *fakes.Effect)                { e.World = true }
func invalidPlan(e *fakes.Effect)          { e.Invalid = true }
func generated(n int) func(*fakes.Effect)  { return func(e *fakes.Effect) { e.Chunks = n } }
func idempotent(e *fakes.Effect)           { e.Idempotent = true }
func foreign(t string) func(*fakes.Effect) { return func(e *fakes.Effect) { e.Foreign = t } }

// ok runs a step cleanly: attempt, effect (for tools with effects), commit.
func (x *exec) ok(step, attempt int, key string, kind fakes.Kind) {
	x.attempt(step, attempt, key)
	if kind != 0 {
		x.effect(kind, step, attempt, x.ref(step, attempt))
	}
	x.commit(step, attempt)
}

func (x *exec) ref(step, attempt int) string {
	return x.id + "-" + x.tools[step] + "-" + string(rune('0'+step)) + string(rune('0'+attempt))
}

// review records the store's review queue read back, holding the dead
// letters of the executions named (tenant/exec).
func (h *history) review(queued ...string) {
	for _, q := range queued {
		tenant, id, _ := strings.Cut(q, "/")
		h.ev(engine.Event{Kind: engine.EvQueued, AttemptID: store.AttemptID{Tenant: tenant, Exec: id}, Detail: "review"})
	}
	h.ev(engine.Event{Kind: engine.EvReviewed})
}

func (h *history) audit() {
	h.ev(engine.Event{Kind: engine.EvAudit, Seq: len(h.effects)})
}

func (h *history) recon(tenant, id string, step int, kind store.Anomaly) {
	h.ev(engine.Event{Kind: engine.EvRecon, AttemptID: store.AttemptID{Tenant: tenant, Exec: id, Step: step}, Detail: string(kind)})
}

// rateLimited is a 429 whose Retry-After was d.
func rateLimited(d time.Duration) outcome.Outcome {
	return outcome.Outcome{Phase: outcome.PhasePre, Class: outcome.RateLimited, Layer: outcome.Agent, Status: 429, RetryAfter: d, Cause: "429"}
}

var (
	midTimeout = outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Timeout, Layer: outcome.Agent, Effects: outcome.PossibleEffects, Cause: "timed out"}
	badPlan    = outcome.Outcome{Phase: outcome.PhasePost, Class: outcome.Deterministic, Layer: outcome.Orchestrator, Cause: "invalid plan"}
)

type checkCase struct {
	name  string
	id    invariants.ID
	build func(h *history)
	want  invariants.Status
	// says is a phrase the first violation's message must contain.
	says string
}

func TestCheckers(t *testing.T) {
	t.Parallel()
	for _, c := range checkCases {
		t.Run(string(c.id)+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			h := &history{}
			c.build(h)
			checker, err := invariants.Lookup(c.id)
			if err != nil {
				t.Fatal(err)
			}
			res := checker.Check(&invariants.History{Events: h.events, Cut: h.cut}, fakes.NewLedger(h.effects, h.drift...))
			if res.Status != c.want {
				t.Fatalf("status %s, want %s; violations: %v; reason: %s", res.Status, c.want, res.Violations, res.Reason)
			}
			if c.want == invariants.Violated {
				v := res.Violations[0]
				if v.Invariant != c.id || !strings.Contains(v.Message, c.says) {
					t.Fatalf("violation %q should name %s and say %q", v, c.id, c.says)
				}
			}
		})
	}
}

func TestEveryCheckerHasCasesBothWays(t *testing.T) {
	t.Parallel()
	seen := map[invariants.ID]map[invariants.Status]bool{}
	for _, c := range checkCases {
		if seen[c.id] == nil {
			seen[c.id] = map[invariants.Status]bool{}
		}
		seen[c.id][c.want] = true
	}
	for _, id := range invariants.IDs() {
		if !seen[id][invariants.OK] || !seen[id][invariants.Violated] {
			t.Errorf("%s needs a case that must pass and one that must be flagged", id)
		}
	}
}

func TestIDsAreTheContract(t *testing.T) {
	t.Parallel()
	want := []string{"no-duplicate-side-effects", "no-lost-effects", "no-poisoned-context-reads", "tenant-isolation",
		"tenant-contract-honored", "resume-from-checkpoint", "no-orchestrator-retry", "no-orphaned-side-effects",
		"reconciliation-complete", "terminal-state", "retry-after-honored"}
	ids := invariants.IDs()
	if len(ids) != len(want) {
		t.Fatalf("%d invariants, want %d", len(ids), len(want))
	}
	for i, id := range ids {
		if string(id) != want[i] {
			t.Errorf("invariant %d is %q, want %q", i, id, want[i])
		}
	}
}

func TestAbortedRunIsUnknownNotOK(t *testing.T) {
	t.Parallel()
	h := &history{cut: invariants.Aborted}
	x := h.start("acme", "e1", "insert_record")
	x.attempt(0, 1, "k")
	res := invariants.CheckAll(&invariants.History{Events: h.events, Cut: h.cut}, fakes.NewLedger(nil))
	for _, r := range res {
		if r.Invariant == invariants.TerminalState && r.Status != invariants.Unknown {
			t.Fatalf("an aborted run cannot be judged on what did not happen: %s is %s", r.Invariant, r.Status)
		}
	}
}

// A wire record has no engine record: the checkers that read one say
// unknown, with the reason; the others decide.
func TestAWireRecordLeavesTheEngineOnlyCheckersUnknown(t *testing.T) {
	t.Parallel()
	h := &history{}
	x := h.start("acme", "e1", "send_email")
	x.attempt(0, 1, "")
	x.effect(fakes.Applied, 0, 1, "mail-1")
	x.fail(0, 1, midTimeout)
	x.ok(0, 2, "", fakes.Applied)
	x.finish(store.Completed, "")
	engineOnly := map[invariants.ID]bool{invariants.NoPoisonedContextReads: true, invariants.ResumeFromCheckpoint: true,
		invariants.ReconciliationComplete: true}
	for _, r := range invariants.CheckAll(&invariants.History{Events: h.events, Record: invariants.WireRecord}, fakes.NewLedger(h.effects)) {
		switch {
		case engineOnly[r.Invariant] && (r.Status != invariants.Unknown || !strings.Contains(r.Reason, "no engine record")):
			t.Errorf("%s on a wire record: %s (%s), want unknown", r.Invariant, r.Status, r.Reason)
		case !engineOnly[r.Invariant] && r.Status == invariants.Unknown:
			t.Errorf("%s on a wire record is unknown (%s): the wire decides it", r.Invariant, r.Reason)
		case r.Invariant == invariants.NoDuplicateSideEffects && r.Status != invariants.Violated:
			t.Errorf("the duplicate email went unseen on the wire: %s", r.Status)
		}
	}
}
