// Command chaosrun proves or refutes a retry setup against the failures of
// AI-agent pipelines: it runs generated scenarios with faults at every phase
// under a policy, checks eleven invariants over the recorded history, and
// reports each violation with a minimal counterexample that replays.
//
// Run it without arguments to compare the reference architecture with the
// seven classic mistakes; see `chaosrun help` for the commands.
//
// # Exit status
//
//   - 0: ok (compare always, unless an error stops it);
//   - 1: run or replay: a policy violated an invariant;
//   - 2: bad usage or bad input, or runs that ended in an error;
//   - 3: run: inconclusive — no invariant was violated, but some reachable
//     cell of the fault model (tenant x tool x phase x fault kind) never
//     received a fault, or some invariant stayed undecided in some run;
//     stderr and the reports say which. A violation (1) wins over it.
package main
