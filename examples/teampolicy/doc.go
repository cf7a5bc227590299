// Package teampolicy is what a team's retry policy looks like in Go, and how
// it is put under chaosrun's harness (see policy_test.go). Copy it.
//
// The team starts from the reference decision tree, with a tighter retry
// budget (3), and adds what it knows of its own tools: enrich_contact's
// provider answers 429 with Retry-After when it is busy, having done nothing,
// so a rate-limited call to it is retried up to 8 times. Every other failure
// goes to the reference.
//
// A policy written in Go replays in its own test: the failure prints rapid's
// -rapid.seed line (or -rapid.failfile, on a rerun), which reproduces it
// with go test. Only a catalog policy or a policy file has a chaosrun replay
// line too (see harness.Replay).
package teampolicy
