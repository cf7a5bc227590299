package teampolicy_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/examples/teampolicy"
	"github.com/chaosrun/chaosrun/harness"
)

// TestOurRetryPolicy runs rapid-generated scenarios — interleaved executions
// of several tenants, faults at every phase, crashes — under the team's
// policy and fails with a minimal counterexample if any invariant breaks.
func TestOurRetryPolicy(t *testing.T) {
	harness.Check(t, teampolicy.New(), nil)
}
