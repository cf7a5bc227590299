// Command chaosrun proves or refutes a retry setup against the failures of
// AI-agent pipelines: it runs generated scenarios with faults at every phase
// under a policy, checks eleven invariants over the recorded history, and
// reports each violation with a minimal counterexample that replays.
//
// Run it without arguments to compare the reference architecture with the
// seven classic mistakes; see `chaosrun help` for the commands.
package main
