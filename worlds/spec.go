package worlds

import (
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Spec is a tool as one tenant sees it: the tool's description with every
// default applied and the tenant's override, if any, included. It is what
// the fake world implements and what the registry declares. A compensator
// has a Spec too: Undoes names the tool it undoes, and Behaviour is zero.
type Spec struct {
	Tool      string
	Behaviour Behaviour
	// Undoes is, for a compensator, the tool whose effect it undoes.
	Undoes string
	Class  registry.Class
	Tier   int
	Layer  outcome.Layer
	Keys   registry.Keys
	Lookup bool
	// Lag is how long an applied effect stays invisible to lookups.
	Lag         time.Duration
	Compensator string
	Cost        Range
	Money       bool
	Stream      bool
	Tokens      Tokens
	RateLimit   RateLimit
	// Overridden is set when some tenant has a description of its own of
	// this tool (the registry's tenant-override flag).
	Overridden bool
}

// Truth is what a tool really does for one tenant, whatever a registry
// says: the facts the fake world's ledger is judged by.
type Truth struct {
	// SideEffects is false for tools that change nothing.
	SideEffects bool
	// Idempotent is set when a repeated call changes nothing more.
	Idempotent bool
	// Lookup is set when the tool answers lookups by key.
	Lookup bool
	// Streaming is set for the model call whose chunks go downstream.
	Streaming bool
	// Money is set for a tool that takes a customer's money (a charge): a
	// repeat is a duplicate charge, where a repeated paid call (a billed
	// API, a paid webhook) is a duplicate cost.
	Money bool
}

// Entry returns the tool's registration, as the team would declare it in
// its idempotency registry.
func (s Spec) Entry() registry.Entry {
	return registry.Entry{Tool: s.Tool, Class: s.Class, Tier: s.Tier, Layer: s.Layer, SideEffects: s.Truth().SideEffects,
		Keys: s.Keys, Lookup: s.Lookup, LookupLag: s.Lag, Compensator: s.Compensator, TenantOverride: s.Overridden, Streaming: s.Stream,
		Signals: s.traits().signals}
}

// Truth returns what the tool really does.
func (s Spec) Truth() Truth {
	if s.Undoes != "" {
		return Truth{SideEffects: true, Idempotent: true}
	}
	tr := s.traits()
	return Truth{SideEffects: tr.effects, Idempotent: tr.idempotent, Lookup: s.Lookup, Streaming: s.Stream, Money: s.Money}
}

func (s Spec) traits() traits { return traitsOf(s.Behaviour, s.Stream) }

// spec applies the defaults of t's behaviour to t. t is valid.
func spec(t Tool) Spec {
	tr := traitsOf(t.Behaviour, t.Stream == On)
	s := Spec{Tool: t.Name, Behaviour: t.Behaviour, Class: t.Class, Tier: t.Tier, Layer: tr.layer, Lag: t.Lag,
		Compensator: t.Compensator, Cost: t.Cost, Money: t.Money.on(tr.money), Stream: t.Stream == On}
	if s.Class == 0 {
		s.Class = tr.class
	}
	if s.Tier == 0 {
		s.Tier = tr.tier
		if s.Money {
			s.Tier = 3
		}
	}
	if t.Keys.on(tr.keyed) {
		s.Keys = tr.key
	}
	s.Lookup = s.Keys != registry.NoKeys && t.Lookup.on(true)
	if tr.tokens {
		s.Tokens = tokens(t.Tokens, t.Behaviour)
	}
	if t.Behaviour == ThirdParty {
		s.RateLimit = t.RateLimit
		if s.RateLimit.Calls == 0 {
			s.RateLimit.Calls = defaultCalls
		}
		if s.RateLimit.Window == 0 {
			s.RateLimit.Window = defaultWindow
		}
	}
	return s
}

// tokens applies the defaults of a model or planner call's token use.
func tokens(t Tokens, b Behaviour) Tokens {
	def := Tokens{Prompt: defaultPromptTokens, Chunk: defaultChunkTokens, Chunks: defaultChunks}
	if b == Planner {
		def = Tokens{Prompt: defaultPlanTokens}
	}
	if t.Prompt == 0 {
		t.Prompt = def.Prompt
	}
	if t.Chunk == 0 {
		t.Chunk = def.Chunk
	}
	if t.Chunks.IsZero() {
		t.Chunks = def.Chunks
	}
	return t
}

// undo returns the Spec of s's compensator.
func undo(s Spec) Spec {
	c := Spec{Tool: s.Compensator, Undoes: s.Tool, Class: registry.Idempotent, Tier: s.Tier, Layer: outcome.Agent}
	if s.Keys == registry.IdempotencyKey {
		c.Keys = registry.IdempotencyKey
	}
	return c
}

// overlay returns the tool as a tenant's override describes it: with a
// behaviour, the override itself; without one, the tool with the fields
// the override sets changed.
func overlay(t, o Tool) Tool {
	if o.Behaviour != 0 {
		o.Name = t.Name
		return o
	}
	if o.Description != "" {
		t.Description = o.Description
	}
	if o.Class != 0 {
		t.Class = o.Class
	}
	if o.Tier != 0 {
		t.Tier = o.Tier
	}
	for _, sw := range [...]struct{ dst, src *Switch }{{&t.Keys, &o.Keys}, {&t.Lookup, &o.Lookup}, {&t.Money, &o.Money}, {&t.Stream, &o.Stream}} {
		if *sw.src != Unset {
			*sw.dst = *sw.src
		}
	}
	if o.Lag != 0 || o.Lookup == Off {
		t.Lag = o.Lag // a tool that answers no lookups for the tenant has no lag for it
	}
	if o.Compensator != "" {
		t.Compensator = o.Compensator
	}
	if !o.Cost.IsZero() {
		t.Cost = o.Cost
	}
	t.Tokens = Tokens{Prompt: or(o.Tokens.Prompt, t.Tokens.Prompt), Chunk: or(o.Tokens.Chunk, t.Tokens.Chunk), Chunks: t.Tokens.Chunks}
	if !o.Tokens.Chunks.IsZero() {
		t.Tokens.Chunks = o.Tokens.Chunks
	}
	t.RateLimit = RateLimit{Calls: or(o.RateLimit.Calls, t.RateLimit.Calls), Window: or(o.RateLimit.Window, t.RateLimit.Window),
		RetryAfter: or(o.RateLimit.RetryAfter, t.RateLimit.RetryAfter)}
	return t
}

// or returns v, or def where v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
