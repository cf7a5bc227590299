package harness_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// failing is a Runner whose runs of some seeds end in an error, as a net
// rig's do when the store does not come back; each of its runs saw an
// outage of its own.
type failing struct{ fails map[uint64]bool } // by the scenarios' fault seeds

var errGone = errors.New("the store did not come back")

type withOutages struct {
	error
	o harness.Outages
}

func (e withOutages) Unwrap() error            { return e.error }
func (e withOutages) Outages() harness.Outages { return e.o }

func (f failing) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	// Each scenario its own outage: two scenarios may share a fault seed.
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(splitmix.String(0, sc.String())%1e6) * 10 * time.Second)
	var o harness.Outages
	o.Add(t0, t0.Add(time.Second))
	if f.fails[sc.Faults.Seed] {
		return nil, withOutages{errGone, o}
	}
	run, err := harness.Simulate(ctx, sc, p, nil)
	if run != nil {
		run.Outages = o
	}
	return run, err
}

// One run's error does not discard the others: the exploration goes on,
// counts the run as an error with its seed, and keeps the outages it saw.
func TestExplorationGoesOnPastARunsError(t *testing.T) {
	t.Parallel()
	r := failing{fails: map[uint64]bool{scenarios.Seeded(3, false).Faults.Seed: true, scenarios.Seeded(7, false).Faults.Seed: true}}
	sum, err := harness.Explore(context.Background(), policy.Reference(), &harness.ExploreOpts{Runs: 10, Workers: 3, NoShrink: true,
		NewRunner: func() (harness.Runner, error) { return r, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Runs != 8 || len(sum.Errors) != 2 {
		t.Fatalf("%d runs and %d errors, want 8 and 2", sum.Runs, len(sum.Errors))
	}
	for i, seed := range []uint64{3, 7} {
		if e := sum.Errors[i]; e.Seed != seed || !errors.Is(e.Err, errGone) {
			t.Errorf("error %d: seed %d, %v; want seed %d, in seed order", i, e.Seed, e.Err, seed)
		}
	}
	if sum.Outages.Count() != 10 || sum.Outages.Longest() != time.Second {
		t.Errorf("%d outages, the longest %s; want the 10 every run saw, errors included", sum.Outages.Count(), sum.Outages.Longest())
	}
}
