package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
)

// Runs that ended in an error make the command fail after its reports are
// written, naming how many and the first; none, nothing.
func TestRunErrorsFailTheCommandAndNameTheFirst(t *testing.T) {
	t.Parallel()
	clean := &harness.Summary{Policy: "reference", Runs: 10}
	if err := runErrors([]*harness.Summary{clean}); err != nil {
		t.Fatalf("no run error: %v", err)
	}
	broken := &harness.Summary{Policy: "ours", Runs: 8, Errors: []harness.RunError{
		{Seed: 3, Err: errors.New("seed 3: the store has been unavailable for 2m0s")}, {Seed: 7, Err: errors.New("seed 7: x")}}}
	err := runErrors([]*harness.Summary{clean, broken})
	if err == nil || !strings.Contains(err.Error(), "2 runs ended in an error") || !strings.Contains(err.Error(), "ours, seed 3: the store") {
		t.Fatalf("got %v, want the count and the first error with its policy", err)
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, errViolations) {
		t.Fatalf("%v is neither bad usage nor a violation: it exits 2 with no hint", err)
	}
}
