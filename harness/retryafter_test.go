package harness_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
)

// The reference with one change — its backoff ignores Retry-After — is
// caught by retry-after-honored: a rate-limited tool is called again before
// it said to come back. (The reference itself holds the invariant: see
// TestReferenceHoldsEveryInvariantUnderEveryFault.)
func TestIgnoringRetryAfterIsCaught(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../policies/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const honour = "jitter: full}"
	if !strings.Contains(string(data), honour) {
		t.Fatalf("reference.yaml has no %q to amend", honour)
	}
	text := strings.Replace(strings.Replace(string(data), "name: reference", "name: impatient", 1), honour, "jitter: full, retry_after: ignore}", 1)
	p, err := policies.Parse("impatient.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s := explore(t, p, &harness.ExploreOpts{Runs: 300, NoShrink: true})
	if s.Violations[invariants.RetryAfterHonored] == 0 {
		t.Fatalf("a backoff that ignores Retry-After held retry-after-honored in %d runs", s.Runs)
	}
	f := s.First[invariants.RetryAfterHonored]
	if msg := harness.Explain(f.Run, invariants.RetryAfterHonored); !strings.Contains(msg, "too soon") {
		t.Fatalf("the violation does not say how much too soon:\n%s", msg)
	}
}
