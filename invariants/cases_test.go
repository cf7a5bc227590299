package invariants_test

import (
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

const (
	ok       = invariants.OK
	violated = invariants.Violated
	unknown  = invariants.Unknown
)

var checkCases = []checkCase{
	// no-duplicate-side-effects
	{"a retry re-sent the email", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "send_email")
		x.attempt(0, 1, "")
		x.effect(fakes.Applied, 0, 1, "mail-1")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "", fakes.Applied)
		x.finish(store.Completed, "")
	}, violated, "applied twice"},
	{"the key deduplicated the retry", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "rec-1")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "k", 0)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"the world delivered twice on its own", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.effect(fakes.Applied, 0, 1, "ch-2", world)
		x.commit(0, 1)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"compensated before the retry", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k1")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.effect(fakes.Compensated, 0, 2, "ch-1")
		x.ok(0, 3, "k2", fakes.Applied)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"a streamed chunk reached the consumer twice", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "llm_complete")
		x.attempt(0, 1, "")
		x.effect(fakes.Chunk, 0, 1, "", chunk(0))
		x.fail(0, 1, midTimeout)
		x.attempt(0, 2, "")
		x.effect(fakes.Chunk, 0, 2, "", chunk(0))
		x.commit(0, 2)
		x.finish(store.Completed, "")
	}, violated, "streamed chunk 0"},
	{"an upsert repeated", invariants.NoDuplicateSideEffects, func(h *history) {
		x := h.start("acme", "e1", "publish_report")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "rep-1", idempotent)
		x.fail(0, 1, midTimeout)
		x.attempt(0, 2, "k")
		x.effect(fakes.Applied, 0, 2, "rep-1", idempotent)
		x.commit(0, 2)
		x.finish(store.Completed, "")
	}, ok, ""},

	// no-lost-effects
	{"completed without the effect", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.ok(0, 1, "k", 0)
		x.finish(store.Completed, "")
	}, violated, "has no effect"},
	{"completed with the effect once", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "vector_search", "insert_record")
		x.ok(0, 1, "", 0)
		x.ok(1, 1, "k", fakes.Applied)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"the world lost the write it acknowledged", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.attempt(0, 1, "k")
		x.effect(fakes.Lost, 0, 1, "rec-1")
		x.commit(0, 1)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"completed with the effect twice", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "send_email")
		x.ok(0, 1, "", fakes.Applied)
		x.effect(fakes.Applied, 0, 2, "mail-2")
		x.finish(store.Completed, "")
	}, violated, "2 live effects"},
	{"a chunk delivered twice", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "llm_complete")
		x.attempt(0, 1, "")
		x.effect(fakes.Chunk, 0, 1, "", chunk(0))
		x.effect(fakes.Chunk, 0, 1, "", chunk(1))
		x.effect(fakes.Chunk, 0, 2, "", chunk(1))
		x.commit(0, 1)
		x.finish(store.Completed, "")
	}, violated, "chunk 1 of step 0 (llm_complete) reached the consumer 2 times"},
	{"the last chunk of the generation never arrived", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "llm_complete")
		x.attempt(0, 1, "")
		x.effect(fakes.Chunk, 0, 1, "", chunk(0))
		x.effect(fakes.Chunk, 0, 1, "", chunk(1))
		x.effect(fakes.Usage, 0, 1, "", generated(3))
		x.commit(0, 1)
		x.finish(store.Completed, "")
	}, violated, "chunk 2 of step 0 (llm_complete) reached the consumer 0 times"},
	{"every chunk of the generation arrived once", invariants.NoLostEffects, func(h *history) {
		x := h.start("acme", "e1", "llm_complete")
		x.attempt(0, 1, "")
		for i := range 3 {
			x.effect(fakes.Chunk, 0, 1, "", chunk(i))
		}
		x.effect(fakes.Usage, 0, 1, "", generated(3))
		x.commit(0, 1)
		x.finish(store.Completed, "")
	}, ok, ""},

	// no-poisoned-context-reads
	{"a retry reads the last committed version", invariants.NoPoisonedContextReads, func(h *history) {
		x := h.start("acme", "e1", "vector_search", "insert_record")
		x.ok(0, 1, "", 0)
		x.attempt(1, 1, "k")
		x.write(1, 1, "insert_record.out")
		x.fail(1, 1, midTimeout)
		x.attempt(1, 2, "k")
		x.commit(1, 2)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"a retry reads what the failed attempt wrote", invariants.NoPoisonedContextReads, func(h *history) {
		x := h.start("acme", "e1", "vector_search")
		x.attempt(0, 1, "")
		x.write(0, 1, "vector_search.out")
		x.fail(0, 1, midTimeout)
		reads := append(x.committedReads(), engine.Read{Key: "vector_search.out", Data: "acme:partial", Writer: store.Writer{Step: 0, Attempt: 1}})
		x.read(0, 2, 0, reads)
	}, violated, "which had failed"},
	{"a read of a stale version", invariants.NoPoisonedContextReads, func(h *history) {
		x := h.start("acme", "e1", "vector_search", "insert_record")
		x.ok(0, 1, "", 0)
		x.read(1, 1, 0, x.committedReads())
	}, violated, "last committed version was 1"},

	// tenant-isolation
	{"a read carries another tenant's data", invariants.TenantIsolation, func(h *history) {
		x := h.start("acme", "e1", "vector_search")
		x.read(0, 1, 0, []engine.Read{{Key: "request", Data: "globex:request", Writer: store.InputWriter}})
	}, violated, "tenant globex's data"},
	{"an effect carries another tenant's data", invariants.TenantIsolation, func(h *history) {
		x := h.start("acme", "e1", "send_email")
		x.attempt(0, 1, "")
		x.effect(fakes.Applied, 0, 1, "mail-1", foreign("initech"))
	}, violated, "tenant initech's data"},
	{"every read and effect is the tenant's own", invariants.TenantIsolation, func(h *history) {
		x := h.start("acme", "e1", "send_email")
		x.ok(0, 1, "", fakes.Applied)
		x.finish(store.Completed, "")
	}, ok, ""},

	// tenant-contract-honored
	{"globex's webhook retried", invariants.TenantContractHonored, func(h *history) {
		x := h.start("globex", "e1", "publish_report")
		x.attempt(0, 1, "")
		x.fail(0, 1, midTimeout)
		x.attempt(0, 2, "")
	}, violated, "never retry automatically"},
	{"globex's webhook called once, then dead-lettered", invariants.TenantContractHonored, func(h *history) {
		x := h.start("globex", "e1", "publish_report")
		x.attempt(0, 1, "")
		x.effect(fakes.Applied, 0, 1, "hook-1")
		x.fail(0, 1, midTimeout)
		x.deadLetter(0, "never retry")
	}, ok, ""},
	{"initech's trigger called without a key", invariants.TenantContractHonored, func(h *history) {
		x := h.start("initech", "e1", "publish_report")
		x.ok(0, 1, "", fakes.Applied)
	}, violated, "requires an idempotency key"},
	{"initech's trigger took effect twice", invariants.TenantContractHonored, func(h *history) {
		x := h.start("initech", "e1", "publish_report")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "trig-1")
		x.effect(fakes.Compensated, 0, 1, "trig-1")
		x.attempt(0, 2, "k")
		x.effect(fakes.Applied, 0, 2, "trig-2")
	}, violated, "at most once"},
	{"acme's upsert retried freely", invariants.TenantContractHonored, func(h *history) {
		x := h.start("acme", "e1", "publish_report")
		x.attempt(0, 1, "")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "", fakes.Applied)
	}, ok, ""},

	// resume-from-checkpoint
	{"the workflow restarted from the first step", invariants.ResumeFromCheckpoint, func(h *history) {
		x := h.start("acme", "e1", "insert_record", "send_email")
		x.ok(0, 1, "k", fakes.Applied)
		x.attempt(1, 1, "")
		x.fail(1, 1, midTimeout)
		x.h.ev(engine.Event{Kind: engine.EvRestart, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 1}})
		x.attempt(0, 2, "k")
	}, violated, "executed again"},
	{"only the failed step is retried", invariants.ResumeFromCheckpoint, func(h *history) {
		x := h.start("acme", "e1", "insert_record", "vector_search")
		x.ok(0, 1, "k", fakes.Applied)
		x.attempt(1, 1, "")
		x.fail(1, 1, midTimeout)
		x.ok(1, 2, "", 0)
		x.finish(store.Completed, "")
	}, ok, ""},

	// no-orchestrator-retry
	{"an invalid plan re-planned", invariants.NoOrchestratorRetry, func(h *history) {
		x := h.start("acme", "e1", "plan", "insert_record")
		x.attempt(0, 1, "")
		x.effect(fakes.Usage, 0, 1, "", invalidPlan)
		x.fail(0, 1, badPlan)
		x.attempt(0, 2, "")
	}, violated, "received an invalid plan (ledger #0) and the step was invoked again"},
	{"an invalid plan typed as transient and re-planned", invariants.NoOrchestratorRetry, func(h *history) {
		// The ledger, not the engine's typing, says the plan was invalid.
		x := h.start("acme", "e1", "plan", "insert_record")
		x.attempt(0, 1, "")
		x.effect(fakes.Usage, 0, 1, "", invalidPlan)
		x.fail(0, 1, midTimeout)
		x.attempt(0, 2, "")
		x.effect(fakes.Usage, 0, 2, "", invalidPlan)
	}, violated, "received an invalid plan (ledger #0) and the step was invoked again"},
	{"an invalid plan whose response was lost is asked for again", invariants.NoOrchestratorRetry, func(h *history) {
		x := h.start("acme", "e1", "plan", "insert_record")
		x.attempt(0, 1, "")
		x.effect(fakes.Usage, 0, 1, "", invalidPlan)
		x.fault(0, 1, "lost-response after the tool acted")
		x.fail(0, 1, midTimeout)
		x.attempt(0, 2, "")
		x.effect(fakes.Usage, 0, 2, "", invalidPlan)
		x.fail(0, 2, badPlan)
		x.finish(store.Failed, "invalid plan")
	}, ok, ""},
	{"an invalid plan fails the execution", invariants.NoOrchestratorRetry, func(h *history) {
		x := h.start("acme", "e1", "plan", "insert_record")
		x.attempt(0, 1, "")
		x.effect(fakes.Usage, 0, 1, "", invalidPlan)
		x.fail(0, 1, badPlan)
		x.finish(store.Failed, "invalid plan")
	}, ok, ""},
	{"a plan that timed out is retried", invariants.NoOrchestratorRetry, func(h *history) {
		x := h.start("acme", "e1", "plan")
		x.attempt(0, 1, "")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "", 0)
		x.finish(store.Completed, "")
	}, ok, ""},

	// no-orphaned-side-effects
	{"a charge left behind by a failed execution", invariants.NoOrphanedSideEffects, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.finish(store.Failed, "retries spent")
	}, violated, "orphaned side effect"},
	{"a charge the reconciliation worker refunded later", invariants.NoOrphanedSideEffects, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.finish(store.Failed, "retries spent")
		h.audit()
		h.recon("acme", "e1", 0, store.OrphanedEffect)
		x.effect(fakes.Compensated, 0, 0, "ch-1")
	}, violated, "orphaned side effect"},
	{"the charge was refunded", invariants.NoOrphanedSideEffects, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.effect(fakes.Compensated, 0, 2, "ch-1")
		x.finish(store.Compensated, "timed out")
	}, ok, ""},
	{"the step was dead-lettered for review", invariants.NoOrphanedSideEffects, func(h *history) {
		x := h.start("acme", "e1", "send_email")
		x.attempt(0, 1, "")
		x.effect(fakes.Applied, 0, 1, "mail-1")
		x.fail(0, 1, midTimeout)
		x.deadLetter(0, "cannot verify")
	}, ok, ""},
	{"a committed step of a failed execution", invariants.NoOrphanedSideEffects, func(h *history) {
		x := h.start("acme", "e1", "insert_record", "plan")
		x.ok(0, 1, "k", fakes.Applied)
		x.attempt(1, 1, "")
		x.fail(1, 1, badPlan)
		x.finish(store.Failed, "invalid plan")
	}, ok, ""},

	// reconciliation-complete
	{"no worker ran over an orphaned charge", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.finish(store.Failed, "retries spent")
	}, violated, "no reconciliation worker ran"},
	{"the worker missed an orphaned charge", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.finish(store.Failed, "retries spent")
		h.audit()
	}, violated, "the worker did not report it"},
	{"the worker reported the orphaned charge", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.finish(store.Failed, "retries spent")
		h.audit()
		h.recon("acme", "e1", 0, store.OrphanedEffect)
	}, ok, ""},
	{"the worker reported a duplicate that is not there", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "k", fakes.Applied)
		x.finish(store.Completed, "")
		h.audit()
		h.recon("acme", "e1", 0, store.DuplicateEffect)
	}, violated, "where the ledger shows none"},
	{"a lost write in a recovered execution went unreported", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "vector_search", "insert_record")
		x.attempt(0, 1, "")
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "", 0)
		x.attempt(1, 1, "k")
		x.effect(fakes.Lost, 1, 1, "rec-1")
		x.commit(1, 1)
		x.finish(store.Completed, "")
		h.audit()
	}, violated, "conflicting-state"},
	{"a clean execution is not audited", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.effect(fakes.Applied, 0, 1, "ch-2", world)
		x.commit(0, 1)
		x.finish(store.Completed, "")
		h.audit()
	}, ok, ""},
	{"a dead-lettered step is left to its reviewer", invariants.ReconciliationComplete, func(h *history) {
		x := h.start("acme", "e1", "create_charge")
		x.attempt(0, 1, "k")
		x.effect(fakes.Applied, 0, 1, "ch-1")
		x.fail(0, 1, midTimeout)
		x.deadLetter(0, "review")
		h.audit()
	}, ok, ""},

	// terminal-state
	{"an execution still running at the limit", invariants.TerminalState, func(h *history) {
		h.cut = invariants.CutAtLimit
		x := h.start("acme", "e1", "insert_record")
		x.attempt(0, 1, "k")
	}, violated, "a hang"},
	{"an execution that vanished", invariants.TerminalState, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.attempt(0, 1, "k")
	}, violated, "vanished"},
	{"a failure without its cause", invariants.TerminalState, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.finish(store.Failed, "")
	}, violated, "without a cause"},
	{"every execution ended", invariants.TerminalState, func(h *history) {
		x := h.start("acme", "e1", "insert_record")
		x.ok(0, 1, "k", fakes.Applied)
		x.finish(store.Completed, "")
		y := h.start("globex", "e2", "publish_report")
		y.deadLetter(0, "never retry")
		h.review("globex/e2")
	}, ok, ""},
	{"a dead-lettered execution nobody queued for review", invariants.TerminalState, func(h *history) {
		y := h.start("globex", "e2", "publish_report")
		y.finish(store.DeadLettered, "never retry")
		h.review()
	}, violated, "holds no dead letter of it"},
	{"a dead-lettered execution with the queue never read back", invariants.TerminalState, func(h *history) {
		y := h.start("globex", "e2", "publish_report")
		y.deadLetter(0, "never retry")
	}, unknown, "review queue was never read back"},

	// retry-after-honored
	{"a rate-limited call retried too soon", invariants.RetryAfterHonored, func(h *history) {
		x := h.start("acme", "e1", "enrich_contact")
		x.attempt(0, 1, "")
		x.fail(0, 1, rateLimited(2*time.Second))
		h.wait(500 * time.Millisecond)
		x.ok(0, 2, "", fakes.Applied)
		x.finish(store.Completed, "")
	}, violated, "retried 500ms after the tool answered Retry-After 2s at event 4: 1.5s too soon"},
	{"a rate-limited call retried when told", invariants.RetryAfterHonored, func(h *history) {
		x := h.start("acme", "e1", "enrich_contact")
		x.attempt(0, 1, "")
		x.fail(0, 1, rateLimited(2*time.Second))
		h.wait(2 * time.Second)
		x.ok(0, 2, "", fakes.Applied)
		x.finish(store.Completed, "")
	}, ok, ""},
	{"only the next invocation answers to the Retry-After", invariants.RetryAfterHonored, func(h *history) {
		x := h.start("acme", "e1", "enrich_contact")
		x.attempt(0, 1, "")
		x.fail(0, 1, rateLimited(time.Second))
		h.wait(time.Second)
		x.attempt(0, 2, "")
		x.fail(0, 2, midTimeout)
		x.ok(0, 3, "", fakes.Applied) // a timeout carries no Retry-After
		x.finish(store.Completed, "")
	}, ok, ""},
	{"another step of the same tool is not a retry", invariants.RetryAfterHonored, func(h *history) {
		x := h.start("acme", "e1", "enrich_contact", "enrich_contact")
		x.attempt(0, 1, "")
		x.fail(0, 1, rateLimited(time.Minute))
		x.finish(store.Failed, "rate limited")
		y := h.start("acme", "e2", "enrich_contact")
		y.ok(0, 1, "", fakes.Applied)
		y.finish(store.Completed, "")
	}, ok, ""},
}
