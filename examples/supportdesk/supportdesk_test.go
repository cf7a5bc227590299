package supportdesk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/worlds"
)

func load(t *testing.T) (*worlds.World, policy.Policy) {
	t.Helper()
	w, err := worlds.Load("world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policies.LoadFor(w, "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w, p
}

// The reference holds every invariant in the support desk's world.
func TestTheReferenceHoldsInOurWorld(t *testing.T) {
	t.Parallel()
	w, _ := load(t)
	s, err := harness.Explore(context.Background(), policy.Reference(), &harness.ExploreOpts{World: w, Runs: 300, NoShrink: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range invariants.IDs() {
		if n := s.Violations[id]; n > 0 {
			t.Errorf("the reference violated %s in %d runs:\n%s", id, n, harness.Explain(s.First[id].Run, id))
		}
	}
}

// The team's middleware duplicates what one of its own tools did, and the
// counterexample says which.
func TestOurMiddlewareIsCaught(t *testing.T) {
	t.Parallel()
	w, p := load(t)
	s, err := harness.Explore(context.Background(), p, &harness.ExploreOpts{World: w, Runs: 300})
	if err != nil {
		t.Fatal(err)
	}
	f := s.First[invariants.NoDuplicateSideEffects]
	if f == nil {
		t.Fatalf("the middleware was not caught duplicating anything: %v", s.Violations)
	}
	own := false
	for _, tool := range w.ToolNames() {
		own = own || strings.Contains(f.Violation.Message, "("+tool+")")
	}
	if !own {
		t.Errorf("the counterexample names none of the world's tools: %s", f.Violation.Message)
	}
	t.Logf("%d-step counterexample: %s", f.Steps(), f.Violation.Message)
}
