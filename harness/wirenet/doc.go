// Package wirenet serves the wire fakes (fakes/wire) over loopback sockets
// with Toxiproxy in front of every host, for code that cannot run in a
// testing/synctest bubble: a client that builds its own dialer, gRPC to a
// real server, anything blocked on real I/O. It is harness.CheckSystem's
// net mode:
//
//	n, err := wirenet.New(nil)
//	...
//	defer n.Close()
//	harness.CheckSystem(t, world, body, &harness.SystemOpts{Net: n})
//
// Each case's hosts listen on 127.0.0.1 behind a proxy of their own; the
// endpoints the code is given are the proxies'. The faults are the same
// as in a bubble, carried out by the fake servers (a status, a reply held
// or reset, a stream cut) — except an outage, which also cuts the tool's
// proxy for its window, so that every connection to it is reset for real
// and nothing reaches it —
// and Opts.Latency adds a latency toxic to every reply. Time is real: the
// harness divides the faults' own durations (Retry-After, held replies,
// outages) by its net speed-up, and the code's backoff runs on the wall
// clock.
//
// Over a proxy, the physics are a proxy's: a reset the server sends
// reaches the client as Toxiproxy closing its side, which the client may
// read as an EOF rather than ECONNRESET. The schedule is the same; what
// the code observes can differ from the bubble's, as on a real network.
//
// This package links Toxiproxy; the harness does not, so that a team that
// runs its code in a bubble only never builds it.
package wirenet
