// Package netrig is chaosrun's net mode: it runs the same scenarios and the
// same fault schedules as the simulation (package harness), over real
// connections.
//
// A [Rig] serves the fake world over HTTP on loopback (fakes/fakehttp),
// puts an embedded Toxiproxy in front of every tool of every execution and
// in front of Postgres (faults/toxics), and runs engines that speak HTTP and
// pgx through it. On Postgres the engine can run as a child process
// ([ChildMain]) that the rig kills with SIGKILL at crash points and starts
// again, resuming from Postgres. Backoff runs on a [ScaledClock]; network
// timeouts are real. A rig is a [harness.Runner]: [harness.Explore] runs it
// as it runs the simulation.
//
// This package is apart from harness so that a team that imports harness
// for [harness.Check] links neither pgx nor Toxiproxy.
package netrig
