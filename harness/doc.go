// Package harness wires the fake world, the system under test and the
// faults together, records what happened, and runs the eleven checkers over it.
//
// # Simulation
//
// [Simulate] runs one scenario under a policy in one process on a
// [VirtualClock]: the engine (reference/engine) with the policy, the
// memory store, the fake world, and a fault injector (faults) consulted at
// every phase of every step, with crashes that rebuild the engine from the
// store. It then runs the reconciliation worker (when the policy's
// architecture has one) and checks every invariant. The same scenario gives
// the same [Run], byte for byte ([Run.Digest]).
//
// # Exploration and shrinking
//
// [Explore] runs generated scenarios — seed S, S+1, … or for a duration,
// optionally one shard of the seed space — on several workers, aggregates
// them in seed order, and minimises the first counterexample of each
// violated invariant with [Shrink]. A seed's scenario is the first case
// rapid draws for it, so rapid's shrinker can take it from there; the
// shrunk run and the replay line ([Replay.Line]) go into the reports. Under
// a duration the summary covers consecutive seeds from the first, up to the
// first run the deadline cut, and minimisation ends by the deadline too.
//
// # The go test API
//
// [Check] is what a team writes in its own tests:
//
//	func TestOurRetryPolicy(t *testing.T) {
//		harness.Check(t, ourpolicy.New(), nil)
//	}
//
// It fails with the shrunk counterexample, the invariant in words
// ([Explain]), and the exact go test line that reproduces it, and the
// chaosrun line where chaosrun can replay the case ([Replay.Line]): a
// catalog policy, or a policy file named by [CheckOpts.PolicyFile].
//
// # Net mode
//
// Package harness/netrig runs the same scenarios over real connections (real
// HTTP, pgx and an embedded Toxiproxy); its rigs are Runners that [Explore]
// runs like the simulation. It lives apart so that this package links
// neither pgx nor Toxiproxy.
package harness
