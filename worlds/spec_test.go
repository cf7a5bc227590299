package worlds_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// TestBehaviourDefaults pins the table of defaults per behaviour that the
// package documentation and README.md give: a tool that names only its
// behaviour registers, and truly is, as below.
func TestBehaviourDefaults(t *testing.T) {
	t.Parallel()
	agent, orch := outcome.Agent, outcome.Orchestrator
	idem, non, unknown := registry.Idempotent, registry.NonIdempotent, registry.Unknown
	none, key, token := registry.NoKeys, registry.IdempotencyKey, registry.DedupToken
	cases := []struct {
		tool  worlds.Tool
		entry registry.Entry
		truth worlds.Truth
	}{
		{worlds.Tool{Behaviour: worlds.Read}, registry.Entry{Class: idem, Tier: 1, Layer: agent, Keys: none}, worlds.Truth{Idempotent: true}},
		{worlds.Tool{Behaviour: worlds.Model}, registry.Entry{Class: idem, Tier: 1, Layer: agent, Keys: none}, worlds.Truth{Idempotent: true}},
		{worlds.Tool{Behaviour: worlds.Model, Stream: worlds.On}, registry.Entry{Class: non, Tier: 1, Layer: agent, SideEffects: true, Keys: token, Lookup: true, Streaming: true},
			worlds.Truth{SideEffects: true, Lookup: true, Streaming: true}},
		{worlds.Tool{Behaviour: worlds.Planner}, registry.Entry{Class: idem, Tier: 0, Layer: orch, Keys: none}, worlds.Truth{Idempotent: true}},
		{worlds.Tool{Behaviour: worlds.KeyedWrite}, registry.Entry{Class: non, Tier: 2, Layer: agent, SideEffects: true, Keys: key, Lookup: true},
			worlds.Truth{SideEffects: true, Lookup: true}},
		{worlds.Tool{Behaviour: worlds.Upsert}, registry.Entry{Class: idem, Tier: 2, Layer: agent, SideEffects: true, Keys: key, Lookup: true},
			worlds.Truth{SideEffects: true, Idempotent: true, Lookup: true}},
		{worlds.Tool{Behaviour: worlds.Write}, registry.Entry{Class: non, Tier: 2, Layer: agent, SideEffects: true, Keys: none}, worlds.Truth{SideEffects: true}},
		{worlds.Tool{Behaviour: worlds.Notification}, registry.Entry{Class: non, Tier: 3, Layer: agent, SideEffects: true, Keys: none}, worlds.Truth{SideEffects: true}},
		{worlds.Tool{Behaviour: worlds.PaidWebhook, Cost: worlds.Fixed(50)}, registry.Entry{Class: non, Tier: 3, Layer: agent, SideEffects: true, Keys: none}, worlds.Truth{SideEffects: true}},
		{worlds.Tool{Behaviour: worlds.Trigger}, registry.Entry{Class: non, Tier: 2, Layer: agent, SideEffects: true, Keys: none, Signals: true}, worlds.Truth{SideEffects: true}},
		{worlds.Tool{Behaviour: worlds.ThirdParty}, registry.Entry{Class: unknown, Tier: 2, Layer: agent, SideEffects: true, Keys: none}, worlds.Truth{SideEffects: true}},
		// What a setting changes of the defaults.
		{worlds.Tool{Behaviour: worlds.KeyedWrite, Money: worlds.On, Cost: worlds.Fixed(1)}, registry.Entry{Class: non, Tier: 3, Layer: agent, SideEffects: true, Keys: key, Lookup: true},
			worlds.Truth{SideEffects: true, Lookup: true, Money: true}},
		{worlds.Tool{Behaviour: worlds.Trigger, Keys: worlds.On}, registry.Entry{Class: non, Tier: 2, Layer: agent, SideEffects: true, Keys: key, Lookup: true, Signals: true},
			worlds.Truth{SideEffects: true, Lookup: true}},
		{worlds.Tool{Behaviour: worlds.Upsert, Keys: worlds.Off}, registry.Entry{Class: idem, Tier: 2, Layer: agent, SideEffects: true, Keys: none},
			worlds.Truth{SideEffects: true, Idempotent: true}},
		{worlds.Tool{Behaviour: worlds.KeyedWrite, Lookup: worlds.Off, Class: unknown, Tier: 1}, registry.Entry{Class: unknown, Tier: 1, Layer: agent, SideEffects: true, Keys: key},
			worlds.Truth{SideEffects: true}},
	}
	for _, c := range cases {
		c.tool.Name = "x"
		c.entry.Tool = "x"
		w := &worlds.World{Name: "w", Tools: []worlds.Tool{c.tool}, Tenants: []worlds.Tenant{{Name: "acme"}}}
		if err := w.Validate(); err != nil {
			t.Errorf("%+v: %v", c.tool, err)
			continue
		}
		s, _ := w.Spec("acme", "x")
		if got := s.Entry(); got != c.entry {
			t.Errorf("%s: entry\n  %+v\nwant\n  %+v", c.tool.Behaviour, got, c.entry)
		}
		if got := s.Truth(); got != c.truth {
			t.Errorf("%s: truth %+v, want %+v", c.tool.Behaviour, got, c.truth)
		}
	}
}

