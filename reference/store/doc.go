// Package store is the storage port of the reference engine: the one wide
// interface in chaosrun, and the durable half of Layer 4's checkpoint gate.
//
// # Contract
//
//   - An execution is created once ([Store.Create]) with its workflow and its
//     input, which is context version 0.
//   - A begin record ([Store.Begin]) is durable before a step's attempt runs.
//     Its end ([Store.End]) records the typed outcome of a failed attempt and
//     marks the execution as recovered, so that Layer 5 audits it.
//   - A commit ([Store.Commit]) writes the step's result, the new context
//     version and the checkpoint in one atomic write. A step commits at most
//     once per run: a second commit returns [ErrCommitted].
//   - A restart ([Store.Restart]) begins a new run from context version 0;
//     only policies that retry at orchestrator level use it.
//   - [Store.DeadLetter] queues the step for human review and ends the
//     execution in the same write; [Store.Finish] ends it otherwise.
//   - Dead letters and audits are claimed by workers through
//     [Store.ClaimDeadLetters] and [Store.Audit]; two workers never hold the
//     same row (Postgres: FOR UPDATE SKIP LOCKED).
//
// Every method that touches an execution takes its tenant. A tenant never
// sees another tenant's rows: asking for another tenant's execution is
// [ErrNotFound]. Only [Store.Active], [Store.Audit] and
// [Store.ClaimDeadLetters] cross tenants; they are the system's, not a
// tenant's.
//
// Implementations: memstore (the embedded default) and pgstore (pgx v5).
// Both pass the same conformance suite, storetest.Exercise.
package store
