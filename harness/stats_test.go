package harness_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/harness"
)

// TestCostTellsChargesFromPaidCalls: a charge applied twice is money taken
// twice from a customer; an enrichment or a paid webhook applied twice is
// money the team paid twice. Each lands in its own sum.
func TestCostTellsChargesFromPaidCalls(t *testing.T) {
	t.Parallel()
	twice := func(tenant, tool string, cents int) []fakes.Effect {
		op := fakes.Op{Tenant: tenant, Exec: tool, Step: 1, Sub: -1}
		return []fakes.Effect{
			{Kind: fakes.Applied, Op: op, Tool: tool, Ref: tool + "-1", CostCents: cents},
			{Kind: fakes.Applied, Op: op, Tool: tool, Ref: tool + "-2", CostCents: cents},
		}
	}
	cases := []struct {
		name          string
		effects       []fakes.Effect
		charges, cost int
	}{
		{"a charge", twice(fakes.Acme, fakes.CreateCharge, 700), 700, 0},
		{"an enrichment", twice(fakes.Acme, fakes.EnrichContact, 2), 0, 2},
		{"globex's paid webhook", twice(fakes.Globex, fakes.PublishReport, 50), 0, 50},
		{"all three", append(append(twice(fakes.Initech, fakes.CreateCharge, 900), twice(fakes.Initech, fakes.EnrichContact, 2)...),
			twice(fakes.Globex, fakes.PublishReport, 50)...), 900, 52},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			run := &harness.Run{Ledger: fakes.NewLedger(c.effects)}
			got := run.Cost()
			if got.DuplicateChargesCents != c.charges || got.DuplicateCostCents != c.cost || got.DuplicateEffects != len(c.effects)/2 {
				t.Errorf("charges %d, cost %d, duplicates %d; want %d, %d, %d",
					got.DuplicateChargesCents, got.DuplicateCostCents, got.DuplicateEffects, c.charges, c.cost, len(c.effects)/2)
			}
		})
	}
}
