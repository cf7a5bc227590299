// Package memstore is the in-memory implementation of the storage port, the
// embedded default. It keeps the port's whole contract — atomic commits,
// tenant isolation, exclusive claims — in one process, and it passes the same
// conformance suite as the Postgres store.
package memstore
