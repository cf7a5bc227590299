package faults_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/faults"
)

// A schedule's faults at the tool boundary of a team's real code: every
// call of create_charge meets a 429 (rate-limit at 1000‰), and the
// injector records each one.
func ExampleInjector_Wire() {
	s := faults.Schedule{Seed: 1}
	s.Rates[faults.RateLimit] = 1000
	in := faults.NewInjector(s, nil, func(a faults.Applied) { fmt.Println("recorded:", a.Kind, "attempt", a.Attempt) })
	w := in.Wire(nil)
	op := fakes.Op{Tenant: fakes.Acme, Exec: "e1", Step: 0, Sub: -1}
	for attempt := 1; attempt <= 2; attempt++ {
		f := w.Fault(wire.Site{Phase: wire.Call, Tool: fakes.CreateCharge, Op: op, Attempt: attempt, Tenant: fakes.Acme})
		fmt.Println(f.Kind, f.RetryAfter > 0)
	}
	// Output:
	// recorded: rate-limit attempt 1
	// rate-limit true
	// recorded: rate-limit attempt 2
	// rate-limit true
}
