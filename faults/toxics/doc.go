// Package toxics embeds Toxiproxy (github.com/Shopify/toxiproxy/v2, as a
// library) to put real network faults between the engine and the tools, and
// between the engine and Postgres — connections reset, replies held until
// the client's timeout, connections reset after the request arrived, streams
// cut after a number of bytes — and maps chaosrun's fault schedule onto them.
//
// A [Server] runs in the harness's process and owns the proxies; a [Control]
// adds and removes toxics through Toxiproxy's HTTP API, from that process or
// from an engine running as a child process. An [Injector] is the net-mode
// counterpart of the simulation's faults.Injector: the same kinds at the
// same sites, carried out by toxics. This package is apart from faults so
// that the simulation links no network stack.
//
// # A cut link keeps its port
//
// Toxiproxy's own way to cut a proxy, disabling it, closes its listener:
// until it is enabled again any process may bind the port, and then either
// the proxy cannot listen again or a client talks to whatever took the port.
// [Control.Cut] never disables a proxy: it adds reset_peer toxics on both
// streams, which reset every connection, open or new, at its first byte
// (Toxiproxy applies a toxic to the connections it already carries as well
// as to new ones), while the proxy keeps its listener.
//
// # Determinism
//
// Toxiproxy decides whether a toxic applies with its own unseeded
// randomness unless the toxicity is 1. Every toxic here has toxicity 1: the
// seeded fault schedule decides when a toxic is added and removed, and
// Toxiproxy only carries it out.
package toxics
