package worlds

import (
	"time"

	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// World is the description of a world: the tools a team's agents call, its
// tenants and its workflows. A world file reads to one ([Parse], [Load]); a
// team may also build one in Go and check it with [World.Validate]. Fields
// left at their zero value take their defaults, most of them from the tool's
// [Behaviour] (see the package documentation).
//
// A World is plain data: the methods that derive what the rest of chaosrun
// reads from it ([World.Registry], [World.Spec], [World.Contract],
// [World.Truth], ...) compute it on each call and change nothing, so a
// World that is not modified may be shared.
type World struct {
	// Name names the world in reports and replay lines.
	Name        string
	Description string
	// Tools are the tools a workflow step may call, in the order lists and
	// generated workflows use. Compensators are not tools: a tool names its
	// own (Tool.Compensator).
	Tools []Tool
	// Tenants are the tenants executions run for; at least one.
	Tenants []Tenant
	// Workflows are the named workflows. There may be none: scenarios also
	// draw generated workflows.
	Workflows []Workflow
	// Generated says what generated workflows draw from.
	Generated Generated
}

// Tool describes one tool: its behaviour, and what of the behaviour's
// defaults it changes. The same type describes a tenant's override of a
// tool (Tenant.Overrides): there, a zero Behaviour keeps the tool's
// description and changes only the fields that are set, and a Behaviour
// describes the tool anew for the tenant, every field left unset taking
// that behaviour's defaults.
type Tool struct {
	// Name is the tool's name, as workflows, policies and reports say it.
	Name      string
	Behaviour Behaviour
	// Description says what the tool does, for readers and reports.
	Description string
	// Class is the idempotency class the registry declares (0: the
	// behaviour's). It may be more cautious than the behaviour, never less:
	// a tool that applies its effect again on a repeat is not idempotent.
	Class registry.Class
	// Tier is the retry tier, 1 to 3 (0: the behaviour's; 3 for money).
	// A planner has no tier: it runs at the orchestrator.
	Tier int
	// Keys says whether the tool takes a key that recognises a repeat: an
	// idempotency key, or for a streamed model call a dedup token.
	Keys Switch
	// Lookup says whether the tool answers a lookup by key ("did operation K
	// happen?"); unset, it does wherever it takes keys.
	Lookup Switch
	// Lag is how long an applied effect stays invisible to lookups.
	Lag time.Duration
	// Compensator names the tool's own undo action ("" for none). It is
	// registered as a tool of its own, but is no workflow step.
	Compensator string
	// Cost is what one applied call costs, in cents.
	Cost Range
	// Money marks a tool that moves money (a charge, a refund, a paid
	// call): its tier defaults to 3, and it needs a Cost.
	Money Switch
	// Stream makes a model call stream its output, chunk by chunk, to a
	// downstream consumer: the delivered chunks are effects.
	Stream Switch
	// Tokens is what a model or planner call spends.
	Tokens Tokens
	// RateLimit is a third-party tool's rate limit.
	RateLimit RateLimit
}

// Switch is a setting that is on, off, or left to the default (Unset, the
// zero value).
type Switch uint8

// Switch values.
const (
	Unset Switch = iota
	On
	Off
)

func (s Switch) String() string {
	switch s {
	case Unset:
		return "unset"
	case On:
		return "on"
	case Off:
		return "off"
	}
	return "invalid"
}

// on reports whether s is On, or def where s is Unset.
func (s Switch) on(def bool) bool {
	if s == Unset {
		return def
	}
	return s == On
}

// Range is a whole number drawn from a call's payload: Min, or with a Max
// above Min, Min + FNV-1a(payload) % (Max-Min+1), so that the same payload
// always draws the same number. The zero Range is unset.
type Range struct {
	Min, Max int
}

// Fixed returns the Range that is always n.
func Fixed(n int) Range { return Range{Min: n} }

// IsZero reports whether r is unset.
func (r Range) IsZero() bool { return r == Range{} }

// Of returns the number r draws for payload.
func (r Range) Of(payload string) int {
	if r.Max <= r.Min {
		return r.Min // no draw: the payload is not hashed
	}
	return r.OfHash(splitmix.Hash(payload)) // FNV-1a, as the fake world draws
}

// OfHash returns the number r draws for a payload whose FNV-1a hash
// ([splitmix.Hash]) is h: what [Range.Of] returns for it, for a caller that
// hashes a payload once for every draw from it.
func (r Range) OfHash(h uint64) int {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + int(h%uint64(r.Max-r.Min+1))
}

// Tokens is what a model or planner call spends: Prompt tokens, then Chunk
// tokens for each of Chunks pieces of output. Zero fields take the
// behaviour's defaults.
type Tokens struct {
	Prompt int
	Chunk  int
	Chunks Range
}

// Of returns the tokens a call with payload spends when it runs to its
// end, and how many chunks it makes.
func (t Tokens) Of(payload string) (tokens, chunks int) {
	n := t.Chunks.Of(payload)
	return t.Prompt + n*t.Chunk, n
}

// OfHash is [Tokens.Of] for a payload whose FNV-1a hash is h (see
// [Range.OfHash]).
func (t Tokens) OfHash(h uint64) (tokens, chunks int) {
	n := t.Chunks.OfHash(h)
	return t.Prompt + n*t.Chunk, n
}

// RateLimit limits a third-party tool to Calls per Window for each tenant.
// A call over the limit is refused with 429 and a Retry-After of
// RetryAfter, or where that is zero, of the time left in the window. Zero
// fields take the defaults: 3 calls a second.
type RateLimit struct {
	Calls      int
	Window     time.Duration
	RetryAfter time.Duration
}

// Tenant is one tenant: what it declares, and where a tool behaves
// differently for it.
type Tenant struct {
	Name        string
	Description string
	// Contracts are the tenant's declared contracts, by tool name.
	Contracts map[string]policy.Contract
	// Overrides are the tools that behave differently for this tenant; each
	// Tool.Name names the tool. An override needs no contract behind it.
	Overrides []Tool
}

// Workflow is a named sequence of tool calls.
type Workflow struct {
	Name        string
	Description string
	Steps       []string
	// Weight is how often scenarios draw this workflow relative to the
	// others (0: 1).
	Weight int
}

// Generated says what generated workflows (1 to 8 steps) draw from.
type Generated struct {
	// Tools are the tools generated steps draw from, in order (nil: every
	// tool). Shrinking moves a step towards the first tool, so a harmless
	// one (a read) is best put first. A planner among them leads a
	// workflow, never follows another step.
	Tools []string
}
