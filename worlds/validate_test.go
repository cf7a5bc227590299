package worlds_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/worlds"
)

// small returns a valid world to break, one field at a time.
func small() *worlds.World {
	return &worlds.World{
		Name: "ours",
		Tools: []worlds.Tool{
			{Name: "search", Behaviour: worlds.Read},
			{Name: "refund", Behaviour: worlds.KeyedWrite, Money: worlds.On, Cost: worlds.Fixed(1500), Compensator: "reverse_refund"},
			{Name: "sync_crm", Behaviour: worlds.Upsert},
		},
		Tenants:   []worlds.Tenant{{Name: "acme"}, {Name: "globex"}},
		Workflows: []worlds.Workflow{{Name: "refund-request", Steps: []string{"search", "refund"}}},
	}
}

// TestValidateRefusesGoValues covers what a world built in Go can get
// wrong and a file cannot say (a file's refusals are in testdata/bad): the
// error names the key as a file would.
func TestValidateRefusesGoValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(w *worlds.World)
		want   string
	}{
		{"no name", func(w *worlds.World) { w.Name = "" }, "name: missing"},
		{"a tool twice", func(w *worlds.World) { w.Tools = append(w.Tools, w.Tools[0]) }, "tools.search: the tool search is described twice"},
		{"a tool without a name", func(w *worlds.World) { w.Tools[1].Name = "" }, `tools[1]: "" is not a tool name`},
		{"no behaviour", func(w *worlds.World) { w.Tools[0].Behaviour = 0 }, "tools.search.behaviour: missing"},
		{"a behaviour out of range", func(w *worlds.World) { w.Tools[0].Behaviour = 99 }, "tools.search.behaviour: invalid behaviour 99"},
		{"a switch out of range", func(w *worlds.World) { w.Tools[1].Lookup = 7 }, "tools.refund.lookup: invalid setting 7"},
		{"a class out of range", func(w *worlds.World) { w.Tools[1].Class = 9 }, "tools.refund.class: invalid class 9"},
		{"a negative tier", func(w *worlds.World) { w.Tools[1].Tier = -1 }, "tools.refund.tier: -1 is not within 0..3"},
		{"a lag without lookups", func(w *worlds.World) { w.Tools[1].Lookup, w.Tools[1].Lag = worlds.Off, time.Second }, "tools.refund.lookup.lag: a lag, but the tool answers no lookups"},
		{"a negative lag", func(w *worlds.World) { w.Tools[1].Lag = -time.Second }, "tools.refund.lookup.lag: negative duration -1s"},
		{"a cost range upside down", func(w *worlds.World) { w.Tools[1].Cost = worlds.Range{Min: 5, Max: 3} }, "tools.refund.cost_cents: max 3 is below min 5"},
		{"a tenant twice", func(w *worlds.World) { w.Tenants = append(w.Tenants, worlds.Tenant{Name: "acme"}) }, "tenants.acme: the tenant acme is described twice"},
		{"an override twice", func(w *worlds.World) {
			w.Tenants[1].Overrides = []worlds.Tool{{Name: "sync_crm", Tier: 3}, {Name: "sync_crm", Tier: 1}}
		}, "tenants.globex.overrides.sync_crm: globex overrides sync_crm twice"},
		{"an empty override", func(w *worlds.World) { w.Tenants[1].Overrides = []worlds.Tool{{Name: "sync_crm"}} }, "tenants.globex.overrides.sync_crm: an override that changes nothing"},
		{"a contract that declares nothing", func(w *worlds.World) {
			w.Tenants[1].Contracts = map[string]policy.Contract{"sync_crm": {}}
		}, "tenants.globex.contracts.sync_crm: a contract that declares nothing"},
		{"contracts in tool order", func(w *worlds.World) {
			w.Tenants[1].Contracts = map[string]policy.Contract{"zzz": {NeverRetry: true}, "sync_crm": {}, "aaa": {NeverRetry: true}}
		}, "tenants.globex.contracts.sync_crm: a contract that declares nothing"},
		{"a workflow twice", func(w *worlds.World) { w.Workflows = append(w.Workflows, w.Workflows[0]) }, "workflows.refund-request: the workflow refund-request is described twice"},
		{"a negative weight", func(w *worlds.World) { w.Workflows[0].Weight = -1 }, "workflows.refund-request.weight: -1 is not within 1..1000"},
		{"an empty step", func(w *worlds.World) { w.Workflows[0].Steps[1] = "" }, `workflows.refund-request.steps[1]: unknown tool ""`},
		{"an override's compensator taken", func(w *worlds.World) {
			w.Tenants[0].Overrides = []worlds.Tool{{Name: "sync_crm", Compensator: "reverse_refund"}}
		}, "tenants.acme.overrides.sync_crm.compensator: reverse_refund is already refund's compensator"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := small()
			c.change(w)
			err := w.Validate()
			var we *worlds.Error
			if !errors.As(err, &we) || we.File != "" || we.Line != 0 {
				t.Fatalf("Validate() = %v, want a *worlds.Error without file or line", err)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Validate() = %q, want it to start with %q", err, c.want)
			}
			if _, err := w.Registry(); err == nil {
				t.Error("Registry() of a world Validate refuses returned no error")
			}
		})
	}
	if err := small().Validate(); err != nil {
		t.Fatalf("the valid world: %v", err)
	}
}
