// Package invariants holds chaosrun's eleven checkers: pure functions of a
// recorded [History] (what the engine did) and a [fakes.Ledger] (what really
// happened in the world), each answering ok, violated or unknown — a check
// that could not decide is never reported as a pass.
//
// # The invariants
//
//	no-duplicate-side-effects  no logical operation applied a non-idempotent effect twice (streamed chunks and downstream signals count)
//	no-lost-effects            every execution reported completed has each step's effect exactly once
//	no-poisoned-context-reads  every read sees the last committed version, never a write of a failed or uncommitted attempt
//	tenant-isolation           no read or effect of one tenant ever carries another tenant's data
//	tenant-contract-honored    no tenant's declared contract (never retry, at most once, key required) is broken
//	resume-from-checkpoint     no committed step is executed again after a later step fails
//	no-orchestrator-retry      a deterministic orchestrator failure (invalid plan) is not retried
//	no-orphaned-side-effects   every effect of an abandoned step is compensated, or dead-lettered for review
//	reconciliation-complete    the reconciliation worker reports every anomaly of the executions it should audit, and nothing else
//	terminal-state             every execution ends completed, compensated, dead-lettered or failed with its cause; none hangs or vanishes
//	retry-after-honored        no retry of a tool reaches it before the Retry-After that tool answered
//
// # Attribution
//
// The world misbehaves on purpose (semantic faults). An effect the world
// applied twice on its own, or a write it acknowledged and lost, is not the
// system's doing: those are excluded from no-duplicate-side-effects and
// no-lost-effects, and they are exactly what reconciliation-complete asks
// the Layer 5 worker to find. Registry drift is different: a second call the
// system chose to make is the system's, whatever the registry claimed.
//
// reconciliation-complete audits the executions the worker is meant to audit
// — those with a failed attempt that had ended when the pass began — and the
// anomalies visible through a lookup by key (duplicates, orphans, a committed
// step whose effect is missing) on tools that answer lookups. The world's own
// damage in an execution that never failed is outside that scope: no worker
// is asked to audit it, and no policy caused it.
//
// retry-after-honored reads the failures whose outcome carries a
// Retry-After and the step's next invocation of the same tool: it must come
// no sooner than the failure's time plus the Retry-After. Other operations
// of the same tool are not held to it: a Retry-After answers one request.
//
// no-orchestrator-retry reads the ledger: a plan the planner returned invalid
// and that reached the engine (no fault was applied to that attempt) must not
// be asked for again, whatever the engine made of it.
//
// # Two records
//
// A [History] is the reference engine's record ([EngineRecord]) or a real
// system's as the fakes saw it on the wire ([WireRecord]: requests, the
// tools' answers, faults, crashes and the ends the system reported). A
// checker that reads what only an engine records — context reads and
// writes, checkpoints, the reconciliation worker's reports — says unknown
// on a wire record, with that reason ([Checker].EngineRecord); the others
// decide both. On the wire a step counts as committed when a tool's
// successful reply to it was delivered: the system holds its result.
package invariants
