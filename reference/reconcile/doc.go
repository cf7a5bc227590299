// Package reconcile is Layer 5 of the recovery architecture: the
// asynchronous reconciliation worker.
//
// Independently of the retry path, a [Worker] claims executions that ended
// after recovering from a failure (any attempt failed, including a crash)
// and checks them against the world, through the tools' lookup by key — the
// only view of the world it has:
//
//   - a committed step must have exactly one live effect: more is a
//     duplicate-effect (the extras are compensated where the tool has a
//     compensator), none is a conflicting-state (the store says done, the
//     tool has no trace: a write lost after it was acknowledged);
//   - a step the execution abandoned must have none: a live effect is an
//     orphaned-effect (compensated where possible).
//
// Findings are reconciliation events — an audit trail stored with the
// execution — not errors: nothing alerts, nothing retries. Steps that were
// dead-lettered are left to their human reviewer, and tools that answer no
// lookups are beyond any worker's sight.
//
// Executions that never failed are not looked at: a pass costs what the
// recovered executions cost, however many clean ones the store holds.
package reconcile