// TestOverrides: an override without a behaviour changes only what it
// sets; one with a behaviour describes the tool anew; a compensator follows
// its tool for each tenant.
func TestOverrides(t *testing.T) {
	t.Parallel()
	refund := worlds.Tool{Name: "refund", Behaviour: worlds.KeyedWrite, Money: worlds.On, Cost: worlds.Fixed(1500),
		Lag: 2 * time.Second, Compensator: "reverse_refund"}
	w := &worlds.World{Name: "w", Tools: []worlds.Tool{refund}, Tenants: []worlds.Tenant{
		{Name: "acme"},
		{Name: "patched", Overrides: []worlds.Tool{{Name: "refund", Tier: 2}}},
		{Name: "anew", Overrides: []worlds.Tool{{Name: "refund", Behaviour: worlds.KeyedWrite}}},
		{Name: "unlooked", Overrides: []worlds.Tool{{Name: "refund", Lookup: worlds.Off}}},
		{Name: "other-undo", Overrides: []worlds.Tool{{Name: "refund", Compensator: "void_refund"}}},
	}}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	spec := func(tenant, name string) worlds.Spec {
		s, ok := w.Spec(tenant, name)
		if !ok {
			t.Fatalf("no spec of %s for %s", name, tenant)
		}
		return s
	}
	base := spec("acme", "refund")
	if base.Tier != 3 || base.Cost != worlds.Fixed(1500) || !base.Money || base.Lag != 2*time.Second || base.Compensator != "reverse_refund" || !base.Overridden {
		t.Errorf("refund as described: %+v", base)
	}
	if s := spec("patched", "refund"); s.Tier != 2 || s.Cost != base.Cost || !s.Money || s.Compensator != "reverse_refund" {
		t.Errorf("refund with its tier changed: %+v", s)
	}
	if s := spec("anew", "refund"); s.Tier != 2 || !s.Cost.IsZero() || s.Money || s.Lag != 0 || s.Compensator != "" {
		t.Errorf("refund described anew: %+v", s)
	}
	if s := spec("unlooked", "refund"); s.Lookup || s.Lag != 0 || s.Tier != 3 {
		t.Errorf("refund without lookups: %+v", s)
	}
	if s := spec("other-undo", "refund"); s.Compensator != "void_refund" {
		t.Errorf("refund with another undo: %+v", s)
	}
	if got, want := w.Compensators(), []string{"reverse_refund", "void_refund"}; !slices.Equal(got, want) {
		t.Errorf("compensators %v, want %v", got, want)
	}
	if c := spec("patched", "reverse_refund"); c.Undoes != "refund" || c.Tier != 2 || c.Keys != registry.IdempotencyKey || !c.Overridden {
		t.Errorf("reverse_refund for the tenant whose refund is tier 2: %+v", c)
	}
	if c := spec("acme", "reverse_refund"); c.Tier != 3 {
		t.Errorf("reverse_refund as described: %+v", c)
	}
	if c := spec("anew", "reverse_refund"); c.Tier != 3 {
		t.Errorf("reverse_refund for a tenant whose refund has no undo: %+v, want it as registered", c)
	}
	reg, err := w.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Tools(), []string{"refund", "reverse_refund", "void_refund"}; !slices.Equal(got, want) {
		t.Errorf("registered %v, want %v", got, want)
	}
	if e, _ := reg.Lookup("reverse_refund", "patched"); e.Tier != 2 {
		t.Errorf("the registry's reverse_refund for patched: %+v", e)
	}
	if _, ok := w.Spec("acme", "teleport"); ok {
		t.Error("a spec of a tool nobody described")
	}
	if got := w.Truth("acme", "teleport"); got != (worlds.Truth{}) {
		t.Errorf("the truth of a tool nobody described: %+v", got)
	}
}

// TestRange holds Range.Of to its formula, the fake world's: Min, or Min +
// FNV-1a(payload) % (Max-Min+1).
func TestRange(t *testing.T) {
	t.Parallel()
	if got := worlds.Fixed(7).Of("anything"); got != 7 {
		t.Errorf("Fixed(7) drew %d", got)
	}
	// FNV-1a("") is its offset basis, 14695981039346656037.
	if got, want := (worlds.Range{Min: 500, Max: 4999}).Of(""), 500+int(14695981039346656037%4500); got != want {
		t.Errorf("Of(\"\") = %d, want %d", got, want)
	}
	seen := map[int]bool{}
	for i := range 2000 {
		n := (worlds.Range{Min: 3, Max: 6}).Of(string(rune('a'+i%26)) + string(rune(i)))
		if n < 3 || n > 6 {
			t.Fatalf("drew %d outside 3..6", n)
		}
		seen[n] = true
	}
	if len(seen) != 4 {
		t.Errorf("drew only %v from 3..6", seen)
	}
}

// TestRangeOfHash holds OfHash to Of: the same draw from the payload's
// FNV-1a hash as from the payload.
func TestRangeOfHash(t *testing.T) {
	t.Parallel()
	tokens := worlds.Tokens{Prompt: 100, Chunk: 25, Chunks: worlds.Range{Min: 3, Max: 6}}
	for _, r := range []worlds.Range{{}, worlds.Fixed(7), {Min: 3, Max: 6}, {Min: 500, Max: 4999}, {Min: 9, Max: 2}} {
		for _, p := range []string{"", "a", "acme:request:invoice", "goal=acme:x>y\nrequest=acme:r"} {
			h := splitmix.Hash(p)
			if got, want := r.OfHash(h), r.Of(p); got != want {
				t.Errorf("%+v.OfHash(Hash(%q)) = %d, Of = %d", r, p, got, want)
			}
			tokens.Chunks = r
			gt, gn := tokens.OfHash(h)
			wt, wn := tokens.Of(p)
			if gt != wt || gn != wn {
				t.Errorf("Tokens %+v: OfHash = %d, %d; Of = %d, %d", tokens, gt, gn, wt, wn)
			}
		}
	}
}
