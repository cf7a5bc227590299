package netrig_test

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
	"github.com/chaosrun/chaosrun/scenarios"
)

// The shape of `chaosrun run --mode net --runs 200`: eight rigs
// (cmd/chaosrun's netWorkers), 200 seeds from 1 in each iteration.
const (
	netWorkers = 8
	netBatch   = 200
	netSeeds   = 200
)

// BenchmarkNetRuns measures net mode as `chaosrun run --mode net` runs it:
// the same explorations (harness.Explore over rigs, eight at once, swarm
// scenarios from seed 1, no shrinking), in memory with the engine in this
// process, and on Postgres (CHAOS_PG_DSN) with the engine in child
// processes killed with SIGKILL at crash points. The rigs are made once,
// outside the timer, as the command makes them once per policy; each
// iteration explores netBatch seeds. It reports runs per second, and the CPU time per run of
// this process and of the engine processes it waited for (the Postgres
// server's own is not counted).
func BenchmarkNetRuns(b *testing.B) {
	for _, st := range []struct {
		name string
		opts func(b *testing.B) *netrig.Options
	}{
		{"memory", func(*testing.B) *netrig.Options { return &netrig.Options{} }},
		{"postgres", func(b *testing.B) *netrig.Options {
			return &netrig.Options{DSN: pgstoretest.DSN(b), Child: childProcess}
		}},
	} {
		for _, name := range []string{"reference", "naive-backoff"} {
			b.Run(st.name+"/"+name, func(b *testing.B) {
				e, err := policies.Lookup(name)
				if err != nil {
					b.Fatal(err)
				}
				p := e.Go()
				var all []harness.Runner
				for range netWorkers {
					r, err := netrig.New(context.Background(), st.opts(b))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = r.Close() })
					all = append(all, kept{r})
				}
				var next atomic.Int64 // each phase's workers take one rig each
				opts := &harness.ExploreOpts{Workers: netWorkers, NoShrink: true, Runs: netBatch,
					NewRunner: func() (harness.Runner, error) { return all[int(next.Add(1))%len(all)], nil }}
				runs, errs, violated := 0, 0, 0
				cpu0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					opts.Seed = 1 + uint64(i*netBatch%netSeeds)
					sum, err := harness.Explore(context.Background(), p, opts)
					if err != nil {
						b.Fatal(err)
					}
					runs += sum.Runs
					errs += len(sum.Errors)
					for _, e := range sum.Errors {
						b.Logf("iteration %d: seed %d: %v", i, e.Seed, e.Err)
					}
					for _, n := range sum.Violations {
						violated += n
					}
				}
				cpu := cpuTime() - cpu0
				if errs > 0 {
					b.Errorf("%d runs ended in an error", errs)
				}
				b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
				b.ReportMetric(float64(cpu.Milliseconds())/float64(runs), "cpu-ms/run")
				b.ReportMetric(float64(violated)/float64(runs), "violations/run")
			})
		}
	}
}

// kept is a rig that an exploration does not close (it is not an
// io.Closer): the benchmark hands it to the next one.
type kept struct{ r *netrig.Rig }

func (k kept) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	return k.r.Run(ctx, sc, p)
}

// cpuTime is the CPU time, user and system, of this process and of the
// children it waited for.
func cpuTime() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return t
}
