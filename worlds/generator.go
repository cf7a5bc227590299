package worlds

import (
	"fmt"
	"time"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Generator draws worlds that [World.Validate] accepts, for properties that
// must hold in every world, not only the built-in one: 1 to 8 tools of
// every behaviour, each setting drawn where the behaviour allows it; 1 to 4
// tenants, with and without contracts, with and without overrides (a patch
// of the tool or the tool described anew, with or without a contract behind
// it); 0 to 3 named workflows; and sometimes a narrowed list of the tools
// generated workflows draw from. Tools are named tool0, tool1, ...; tenants
// tenant0, ...; a tool's compensator is undo_ and its name.
func Generator() *rapid.Generator[*World] {
	return rapid.Custom(func(t *rapid.T) *World {
		w := &World{Name: "generated"}
		for i := range rapid.IntRange(1, 8).Draw(t, "tools") {
			w.Tools = append(w.Tools, drawTool(t, fmt.Sprintf("tool%d", i), 0))
		}
		for i := range rapid.IntRange(1, 4).Draw(t, "tenants") {
			w.Tenants = append(w.Tenants, Tenant{Name: fmt.Sprintf("tenant%d", i), Overrides: drawOverrides(t, w)})
		}
		for i := range w.Tenants {
			w.Tenants[i].Contracts = drawContracts(t, w, w.Tenants[i].Name)
		}
		names := rapid.SampledFrom(w.ToolNames())
		for i := range rapid.IntRange(0, 3).Draw(t, "workflows") {
			w.Workflows = append(w.Workflows, Workflow{Name: fmt.Sprintf("workflow%d", i),
				Steps: rapid.SliceOfN(names, 1, 8).Draw(t, "steps"), Weight: rapid.IntRange(0, 5).Draw(t, "weight")})
		}
		if rapid.Bool().Draw(t, "narrowed") {
			w.Generated.Tools = rapid.SliceOfNDistinct(names, 1, len(w.Tools), rapid.ID[string]).Draw(t, "generated")
		}
		return w
	})
}

var (
	behaviours = rapid.SampledFrom([]Behaviour{Read, Model, Planner, KeyedWrite, Upsert, Write, Notification, PaidWebhook, Trigger, ThirdParty})
	switches   = rapid.SampledFrom([]Switch{Unset, On, Off})
)

// drawTool draws a tool of behaviour b (0: any), each setting either left
// to the behaviour's default or set to a value the behaviour allows.
func drawTool(t *rapid.T, name string, b Behaviour) Tool {
	if b == 0 {
		b = behaviours.Draw(t, "behaviour")
	}
	tool := Tool{Name: name, Behaviour: b}
	if b == Model {
		tool.Stream = switches.Draw(t, "stream")
	}
	tr := traitsOf(b, tool.Stream == On)
	tool.Class = drawClass(t, tr)
	if b != Planner {
		tool.Tier = rapid.IntRange(0, 3).Draw(t, "tier")
	}
	if tr.key != registry.NoKeys && tr.noKeys == "" {
		tool.Keys = switches.Draw(t, "keys")
	}
	if tool.Keys.on(tr.keyed) {
		tool.Lookup = switches.Draw(t, "lookup")
		if tool.Lookup != Off && rapid.Bool().Draw(t, "lags") {
			tool.Lookup, tool.Lag = On, drawWait(t, "lag")
		}
	}
	if tr.noUndo == "" && rapid.Bool().Draw(t, "undone") {
		tool.Compensator = "undo_" + name
	}
	if tr.noCost == "" {
		drawCost(t, &tool, b == PaidWebhook)
	}
	if tr.tokens && rapid.Bool().Draw(t, "spends") {
		tool.Tokens = Tokens{Prompt: rapid.IntRange(0, 500).Draw(t, "prompt"), Chunk: rapid.IntRange(0, 50).Draw(t, "chunk"), Chunks: drawRangeFrom(t, "chunks", 1, maxChunks)}
	}
	if b == ThirdParty && rapid.Bool().Draw(t, "limited") {
		tool.RateLimit = drawRateLimit(t)
	}
	return tool
}

// drawClass draws a class no less cautious than the behaviour's truth.
func drawClass(t *rapid.T, tr traits) registry.Class {
	classes := []registry.Class{0, registry.NonIdempotent, registry.Unknown}
	if tr.idempotent {
		classes = append(classes, registry.Idempotent)
	}
	return rapid.SampledFrom(classes).Draw(t, "class")
}

// drawCost draws a cost and money-ness; a paid webhook, and a tool that
// moves money, always has a cost.
func drawCost(t *rapid.T, tool *Tool, paid bool) {
	tool.Money = switches.Draw(t, "money")
	if paid || tool.Money == On || rapid.Bool().Draw(t, "costs") {
		tool.Cost = drawRange(t, "cost", 5000)
		if tool.Cost.IsZero() {
			tool.Cost = Fixed(1)
		}
	}
}

// drawRange draws an unset Range, a fixed number within 1..hi or a range
// within 0..hi.
func drawRange(t *rapid.T, label string, hi int) Range { return drawRangeFrom(t, label, 0, hi) }

// drawRangeFrom draws an unset Range, a fixed number within max(lo, 1)..hi
// or a range within lo..hi.
func drawRangeFrom(t *rapid.T, label string, lo, hi int) Range {
	switch rapid.IntRange(0, 2).Draw(t, label) {
	case 1:
		return Fixed(rapid.IntRange(max(lo, 1), hi).Draw(t, label+"-fixed"))
	case 2:
		min := rapid.IntRange(lo, hi-1).Draw(t, label+"-min")
		return Range{Min: min, Max: rapid.IntRange(min+1, hi).Draw(t, label+"-max")}
	}
	return Range{}
}

func drawWait(t *rapid.T, label string) time.Duration {
	return time.Duration(rapid.IntRange(1, 5000).Draw(t, label)) * time.Millisecond
}

func drawRateLimit(t *rapid.T) RateLimit {
	var rl RateLimit
	if rapid.Bool().Draw(t, "calls-set") {
		rl.Calls = rapid.IntRange(1, 10).Draw(t, "calls")
	}
	if rapid.Bool().Draw(t, "window-set") {
		rl.Window = drawWait(t, "window")
	}
	if rapid.Bool().Draw(t, "retry-after-set") {
		rl.RetryAfter = drawWait(t, "retry-after")
	}
	return rl
}

// drawOverrides draws a tenant's overrides of some of the world's tools:
// each a patch or the tool described anew.
func drawOverrides(t *rapid.T, w *World) []Tool {
	var out []Tool
	for _, tool := range w.Tools {
		switch rapid.IntRange(0, 3).Draw(t, "override-"+tool.Name) {
		case 1:
			out = append(out, drawPatch(t, tool))
		case 2:
			out = append(out, drawTool(t, tool.Name, behaviours.Draw(t, "override-behaviour")))
		}
	}
	return out
}

// drawPatch draws an override that keeps the tool's behaviour and changes
// at least one of the settings that stay valid whatever else the tool says.
func drawPatch(t *rapid.T, tool Tool) Tool {
	tr, s := traitsOf(tool.Behaviour, tool.Stream == On), spec(tool)
	var changes []func(*Tool)
	changes = append(changes, func(o *Tool) { o.Description = "patched" })
	changes = append(changes, func(o *Tool) {
		if c := drawClass(t, tr); c != 0 {
			o.Class = c
		}
	})
	if tool.Behaviour != Planner {
		changes = append(changes, func(o *Tool) { o.Tier = rapid.IntRange(1, 3).Draw(t, "patch-tier") })
	}
	if s.Lookup {
		changes = append(changes, func(o *Tool) {
			if o.Lookup, o.Lag = Off, 0; rapid.Bool().Draw(t, "patch-lags") {
				o.Lookup, o.Lag = On, drawWait(t, "patch-lag")
			}
		})
	}
	if tr.noCost == "" {
		changes = append(changes, func(o *Tool) { o.Cost, o.Money = Fixed(rapid.IntRange(1, 5000).Draw(t, "patch-cost")), On })
	}
	if tr.tokens {
		changes = append(changes, func(o *Tool) { o.Tokens.Prompt = rapid.IntRange(1, 500).Draw(t, "patch-prompt") })
	}
	if tool.Behaviour == ThirdParty {
		changes = append(changes, func(o *Tool) { o.RateLimit.Calls = rapid.IntRange(1, 10).Draw(t, "patch-calls") })
	}
	o := Tool{Name: tool.Name}
	for _, i := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(changes)-1), 1, len(changes), rapid.ID[int]).Draw(t, "patch") {
		changes[i](&o)
	}
	if o == (Tool{Name: tool.Name}) { // a class drawn as unset, alone
		o.Description = "patched"
	}
	return o
}

var contracts = rapid.SampledFrom([]policy.Contract{
	{NeverRetry: true}, {AtMostOnce: true}, {KeyRequired: true},
	{NeverRetry: true, KeyRequired: true}, {AtMostOnce: true, KeyRequired: true}, {NeverRetry: true, AtMostOnce: true},
})

// drawContracts draws a tenant's contracts on some tools; key-required only
// where the tool takes an idempotency key for the tenant.
func drawContracts(t *rapid.T, w *World, tenant string) map[string]policy.Contract {
	var out map[string]policy.Contract
	for _, tool := range w.Tools {
		if !rapid.Bool().Draw(t, "contract-"+tool.Name) {
			continue
		}
		c := contracts.Draw(t, "contract")
		if s, _ := w.Spec(tenant, tool.Name); s.Keys != registry.IdempotencyKey && c.KeyRequired {
			c.KeyRequired, c.NeverRetry = false, !c.AtMostOnce
		}
		if out == nil {
			out = map[string]policy.Contract{}
		}
		out[tool.Name] = c
	}
	return out
}
