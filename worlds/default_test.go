package worlds_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// umbrella is a tenant neither world knows: it sees every tool as described.
const umbrella = "umbrella"

// TestDefaultIsTodaysWorld holds default.yaml to the fixed world it
// replaces, field by field: the registry (every entry, every tenant's),
// the contracts, the truths, the names and the catalog's workflows.
func TestDefaultIsTodaysWorld(t *testing.T) {
	t.Parallel()
	w := worlds.Default()
	reg, err := w.Registry()
	if err != nil {
		t.Fatal(err)
	}
	want := fakes.Registry()
	if got := reg.Tools(); !slices.Equal(got, want.Tools()) {
		t.Errorf("registered tools %v, want %v", got, want.Tools())
	}
	if got := reg.Tenants(); !slices.Equal(got, want.Tenants()) {
		t.Errorf("tenants with entries of their own %v, want %v", got, want.Tenants())
	}
	facts := fakes.NewLedger(nil).Facts()
	for _, tool := range want.Tools() {
		gb, _ := reg.Base(tool)
		wb, _ := want.Base(tool)
		if gb != wb {
			t.Errorf("%s: entry\n  %+v\nwant\n  %+v", tool, gb, wb)
		}
		for _, tenant := range append(fakes.TenantNames, umbrella) {
			ge, _ := reg.Lookup(tool, tenant)
			we, _ := want.Lookup(tool, tenant)
			if ge != we {
				t.Errorf("%s for %s: entry\n  %+v\nwant\n  %+v", tool, tenant, ge, we)
			}
			if got, want := w.Truth(tenant, tool), facts.Truth(tenant, tool); got != worlds.Truth(want) {
				t.Errorf("%s for %s: truth %+v, want %+v", tool, tenant, got, want)
			}
			if got, want := w.Contract(tenant, tool), (fakes.Contracts{}).Contract(tenant, tool); got != want {
				t.Errorf("%s for %s: contract %q, want %q", tool, tenant, got, want)
			}
		}
	}
	if got := w.ToolNames(); !slices.Equal(got, fakes.StepTools) {
		t.Errorf("tools %v, want %v", got, fakes.StepTools)
	}
	if got := w.GeneratedTools(); !slices.Equal(got, fakes.StepTools) {
		t.Errorf("generated workflows draw from %v, want %v", got, fakes.StepTools)
	}
	if got := w.TenantNames(); !slices.Equal(got, fakes.TenantNames) {
		t.Errorf("tenants %v, want %v", got, fakes.TenantNames)
	}
	for _, tn := range w.Tenants {
		if want := fakes.TenantDescription(tn.Name); tn.Description != want {
			t.Errorf("%s: description %q, want %q", tn.Name, tn.Description, want)
		}
	}
	catalog := scenarios.Catalog()
	if len(w.Workflows) != len(catalog) {
		t.Fatalf("%d workflows, want %d", len(w.Workflows), len(catalog))
	}
	for i, wf := range w.Workflows {
		if wf.Name != catalog[i].Name || !slices.Equal(wf.Steps, catalog[i].Tools) || wf.Weight != 0 {
			t.Errorf("workflow %d: %s %v weight %d, want %s %v weight 0", i, wf.Name, wf.Steps, wf.Weight, catalog[i].Name, catalog[i].Tools)
		}
	}
}

// clock is a virtual clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestDefaultDescribesTheFakes holds the numbers of default.yaml's specs
// to what the fakes really do: the costs a call is charged (a range drawn
// from the payload for create_charge), the tokens model and planner calls
// spend, and enrich_contact's rate limit and Retry-After.
func TestDefaultDescribesTheFakes(t *testing.T) {
	t.Parallel()
	w := worlds.Default()
	spec := func(tenant, tool string) worlds.Spec {
		s, ok := w.Spec(tenant, tool)
		if !ok {
			t.Fatalf("no spec of %s", tool)
		}
		return s
	}
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	world := fakes.NewWorld(&fakes.Opts{Clock: clk})
	ctx := context.Background()
	for i := range 40 {
		payload := fmt.Sprintf("request=acme:request:%d\n", i)
		for _, c := range []struct{ tenant, tool string }{{fakes.Acme, fakes.CreateCharge}, {fakes.Globex, fakes.PublishReport}, {fakes.Acme, fakes.EnrichContact},
			{fakes.Acme, fakes.SendEmail}, {fakes.Acme, fakes.LLMComplete}, {fakes.Acme, fakes.Plan}} {
			call := engine.Call{AttemptID: store.AttemptID{Tenant: c.tenant, Exec: fmt.Sprintf("e%d", i), Attempt: 1}, Tool: c.tool, Payload: payload,
				Deliver: func(int, string) error { return nil }}
			clk.now = clk.now.Add(time.Second) // a window of its own for each call of enrich_contact
			n := world.Ledger().Len()
			if _, err := world.Invoke(ctx, call); err != nil {
				t.Fatalf("%s for %s: %v", c.tool, c.tenant, err)
			}
			e := world.Ledger().Effects()[n]
			s := spec(c.tenant, c.tool)
			if s.Tokens.Prompt > 0 {
				tokens, chunks := s.Tokens.Of(payload)
				if !s.Stream {
					chunks = 0
				}
				if e.Kind != fakes.Usage || e.Tokens != tokens || e.Chunks != chunks {
					t.Errorf("%s(%q): spent %d tokens in %d chunks, the spec says %d in %d", c.tool, payload, e.Tokens, e.Chunks, tokens, chunks)
				}
				continue
			}
			if cost := s.Cost.Of(payload); e.Kind != fakes.Applied || e.CostCents != cost {
				t.Errorf("%s for %s(%q): charged %d cents, the spec says %d", c.tool, c.tenant, payload, e.CostCents, cost)
			}
		}
	}
	rl := spec(fakes.Acme, fakes.EnrichContact).RateLimit
	if rl.RetryAfter != 0 {
		t.Fatalf("enrich_contact answers a fixed Retry-After %s; the fake answers the rest of the window", rl.RetryAfter)
	}
	clk.now = clk.now.Add(rl.Window)
	for i := range rl.Calls + 1 {
		clk.now = clk.now.Add(rl.Window / 10)
		_, err := world.Invoke(ctx, engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Initech, Exec: "rl", Attempt: 1}, Tool: fakes.EnrichContact})
		var st *outcome.StatusError
		switch {
		case i < rl.Calls && err != nil:
			t.Fatalf("call %d of %d in a window refused: %v", i+1, rl.Calls, err)
		case i == rl.Calls && (!errors.As(err, &st) || st.Code != 429 || st.RetryAfter != rl.Window-time.Duration(rl.Calls)*rl.Window/10):
			t.Fatalf("call %d in a window: %v, want 429 with the rest of the window as Retry-After", i+1, err)
		}
	}
}
