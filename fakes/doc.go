// Package fakes is the world the system under test acts on: fake tools, a
// fake streaming LLM, a downstream consumer and three tenants, all behaving
// like the real things, and a [Ledger] that records the ground truth of every
// side effect.
//
// # Tools
//
//	vector_search      idempotent, tier 1, read-only
//	llm_complete       streaming model call, tier 1, dedup token, lookup by token (found once every chunk reached the consumer)
//	plan               orchestrator model call: returns a task graph, an invalid one for ambiguous input
//	enrich_contact     unknown idempotency, tier 2, third party, rate limited (429 + Retry-After), billed 2 cents per call
//	insert_record      non-idempotent, idempotent with a key, tier 2, lookup, compensator delete_record
//	create_charge      non-idempotent, Stripe-like key and lookup, tier 3, compensator refund_charge, takes the customer's money
//	send_email         non-idempotent, tier 3, no key, irreversible
//	publish_report     tenant-specific (see below), tier 2, tenant-override flag
//	signal_downstream  non-idempotent, tier 2, triggers another pipeline
//
// # Tenants
//
//	acme     publish_report upserts into a warehouse: a repeat is harmless
//	globex   publish_report calls a paid compliance webhook, charged per call; contract: never retry automatically
//	initech  publish_report triggers a downstream pipeline with no dedup; contract: at most once, key required
//
// # Ground truth
//
// The ledger is written only by the world. The system under test holds the
// world through the engine's ports ([engine.Invoker], [engine.Lookuper],
// [engine.Downstream]) and cannot reach it. Every applied effect is recorded
// with tenant, execution, step, attempt, tool, key, payload tenants and cost;
// so are compensations, streamed chunks, model token usage and writes the
// world acknowledged but lost.
//
// # Money
//
// Two kinds of cost are told apart. create_charge takes money from a
// customer ([Truth.Money]): a repeat is a duplicate charge, money the
// customer gets back only by a refund. enrich_contact's 2 cents and
// globex's 50-cent compliance webhook are what the team pays per call: a
// repeat is a duplicate cost, money the team loses, no customer charged.
// Both are in an effect's CostCents; [Facts.Money] says which it is.
//
// # Quirks
//
// The semantic faults — registry drift for one tenant, double delivery, a
// write acknowledged and lost — are the world's misbehaviour, asked of a
// [Quirks] (the fault schedule) on each call. They apply only to tools that
// answer lookups by key, because those are the only ones whose misbehaviour
// anybody, reconciliation included, could ever detect.
//
// When the Quirks are also [LookupQuirks], an attempt's lookups misbehave
// too: a [LaggingLookup] does not see effects younger than the tool's
// declared lag (never older ones: the lag is what the tool promises), a
// [MissedLookup] answers "not found" for a key the tool still deduplicates
// by, so a repeat under that key is safe and one under a new key is not.
// The reconciliation worker's lookups (attempt 0) read the tool's own
// records, after the longest lag.
//
// # Cancelled keys
//
// A compensator called with a key undoes every live effect of it and
// cancels the key: a request under it that lands afterwards — one still on
// its way when the operation was given up — is refused with 409 and applies
// nothing. That is what makes compensating by key the answer to a request
// in flight.
package fakes
