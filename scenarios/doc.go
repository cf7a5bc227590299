// Package scenarios holds what chaosrun runs: the seven workflows of the
// classic mistakes and ticket-triage, and pgregory.net/rapid generators of workflows (1-8
// steps over the tool catalog), tenants, interleaved executions of different
// tenants, and fault schedules.
//
// A [Scenario] is a set of executions that run interleaved in one world,
// plus the fault schedule that hits them. [Generator] draws scenarios;
// because generators shrink toward the first entry of each choice, the
// catalog's order matters: the harmless vector_search comes first among
// tools, a disabled fault kind is false, a non-ambiguous request is the
// minimum, so a shrunk counterexample keeps only what the failure needs.
//
// [Of] turns a seed into the same scenario every time, in and out of tests:
// it is the first case rapid draws for that seed, so `chaosrun replay --seed
// S` and `go test -rapid.seed=S` start from the same scenario.
package scenarios
