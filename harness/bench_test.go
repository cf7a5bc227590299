package harness_test

import (
	"context"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

// fiveStep draws scenarios of one to three executions whose workflows all
// have five steps, with swarm fault schedules.
var fiveStep = rapid.Custom(func(t *rapid.T) scenarios.Scenario {
	sc := scenarios.Generator(false).Draw(t, "scenario")
	for i := range sc.Executions {
		w := &sc.Executions[i].Workflow
		for len(w.Tools) < 5 {
			w.Tools = append(w.Tools, w.Tools...)
			w.Salts = append(w.Salts, w.Salts...)
		}
		if len(w.Salts) > 0 {
			w.Salts = w.Salts[:5]
		}
		w.Tools = w.Tools[:5]
		w.Name = "five-step"
	}
	return sc
})

// BenchmarkCheckedRun measures simulated, fully checked scenario runs of
// 5-step workflows: generation is done beforehand, so the figure is the
// harness's own (simulation, history, ledger, ten checkers, reconciliation).
func BenchmarkCheckedRun(b *testing.B) {
	pool := make([]scenarios.Scenario, 1024)
	for i := range pool {
		pool[i] = fiveStep.Example(i + 1)
	}
	for _, name := range []string{"reference", "naive-backoff"} {
		e, _ := policies.Lookup(name)
		p := e.Go()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			steps := 0
			i := 0
			for b.Loop() {
				r, err := harness.Simulate(context.Background(), pool[i%len(pool)], p, nil)
				if err != nil {
					b.Fatal(err)
				}
				steps += r.Scenario.Steps()
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(float64(steps)/float64(i), "steps/run")
		})
	}
}

var _ = fmt.Sprint
