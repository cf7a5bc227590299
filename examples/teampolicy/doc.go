// Package teampolicy is what a team's retry policy looks like in Go, and how
// it is put under chaosrun's harness (see policy_test.go). Copy it.
//
// The team starts from the reference decision tree and adds what it knows of
// its own tools: enrich_contact's provider documents that a request which
// timed out was never billed, so a timeout on it may be retried once.
package teampolicy
