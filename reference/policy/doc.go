// Package policy is Layer 3 of the recovery architecture: tenant-scoped
// policy resolution.
//
// A [Policy] is a team's retry setup: decision rules plus the architecture
// choices they run on ([Architecture]: versioned or shared context, resume
// from checkpoint or restart, compensation, reconciliation, tenant contracts
// honoured or ignored, idempotency keys, retry budget and backoff).
//
// Before any retry the engine calls [Resolve], which merges three inputs into
// one [Decision]:
//
//  1. the system policy for the failure ([Policy.Decide], given the outcome
//     from Layer 1 and the tool's registry entry from Layer 2);
//  2. the tenant's declared [Contract] for the tool (never retry, at most
//     once, key required), when the architecture honours contracts;
//  3. the budget and the backoff, which turn "retry" into "retry after d".
//
// The decision is one of retry (with a delay, keeping the operation's
// idempotency key and, for model calls, its dedup token when asked),
// compensate, reconcile (do not re-execute: look the operation up by its key
// and commit what happened, or dead-letter where that cannot be known),
// dead-letter (human review) or fail (the cause surfaced).
//
// # Rules
//
// [Rules] is the policy a YAML file compiles to: rules evaluated top to
// bottom, first match decides. A retry rule whose max_retries is spent does
// not match, so the rules below it say what happens next; a failure that no
// rule matches fails the execution with its cause.
//
// [Reference] is the five-layer decision tree written as Go; reference.yaml
// in the policies directory is the same policy as rules, and a test holds the
// two to the same decisions over every input.
package policy
