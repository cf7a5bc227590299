package harness_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// FuzzReference runs the scenario property under the fuzzer: its inputs
// drive rapid's draws, so coverage guides the search for a scenario the
// reference gets wrong. Without -fuzz it runs the seed corpus only.
//
//	go test ./harness -run '^$' -fuzz FuzzReference -fuzztime 1m
func FuzzReference(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(harness.Property(policy.Reference(), &harness.CheckOpts{AllFaults: true})))
}
