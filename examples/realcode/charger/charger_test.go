package charger_test

import (
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/examples/realcode/charger"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/worlds"
)

func shop(t *testing.T) *worlds.World {
	t.Helper()
	w, err := worlds.Load("../testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// body checks every order out, one after the other, and again when a
// crash abandoned it. A keyed checkout that gives up is dead-lettered: its
// last charge may have landed.
func body(keyed bool) func(*harness.System) {
	return func(s *harness.System) {
		cfg := charger.Config{HTTP: s.HTTPClient(), Tools: s.ToolURLs(), Keyed: keyed}
		run := func(x harness.Execution) {
			var steps []charger.Step
			for _, st := range x.Steps {
				steps = append(steps, charger.Step{Tool: st.Tool, Op: st.Op, Args: st.Args})
			}
			err := charger.Checkout(s.Context(x), cfg, steps)
			if err != nil && keyed {
				err = harness.DeadLettered(err)
			}
			s.Report(x, err)
		}
		s.OnRestart(run)
		for _, x := range s.Executions() {
			run(x)
		}
	}
}

// go-retryablehttp's default client retries a POST on the 502 answered
// after the charge landed: caught by no-duplicate-side-effects.
func TestTheDefaultClientChargesTwice(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}}
	run, id, err := harness.SearchSystem(t, shop(t), body(false), 1, 200, opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects {
		t.Fatal("the default client passed 200 cases")
	}
	t.Logf("caught:\n%s", run.Explain(id))
}

// With the operation id as the Idempotency-Key, the same client is clean
// over 200 generated cases.
func TestWithKeysTheClientIsClean(t *testing.T) {
	t.Parallel()
	run, id, err := harness.SearchSystem(t, shop(t), body(true), 1, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run != nil {
		t.Fatalf("the keyed client failed (%s):\n%s", id, run.Failure(nil))
	}
}

// Among the ways it charges twice is the one its defaults spell out: a
// POST retried on a 502 that was answered after the charge landed.
func TestTheDefaultClientRetriesAPostOn502(t *testing.T) {
	t.Parallel()
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 200; seed++ {
		sc := space.Seeded(seed, false)
		sc.Faults.Rates = [len(sc.Faults.Rates)]uint16{}
		sc.Faults.Rates[faults.ErrorAfter] = 120 // statuses 500 and 502 after the effect
		run, err := harness.RunSystem(t, w, sc, body(false), nil)
		if err != nil {
			t.Fatal(err)
		}
		res := run.Result(invariants.NoDuplicateSideEffects)
		if res.Status != invariants.Violated {
			continue
		}
		dup := res.Violations[0]
		for _, e := range run.History.Events {
			if e.Kind == engine.EvFault && e.Exec == dup.Exec && e.Step == dup.Step && strings.Contains(e.Detail, "status 502 after the tool acted") {
				return
			}
		}
	}
	t.Fatal("no charge was retried after a 502 in 200 cases")
}
