// Package harness wires the fake world, the system under test and the
// faults together, records what happened, and runs the eleven checkers
// over it — for a policy, simulated, and for a team's real code, on the wire.
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
// A run is cheap: the memory store is reused from run to run, and a run
// its caller does not keep hands the arrays of its history and ledger to
// the next with [Run.Release] (Explore, Shrink and Property release every
// run they drop). Shrink simulates each distinct candidate once: rapid
// draws the same scenario many times while it minimises.
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
// # Coverage and targeted runs
//
// Every run records the cells of the fault model (tenant x tool x phase x
// fault kind, [faults.Cell]) that received a fault, and the summary's
// [Coverage] sets them against the cells the world makes reachable
// ([faults.Reachable], the injector's own rules). Exploration is swarm
// first, then targeted: the first half of the runs draws swarm schedules,
// and the cells its pilot left without a fault are what each run of the
// second half is aimed at ([scenarios.Space.Targeted]); a targeted
// counterexample replays from its seed and its cells ([Failure.Targets]).
// A policy that violated nothing ([Summary.Clean]) is vouched for only when
// no reachable cell is missing and every invariant was decided:
// [Summary.Inconclusive] says otherwise, the reports call it inconclusive,
// and `chaosrun run` exits 3. See
// [ExploreOpts.NoTargeting] for how the pilot keeps shards exact.
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
// chaosrun line where chaosrun can replay the seed ([Replay.Line]): a
// catalog policy, or a policy file named by [CheckOpts.PolicyFile]. That
// line draws the same scenario and minimises it with chaosrun's own
// shrinker: the same violation, not always the same minimal case.
//
// # A team's real code
//
// [CheckSystem] tests the code a team really runs — its executor, model
// SDK, MCP client and retry library, unchanged — against the world on the
// wire (fakes/wire): rapid draws executions and a fault schedule, and the
// body runs the code for them through a [System] handle in a
// testing/synctest bubble over an in-memory network (fakes/memnet), so
// that its sleeps and deadlines pass on the bubble's clock:
//
//	func TestOurAgent(t *testing.T) {
//		harness.CheckSystem(t, world, func(s *harness.System) {
//			for _, x := range s.Executions() {
//				s.Report(x, ourpipeline.Run(s.Context(x), s.HTTPClient(), s.ToolURLs(), x))
//			}
//		}, nil)
//	}
//
// The schedule lands at the tool boundary ([faults.Injector.Wire]) and as
// crashes of the code: the execution's context is cancelled, what its dead
// run reports is not heard, and once the body returns the hook given to
// [System.OnRestart] resumes it, one restart after the other. The history
// the checkers read is built from what the fakes saw and what the code
// reported ([invariants.WireRecord]): each request reaching its tool as an
// invocation numbered by the server, each fault after the request it hit,
// a success reply as the step's commit (its result reached the code), any
// other answer as a failure with its status and Retry-After, lookups,
// crashes, restarts and the reported ends. A step's operation id, carried
// in each request, is the business identity effects are counted by.
//
// A body that does not end by the virtual limit — deadlocked, or retrying
// for ever — is cut there ([bubble.Run]): the record taken at that instant
// makes it a terminal-state violation, and the failure shows the
// goroutines that hung. Goroutines that outlive a body whose executions all
// ended fail the case as a leak. The failure prints the shrunk case, its
// timeline and ledger ([SystemRun.Explain]) and the go test line that
// replays the seed; [SearchSystem] runs the same property quietly and
// returns the shrunk case, for tests that show a naive use caught.
//
// Determinism: a body that runs its executions one after the other gives
// the same ledger for the same case; with jitter in the team's backoff
// (openai-go's, backoff v5's: unseeded) the effects land at other virtual
// times, which [SystemRun.LedgerDigest] leaves out. Concurrent bodies are
// scheduled as the bubble's goroutines are: not deterministically.
//
// With [SystemOpts].Net the same fakes answer over loopback sockets with
// Toxiproxy in front (harness/wirenet), on real time, for code that cannot
// run in a bubble; the faults' own durations are divided by a speed-up, and
// the first failing case is reported as found, not shrunk.
//
// # Net mode
//
// Package harness/netrig runs the same scenarios over real connections (real
// HTTP, pgx and an embedded Toxiproxy); its rigs are Runners that [Explore]
// runs like the simulation. It lives apart so that this package links
// neither pgx nor Toxiproxy.
package harness
