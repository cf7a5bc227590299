// Package outcome is Layer 1 of the recovery architecture: outcome typing at
// the point of failure.
//
// A failure in an agent pipeline is not "an error with an HTTP status". Before
// any retry decision, the engine describes what it observed — how far the
// request got, whether a response arrived, how many streamed chunks reached a
// downstream consumer, how much of the step's context write happened, whether
// the attempt was cut short by a crash — and [Classify] turns that
// [Observation] into an [Outcome]:
//
//   - Phase: pre (the tool provably did not act), mid (it may have acted: the
//     request left, no usable response came back) or post (it acted: the
//     engine holds, or held, its response).
//   - Effects: whether side effects were emitted (none, possible, confirmed).
//   - Context: the state the attempt left its context write in (clean,
//     partial, committed).
//   - SignalsSent: whether downstream signals (streamed chunks, triggers) went out.
//   - LLM: PRE_INFERENCE, MID_INFERENCE or POST_INFERENCE for model calls.
//   - Class: transient, rate-limited, timeout or deterministic.
//   - Layer: agent or orchestrator.
//
// # Errors
//
// Tools and transports report failures with the vocabulary in errors.go
// ([ErrRefused], [StatusError], [ErrTimeout], [ErrReset], [ErrStreamCut],
// [ErrBadResponse], [InvalidPlanError]). The classifier reads them with
// [errors.Is] and [errors.As]; an error it does not recognise is treated as
// the least safe thing it could be: the tool may have acted.
//
// # Design notes
//
// A 429 or a 503 is classified as pre-execution because the tools this
// package describes answer them before acting (the HTTP meaning of "Too Many
// Requests" and "Service Unavailable"); 500, 502 and 504 say nothing about
// whether the tool acted, so they are mid-execution. An outcome rebuilt after
// an engine crash, from a begin record with no end, is mid-execution with
// possible effects: the engine cannot know how far the attempt got.
package outcome
