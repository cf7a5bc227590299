// Package engine is Layer 4 of the recovery architecture: checkpoint-gated
// execution with versioned context.
//
// An [Engine] runs workflows — ordered steps, each a tool call whose result
// is written to named context keys — for many tenants at once, and recovers
// from failures through the other layers:
//
//   - before an attempt runs, its begin record is durable in the store;
//   - the attempt reads the last committed context version, calls the tool
//     (registered in Layer 2, or it is not called at all), writes the step's
//     keys into a copy of that version, and commits the result, the new
//     version and the checkpoint in one atomic write (the last step's commit
//     also ends the execution completed, in the same write);
//   - a failed attempt is typed by Layer 1 ([outcome.Classify]), its outcome
//     made durable, and the decision taken by Layer 3 ([policy.Resolve]):
//     retry after a delay, reconcile (commit the response in hand, or look the
//     operation up by key and commit what happened), compensate, dead-letter
//     or fail;
//   - after a crash a new Engine is built on the same store and [Engine.Recover]
//     resumes every unfinished execution from its last commit; committed steps
//     are never run again.
//
// The architecture knobs of the policy are honoured faithfully, including the
// unsafe ones (shared mutable context, restart from the first step, no keys),
// because chaosrun uses this engine to show what those choices do. So is
// [policy.Architecture.Without], which switches the engine's own safeguards
// off one at a time (copy-on-write, begin before invoke, ...) for chaosrun's
// regression suite; its zero value switches none off.
//
// # Driving the engine
//
// [Engine.Advance] performs the next action of one execution and says when
// the following one is due; [Engine.Run] loops over it, sleeping on the
// engine's clock. A deterministic simulation drives Advance on a virtual
// clock; a service calls Run from its workers.
//
// # Instrumentation
//
// Every durable fact and every decision is reported to the optional
// [Observer] as an [Event]. Fault injection enters through the optional
// [Faults] port, consulted at each [Point] of an attempt; returning
// [ErrCrash] from it stops the engine as a process crash would.
package engine
