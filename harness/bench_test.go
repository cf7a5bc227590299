package harness_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

// fiveStep draws scenarios whose workflows all have five steps, with swarm
// fault schedules; with one, a single execution, otherwise 1 to 3
// interleaved executions.
func fiveStep(one bool) *rapid.Generator[scenarios.Scenario] {
	return rapid.Custom(func(t *rapid.T) scenarios.Scenario {
		sc := scenarios.Generator(false).Draw(t, "scenario")
		if one {
			sc.Executions = sc.Executions[:1]
		}
		for i := range sc.Executions {
			w := &sc.Executions[i].Workflow
			for len(w.Tools) < 5 {
				w.Tools = append(w.Tools, w.Tools...)
				w.Salts = append(w.Salts, w.Salts...)
			}
			if len(w.Salts) > 0 {
				w.Salts = w.Salts[:5]
			}
			w.Tools, w.Name = w.Tools[:5], "five-step"
		}
		return sc
	})
}

// BenchmarkCheckedRun measures simulated, fully checked runs of 5-step
// workflows: generation is done beforehand, so the figures are the
// harness's own (simulation, history, ledger, reconciliation, ten
// checkers). It reports runs per second, steps per run, the ratio of
// virtual to wall time, and allocations per run.
func BenchmarkCheckedRun(b *testing.B) {
	for _, shape := range []struct {
		name string
		one  bool
	}{{"one-execution", true}, {"1-3-executions", false}} {
		pool := make([]scenarios.Scenario, 1024)
		for i := range pool {
			pool[i] = scenarios.Example(fiveStep(shape.one), i+1)
		}
		for _, name := range []string{"reference", "naive-backoff"} {
			e, _ := policies.Lookup(name)
			p := e.Go()
			b.Run(shape.name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				steps, i := 0, 0
				var virtual time.Duration
				for b.Loop() {
					r, err := harness.Simulate(context.Background(), pool[i%len(pool)], p, nil)
					if err != nil {
						b.Fatal(err)
					}
					steps += r.Scenario.Steps()
					virtual += r.Virtual
					i++
				}
				b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "runs/s")
				b.ReportMetric(float64(steps)/float64(i), "steps/run")
				b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "virtual/wall")
			})
		}
	}
}

// BenchmarkTimeToFirstCounterexample measures, for each mistake, the wall
// time from a fresh seed to the first run that violates one of the
// invariants it must break (one worker), and to that counterexample
// shrunk. Each iteration starts from another seed; the medians are
// reported.
func BenchmarkTimeToFirstCounterexample(b *testing.B) {
	for _, e := range policies.Catalog()[1:] {
		b.Run(e.Name, func(b *testing.B) {
			p := e.Go()
			var find, shrunk []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				seed, id := firstViolation(b, e, uint64(i)*100_003+1)
				find = append(find, time.Since(start))
				if _, err := harness.Shrink(context.Background(), p, seed, id, nil); err != nil {
					b.Fatal(err)
				}
				shrunk = append(shrunk, time.Since(start))
			}
			b.ReportMetric(median(find), "median-ms-to-find")
			b.ReportMetric(median(shrunk), "median-ms-to-shrunk")
		})
	}
}

func firstViolation(b *testing.B, e policies.Entry, seed uint64) (uint64, invariants.ID) {
	p := e.Go()
	for end := seed + 100_000; seed < end; seed++ {
		r, err := harness.Simulate(context.Background(), scenarios.Seeded(seed, false), p, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range e.CaughtBy {
			if r.Result(id).Status == invariants.Violated {
				return seed, id
			}
		}
	}
	b.Fatalf("%s: no counterexample in 100,000 seeds", e.Name)
	return 0, ""
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}
