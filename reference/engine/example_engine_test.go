package engine_test

import (
	"context"
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
)

// An engine on the embedded store runs one workflow for a tenant against the
// fake world: each step is begun, invoked, written to a new context version
// and committed, once.
func Example() {
	ctx := context.Background()
	world := fakes.NewWorld(nil)
	st := memstore.New()
	eng, err := engine.New(st, fakes.Registry(), policy.Reference(), world,
		&engine.Opts{Downstream: world, Contracts: fakes.Contracts{}})
	if err != nil {
		panic(err)
	}
	x := store.Execution{
		Tenant: "acme", Exec: "invoice-42", Workflow: "invoice-billing",
		Steps: []store.Step{
			{Tool: fakes.InsertRecord, Writes: []string{"invoice"}},
			{Tool: fakes.CreateCharge, Writes: []string{"charge"}},
			{Tool: fakes.SendEmail, Writes: []string{"receipt"}},
		},
		Input: map[string]string{"request": "acme:request:bill order 42"},
	}
	if err := eng.Start(ctx, x); err != nil {
		panic(err)
	}
	status, err := eng.Run(ctx, x.Tenant, x.Exec)
	if err != nil {
		panic(err)
	}
	fmt.Println(status)
	snap, err := st.Load(ctx, x.Tenant, x.Exec)
	if err != nil {
		panic(err)
	}
	for _, c := range snap.Commits {
		fmt.Printf("step %d %s: attempt %d, context v%d, ref %s\n", c.Step, x.Steps[c.Step].Tool, c.Attempt, c.Context.Version, c.Result.Ref)
	}
	// Output:
	// completed
	// step 0 insert_record: attempt 1, context v1, ref insert_record-1
	// step 1 create_charge: attempt 1, context v2, ref create_charge-2
	// step 2 send_email: attempt 1, context v3, ref send_email-3
}
