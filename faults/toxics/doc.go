// Package toxics embeds Toxiproxy (github.com/Shopify/toxiproxy/v2, as a
// library) to put real network faults between the engine and the tools, and
// between the engine and Postgres: connections refused, replies held until
// the client's timeout, connections reset after the request arrived, streams
// cut after a number of bytes.
//
// A [Server] runs in the harness's process and owns the proxies; a [Control]
// adds and removes toxics through Toxiproxy's HTTP API, from that process or
// from an engine running as a child process.
//
// # Determinism
//
// Toxiproxy decides whether a toxic applies with its own unseeded
// randomness unless the toxicity is 1. Every toxic here has toxicity 1: the
// seeded fault schedule decides when a toxic is added and removed, and
// Toxiproxy only carries it out.
package toxics
