package harness_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
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

// fiveStepPool draws 1,024 scenarios of 5-step workflows (see fiveStep),
// beforehand, so that a benchmark times the harness and not generation.
func fiveStepPool(one bool) []scenarios.Scenario {
	pool := make([]scenarios.Scenario, 1024)
	for i := range pool {
		pool[i] = scenarios.Example(fiveStep(one), i+1)
	}
	return pool
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
		pool := fiveStepPool(shape.one)
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
					r.Release() // as Explore does with a run it does not keep
					i++
				}
				b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "runs/s")
				b.ReportMetric(float64(steps)/float64(i), "steps/run")
				b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "virtual/wall")
			})
		}
	}
}

// BenchmarkCheckedRunCores measures how checked runs scale from one core to
// two, in one benchmark so that both see the same machine: each iteration
// runs a batch on one goroutine under GOMAXPROCS 1 (the runs per second of
// one core, its garbage collection included), then twice the batch on two
// goroutines under GOMAXPROCS 2. It reports both rates and their ratio,
// and beside it the ratio a loop of arithmetic alone gets in the same
// iterations (spin-speedup): on a machine shared with other work, the
// second core is not always there to be had.
//
// The gc-off variants run the same with the collector off (and a
// collection between iterations, outside the timings): the pool is the
// benchmark's only live data, so the collector cycles at its minimum
// heap every few hundred runs, and those cycles, not the runs, are what
// keeps two cores from doing twice the work.
//
// A batch is 1,024 runs (about 40 ms on one core): runtime.GOMAXPROCS
// stops the world and waits for a collection under way, so with short
// phases the switch itself, not the runs, decides the ratio.
func BenchmarkCheckedRunCores(b *testing.B) {
	const batch = 1024
	for _, shape := range []struct {
		name  string
		one   bool
		gcOff bool
	}{{"one-execution", true, false}, {"1-3-executions", false, false}, {"one-execution/gc-off", true, true}, {"1-3-executions/gc-off", false, true}} {
		pool := fiveStepPool(shape.one)
		e, _ := policies.Lookup("reference")
		p := e.Go()
		b.Run(shape.name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
			if shape.gcOff {
				defer debug.SetGCPercent(debug.SetGCPercent(-1))
			}
			var one, two, spin1, spin2 time.Duration
			next := 0
			work := func(n int) {
				for range n {
					r, err := harness.Simulate(context.Background(), pool[next%len(pool)], p, nil)
					if err != nil {
						b.Error(err)
						return
					}
					r.Release()
					next++
				}
			}
			for b.Loop() {
				runtime.GOMAXPROCS(1)
				start := time.Now()
				work(batch)
				one += time.Since(start)
				runtime.GOMAXPROCS(2)
				start = time.Now()
				var wg sync.WaitGroup
				for w := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := range batch {
							sc := pool[(next+w*batch+j)%len(pool)]
							r, err := harness.Simulate(context.Background(), sc, p, nil)
							if err != nil {
								b.Error(err)
								return
							}
							r.Release()
						}
					}()
				}
				wg.Wait()
				next += 2 * batch
				two += time.Since(start)
				d1, d2 := spinCores()
				spin1, spin2 = spin1+d1, spin2+d2
				if shape.gcOff {
					runtime.GC()
				}
			}
			r1 := float64(b.N*batch) / one.Seconds()
			r2 := float64(b.N*2*batch) / two.Seconds()
			b.ReportMetric(r1, "runs/s-1core")
			b.ReportMetric(r2, "runs/s-2cores")
			b.ReportMetric(r2/r1, "speedup")
			b.ReportMetric(2*spin1.Seconds()/spin2.Seconds(), "spin-speedup")
		})
	}
}

// spinCores times a loop of arithmetic on one goroutine under GOMAXPROCS 1,
// then the same loop on each of two goroutines under GOMAXPROCS 2.
func spinCores() (one, two time.Duration) {
	const n = 2_000_000
	spin := func() uint64 {
		x := uint64(1)
		for range n {
			x = x*6364136223846793005 + 1442695040888963407
			x ^= x >> 13
		}
		return x
	}
	runtime.GOMAXPROCS(1)
	start := time.Now()
	sink := spin()
	one = time.Since(start)
	runtime.GOMAXPROCS(2)
	start = time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := spin()
			mu.Lock()
			sink ^= x
			mu.Unlock()
		}()
	}
	wg.Wait()
	two = time.Since(start)
	if sink == 42 {
		runtime.Gosched() // keeps the loops from being optimised away
	}
	return one, two
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
