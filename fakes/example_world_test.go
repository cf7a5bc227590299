package fakes_test

import (
	"context"
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// The world records the ground truth of every effect: a charge made twice
// under one idempotency key happens once; twice without a key.
func ExampleWorld() {
	w := fakes.NewWorld(nil)
	ctx := context.Background()
	charge := engine.Call{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1"}, Tool: fakes.CreateCharge, Key: "key:acme/e1/0", Payload: "request=acme:invoice 42\n"}
	w.Invoke(ctx, charge)
	w.Invoke(ctx, charge)
	charge.Key, charge.Step = "", 1
	w.Invoke(ctx, charge)
	w.Invoke(ctx, charge)
	for _, e := range w.Ledger().Effects() {
		fmt.Println(e.Kind, e.Op, e.Ref, e.CostCents)
	}
	// Output:
	// applied acme/e1 step 0 create_charge-1 4186
	// applied acme/e1 step 1 create_charge-2 4186
	// applied acme/e1 step 1 create_charge-3 4186
}
