// Package faults is chaosrun's fault model: one [Schedule] type that says
// which faults fire where, drawn from a seed, and an [Injector] that applies
// a schedule to one run in-process (sim mode).
//
// # Where faults land
//
// A fault point exists at every phase of every step:
//
//   - pre-execution: refused connection, 503, 429 with Retry-After — the tool does not act;
//   - mid-execution: the tool acts and the response is lost (timeout, reset), or a
//     model's stream is cut after k chunks reached the downstream consumer;
//   - post-execution: a complete response that cannot be handled, a checkpoint
//     commit that fails, or one that lands while the engine is told it failed;
//   - inside the context write (some keys written, then the failure);
//   - an engine crash at any point of an attempt, after which the harness
//     rebuilds the engine from the store;
//   - store faults on the begin record and on the commit;
//   - semantic faults: registry drift for one tenant, a tool that double-delivers,
//     a tool that acknowledges and loses the write.
//
// # Determinism and swarm testing
//
// A schedule is a seed and a rate per [Kind]; a zero rate turns the kind
// off, so each generated schedule enables a random subset of kinds (swarm
// testing: a run with fewer kinds active goes deeper into the ones it has).
// Whether a kind fires at a site is decided by a hash of (seed, kind, site)
// alone: every site draws from its own stream, so adding a site, or a step,
// does not shift what the others draw, and shrinking a rate only removes
// faults. The same schedule on the same scenario fires the same faults.
//
// In net mode the same schedule decides when Toxiproxy toxics are added and
// removed (faults/toxics, which asks an Injector whether a kind fires at a
// site: sites are built by its named constructors, never by hand, so that
// both modes draw from the same ones); toxiproxy's own randomness is never
// used (toxicity stays 1). The faults a tool itself carries out — an
// outage ([Injector.Down]), a zombie ([Injector.Hold], [Injector.Release],
// [Injector.LandOn]), an error or a rejection after the effect
// ([Injector.AfterEffect]) — are asked by the simulation's invoker and by
// net mode's tool servers alike, in the same order. Each kind's facts — name, phase, one-line doc,
// the highest rate the generators draw — are one table, in kind.go.
//
// # Coverage
//
// A [Cell] is a kind of fault landing on a tenant's calls of one tool; a
// run hits the cells its faults land in. [Reachable] lists the cells a run
// can hit in a world, by the rules the [Injector] and the fakes apply to
// each call ([Reaches]): what the harness's coverage is judged against, and
// what a scenario aimed at a cell raises to its [TargetRate].
package faults
