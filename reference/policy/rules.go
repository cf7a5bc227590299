package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Rules is a policy written as decision rules: the form a policy file
// compiles to. Rules are evaluated top to bottom and the first match decides.
// A retry rule whose limit is spent does not match. A failure no rule matches
// fails the execution.
type Rules struct {
	PolicyName  string
	Description string
	Arch        Architecture
	List        []Rule
}

// Rule is one decision rule.
type Rule struct {
	When Match
	Do   Action
	// MaxRetries limits a retry rule; 0 means the architecture's budget.
	MaxRetries int
	// DedupToken keeps a model call's dedup token on the retry.
	DedupToken bool
	// RequireKey allows the retry only when the attempt carries a key.
	RequireKey bool
	// Line is the rule's line in its policy file (0 for rules built in Go).
	Line int
}

// Match is a rule's condition. Empty fields match anything; a list matches
// any of its values; all non-empty fields must match.
type Match struct {
	Tools       []string
	Tiers       []int
	Idempotency []registry.Class
	Phases      []outcome.Phase
	LLMPhases   []outcome.LLMPhase
	Classes     []outcome.Class
	Layers      []outcome.Layer
	Context     []outcome.ContextState
	Tenants     []string
	SideEffects *bool
	SignalsSent *bool
	Lookup      *bool
	Compensator *bool
	// Statuses match the HTTP-style status the tool answered (0 for none).
	Statuses []int
	// Crashed matches attempts cut by an engine crash, not by an error.
	Crashed *bool
	// InFlight matches steps an earlier request of which may still land
	// (see [Input.InFlight]): giving such a step up leaves that request to
	// act on an execution nobody finishes.
	InFlight *bool
	// Attempt matches attempts numbered at least this (0 matches any).
	Attempt int
}

// String renders the condition as a policy file writes it, keys in
// documentation order: "phase: [mid, post], tool: create_charge" ("" for
// a catch-all).
func (m Match) String() string {
	var parts []string
	add := func(key string, vs []string) {
		switch len(vs) {
		case 0:
		case 1:
			parts = append(parts, key+": "+vs[0])
		default:
			parts = append(parts, key+": ["+strings.Join(vs, ", ")+"]")
		}
	}
	flag := func(key string, v *bool) {
		if v != nil {
			parts = append(parts, key+": "+strconv.FormatBool(*v))
		}
	}
	add("tool", m.Tools)
	add("tier", itoas(m.Tiers))
	add("idempotency", words(m.Idempotency))
	add("phase", words(m.Phases))
	add("llm_phase", words(m.LLMPhases))
	add("class", words(m.Classes))
	add("layer", words(m.Layers))
	flag("side_effects", m.SideEffects)
	add("context", words(m.Context))
	flag("signals_sent", m.SignalsSent)
	add("tenant", m.Tenants)
	if m.Attempt > 0 {
		parts = append(parts, "attempt: "+strconv.Itoa(m.Attempt))
	}
	add("status", itoas(m.Statuses))
	flag("crashed", m.Crashed)
	flag("in_flight", m.InFlight)
	flag("lookup", m.Lookup)
	flag("compensator", m.Compensator)
	return strings.Join(parts, ", ")
}

func itoas(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

func words[T fmt.Stringer](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// Bool returns a pointer to b, for the optional fields of Match.
func Bool(b bool) *bool { return &b }

// Name returns the policy's name.
func (r *Rules) Name() string { return r.PolicyName }

// Architecture returns the architecture the rules run on.
func (r *Rules) Architecture() Architecture { return r.Arch }

// Decide returns the decision of the first matching rule.
func (r *Rules) Decide(in Input) Decision {
	for i, rule := range r.List {
		if !rule.When.Matches(in) {
			continue
		}
		d := Decision{Action: rule.Do, DedupToken: rule.DedupToken, RequireKey: rule.RequireKey, Reason: rule.describe(i)}
		if rule.Do == Retry {
			d.MaxRetries = rule.MaxRetries
			if d.MaxRetries == 0 {
				d.MaxRetries = r.Arch.Budget.MaxRetries
			}
			if in.Retries >= d.MaxRetries {
				continue
			}
		}
		return d
	}
	return Decide(Fail, "no rule matched: "+in.Outcome.Cause)
}

func (rule Rule) describe(i int) string {
	if rule.Line > 0 {
		return "rule " + strconv.Itoa(i+1) + " (line " + strconv.Itoa(rule.Line) + ")"
	}
	return "rule " + strconv.Itoa(i+1)
}

// Matches reports whether the input satisfies every condition of m.
func (m Match) Matches(in Input) bool {
	o, e := in.Outcome, in.Entry
	return anyOf(m.Tools, e.Tool) &&
		anyOf(m.Tiers, e.Tier) &&
		anyOf(m.Idempotency, e.Class) &&
		anyOf(m.Phases, o.Phase) &&
		anyOf(m.LLMPhases, o.LLM) &&
		anyOf(m.Classes, o.Class) &&
		anyOf(m.Layers, o.Layer) &&
		anyOf(m.Context, o.Context) &&
		anyOf(m.Tenants, in.Tenant) &&
		flag(m.SideEffects, o.SideEffects()) &&
		flag(m.SignalsSent, o.SignalsSent) &&
		flag(m.Lookup, e.Lookup && in.HasKey) &&
		flag(m.Compensator, e.HasCompensator()) &&
		anyOf(m.Statuses, o.Status) &&
		flag(m.Crashed, o.Crashed) &&
		flag(m.InFlight, in.InFlight) &&
		in.Attempt >= m.Attempt
}

// IsCatchAll reports whether m matches every input.
func (m Match) IsCatchAll() bool {
	return len(m.Tools)+len(m.Tiers)+len(m.Idempotency)+len(m.Phases)+len(m.LLMPhases)+
		len(m.Classes)+len(m.Layers)+len(m.Context)+len(m.Tenants)+len(m.Statuses) == 0 &&
		m.SideEffects == nil && m.SignalsSent == nil && m.Lookup == nil && m.Compensator == nil && m.Crashed == nil && m.InFlight == nil && m.Attempt <= 1
}

func anyOf[T comparable](values []T, v T) bool { return len(values) == 0 || slices.Contains(values, v) }

func flag(want *bool, got bool) bool { return want == nil || *want == got }
