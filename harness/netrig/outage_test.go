package netrig_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
	"github.com/chaosrun/chaosrun/scenarios"
)

// A real Postgres server — a private cluster, not a cut link — stops for
// three seconds, comes back, then crashes and recovers, while an
// exploration runs on it with engines in child processes: every run
// finishes with a verdict, the reference holds every invariant, every
// execution ends, the summary counts the outage, and no database is left on
// the server.
//
// The schedules fire every fault but the engine's crashes: killing engine
// processes is TestNetSurvivesSIGKILLCrashRestarts's subject, and a kill
// that lands between another execution's durable end record and the event
// that reports it loses that event from the history (the resuming engine
// does not report it again), which the checkers then misread.
func TestNetRidesOutARealPostgresOutage(t *testing.T) {
	t.Parallel()
	c := pgstoretest.NewCluster(t)
	running := make(chan struct{})
	var once sync.Once
	opts := &harness.ExploreOpts{Duration: 15 * time.Second, Workers: 2, NoShrink: true,
		NewRunner: func() (harness.Runner, error) {
			r, err := netrig.New(context.Background(), &netrig.Options{DSN: c.DSN(), Child: childProcess, Timeout: 150 * time.Millisecond,
				Observe: func(e engine.Event) {
					if e.Kind == engine.EvCommit {
						once.Do(func() { close(running) })
					}
				}})
			return noCrashes{r}, err
		}}
	outage := make(chan time.Duration, 1)
	go func() {
		<-running
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		c.Stop(t)
		time.Sleep(3 * time.Second)
		c.Start(t)
		outage <- time.Since(start)
		time.Sleep(3 * time.Second)
		c.Crash(t)
	}()
	sum, err := harness.Explore(context.Background(), policy.Reference(), opts)
	if err != nil {
		t.Fatal(err)
	}
	stopped := <-outage
	for _, e := range sum.Errors {
		t.Errorf("seed %d ended in an error: %v", e.Seed, e.Err)
	}
	for id, n := range sum.Violations {
		if n > 0 {
			t.Errorf("%d runs violated %s; first:\n%s", n, id, harness.Explain(sum.First[id].Run, id))
		}
	}
	for id, n := range sum.Unknown {
		t.Errorf("%s undecided in %d runs", id, n)
	}
	x := sum.Executions
	if sum.Runs == 0 || x.Completed+x.Compensated+x.DeadLettered+x.Failed != x.Total {
		t.Errorf("%d runs, executions %+v: every execution should have ended", sum.Runs, x)
	}
	if sum.Outages.Count() < 1 || sum.Outages.Longest() < stopped-time.Second {
		t.Errorf("the summary counts %d outages, the longest %s; the server was stopped for %s", sum.Outages.Count(), sum.Outages.Longest(), stopped)
	}
	if left := c.Databases(t, netrig.Prefix); len(left) > 0 {
		t.Errorf("databases left on the server: %v", left)
	}
	t.Logf("%d runs, %+v; %d outages, the longest %s (stopped for %s)", sum.Runs, x, sum.Outages.Count(), sum.Outages.Longest(), stopped.Round(time.Millisecond))
}

// noCrashes runs scenarios on a rig without the engine's crashes.
type noCrashes struct{ *netrig.Rig }

func (r noCrashes) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	sc.Faults.Rates[faults.Crash] = 0
	return r.Rig.Run(ctx, sc, p)
}
