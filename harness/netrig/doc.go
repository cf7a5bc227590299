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
// timeouts are real.
//
// Every fault kind of the schedule has its form over real connections:
// toxics on the engine's links, the tool servers' own answers (an outage's
// 503s timed on the run's clock, a zombie's request held unanswered and
// landed when its operation is called again — or by the rig once the
// engines stopped —, 500 or 502 and 422 rejections after the tool acted, a
// garbled final record), the world's own quirks (lookups that lag or miss,
// per the attempt each lookup names), and the engine's own points. A rig is a [harness.Runner]: [harness.Explore] runs it
// as it runs the simulation.
//
// This package is apart from harness so that a team that imports harness
// for [harness.Check] links neither pgx nor Toxiproxy.
//
// # Postgres going away
//
// A night's run must not be lost to a database blip. The server a DSN names
// must let a rig in when it starts ([ErrPostgresUnreachable],
// [ErrPostgresRefused] otherwise); after that, every part waits out an
// outage — the server stopped, restarted, crashed. The engines retry the
// store after each error; an engine process waits for its store as it
// starts; the reconciliation pass, and making and dropping the rig's
// database, try again with backoff for up to the rig's patience. A probe
// asks the server every 100ms, over a connection of its own that passes no
// proxy, and each run reports when it did not answer ([harness.Run]'s
// Outages): the faults' cuts of the engines' links are not outages. A run
// that cannot finish because the server stays away ends in an error, which
// the exploration records and goes past.
//
// # Throwaway databases
//
// Each rig works in a database of its own, a pgstore.Throwaway named
// chaosrun_net_<maker>_<random>, dropped on Close. A rig killed before it
// could drop it leaves it behind; every rig drops, as it starts, those whose
// maker has provably ended (pgstore.SweepThrowaways), and never one of a
// live process.
//
// # Engine processes
//
// An engine process runs one run's spec after another, keeping its
// Postgres pools (their idle connections pinged between runs, those a run's
// faults broke dropped), until a crash point has it killed; the rig starts
// another for the next spec. A rig likewise keeps its tool servers, its
// proxies (bare between runs) and its own pool from run to run: a run opens
// no listener and few connections of its own.
//
// An engine process dies with the harness that started it (Linux's
// parent-death signal), and gets a policy file compiled (the
// *policy.Rules), never its path: a file edited while the run goes on
// changes nothing. A kill at one execution's crash point is a crash of every
// attempt the process had in flight, and is recorded as such.
package netrig
