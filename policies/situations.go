package policies

import (
	"slices"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// A situation is one failure of the fake world as a rule can tell it apart:
// the tenant, the registry entry the engine decides on, the outcome's typed
// facts, the attempt and whether the operation has a key. [Lint] evaluates
// every rule on every situation with the rules' own matching, so what it says
// a rule "can match" is exact, not a reading of the rule's text.
//
// The model couples only what the fake world's registry fixes: a tool's
// layer, its LLM phase (model calls only, one per phase), whether it can have
// emitted anything (a tool without side effects never has; a tool with them
// has once it got past pre-execution, and may have at pre-execution from an
// earlier attempt), whether it can have signalled downstream, whether the
// operation has a key; and what outcome.Classify fixes: the classes each
// phase has (a rate limit is always pre-execution, say), and that an attempt
// failing before the tool ran wrote nothing to its context; and that only
// an outcome that emitted nothing, of an operation with a key on a tool that
// answers lookups, can have an earlier request in flight. The rest is
// crossed freely.
type situation struct {
	in policy.Input
	// declared is the tenant's contract for the tool, consulted or not.
	declared policy.Contract
	// own is the tenant's own registry entry, used or not.
	own registry.Entry
}

var phases = []outcome.Phase{outcome.PhasePre, outcome.PhaseMid, outcome.PhasePost}

// inferenceOf is a model call's LLM phase in each phase (see inferencePhase).
var inferenceOf = map[outcome.Phase]outcome.LLMPhase{
	outcome.PhasePre: outcome.PreInference, outcome.PhaseMid: outcome.MidInference, outcome.PhasePost: outcome.PostInference,
}

// situations enumerates the world's failures under architecture a, with
// the statuses the rules tell apart, each at its first attempt (the linter
// crosses them with the attempt numbers the rules tell apart).
func situations(w *world, a policy.Architecture, statuses map[phaseClass][]int) []situation {
	reg := w.reg
	var out []situation
	for _, tenant := range w.tenants {
		for _, tool := range w.tools {
			own, _ := reg.Lookup(tool, tenant)
			s := situation{own: own, declared: w.w.Contract(tenant, tool)}
			s.in = policy.Input{Tenant: tenant, Entry: own, Contract: s.declared}
			if a.TenantContracts == policy.Ignore {
				s.in.Entry, _ = reg.Base(tool)
				s.in.Contract = policy.Contract{}
			}
			s.in.HasKey, s.in.StableKey = keysOf(s.in.Entry, a)
			out = appendOutcomes(out, s, statuses)
		}
	}
	return out
}

func appendOutcomes(out []situation, s situation, statuses map[phaseClass][]int) []situation {
	e := s.in.Entry
	for _, ph := range phases {
		o := outcome.Outcome{Phase: ph, Layer: e.Layer, Cause: "a failure of " + e.Tool}
		if e.Streaming {
			o.LLM = inferenceOf[ph]
		}
		for _, effects := range effectsOf(e, ph) {
			o.Effects = effects
			for _, signals := range []bool{false, true} {
				if signals && (effects == outcome.NoEffects || !e.Streaming && !e.Signals) {
					continue
				}
				o.SignalsSent = signals
				for _, cl := range classesOf(ph, e.Layer) {
					o.Class = cl
					for _, st := range statuses[phaseClass{ph, cl}] {
						o.Status = st
						for _, crashed := range []bool{false, true} {
							// A crash is rebuilt as an uncertain transient
							// outcome with no status of its own.
							if crashed && (ph != outcome.PhaseMid || cl != outcome.Transient || st != 0) {
								continue
							}
							o.Crashed = crashed
							for _, cx := range contextsOf(ph) {
								o.Context = cx
								s.in.Outcome, s.in.Attempt, s.in.InFlight = o, 1, false
								out = append(out, s)
								if inFlight(s.in) {
									s.in.InFlight = true
									out = append(out, s)
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// effectsOf is what a step of tool e may have emitted by a failure in phase
// ph, counting earlier attempts.
func effectsOf(e registry.Entry, ph outcome.Phase) []outcome.Effects {
	switch {
	case !e.SideEffects && !e.Streaming:
		return []outcome.Effects{outcome.NoEffects}
	case ph == outcome.PhasePre:
		return []outcome.Effects{outcome.NoEffects, outcome.PossibleEffects}
	case ph == outcome.PhasePost:
		return []outcome.Effects{outcome.ConfirmedEffects}
	}
	return []outcome.Effects{outcome.PossibleEffects}
}

// classesOf is the failure classes outcome.Classify gives in phase ph: a
// rate limit is always refused before the tool acts, a timeout is a refusal
// (408) or a lost response, and a deterministic failure is a refusal (4xx)
// or, at the orchestrator, an invalid plan.
func classesOf(ph outcome.Phase, layer outcome.Layer) []outcome.Class {
	switch {
	case ph == outcome.PhasePre:
		return []outcome.Class{outcome.Transient, outcome.RateLimited, outcome.Timeout, outcome.Deterministic}
	case ph == outcome.PhaseMid:
		return []outcome.Class{outcome.Transient, outcome.Timeout}
	case layer == outcome.Orchestrator:
		return []outcome.Class{outcome.Transient, outcome.Deterministic}
	}
	return []outcome.Class{outcome.Transient}
}

// contextsOf is what an attempt failing in phase ph can have written of its
// context: nothing before the tool ran.
func contextsOf(ph outcome.Phase) []outcome.ContextState {
	if ph == outcome.PhasePre {
		return []outcome.ContextState{outcome.ContextClean}
	}
	return []outcome.ContextState{outcome.ContextClean, outcome.ContextPartial, outcome.ContextCommitted}
}

// keysOf says whether an operation on tool e carries a key, and whether the
// key is the same on every attempt, as the engine makes them.
func keysOf(e registry.Entry, a policy.Architecture) (has, stable bool) {
	mode := a.KeysFor(e.Tool)
	has = e.Keys != registry.NoKeys && mode != policy.NoKeys
	return has, has && mode == policy.PerOperation
}

// phaseClass is a failure's phase and class, which decide the statuses it
// can carry.
type phaseClass struct {
	phase outcome.Phase
	class outcome.Class
}

// statusesOf lists, for each phase and class, the statuses a failure of it
// can carry, as outcome.Classify types a status: those the fake world
// answers, a representative 4xx, and every status a rule names; and 0 for
// the failures that carry none (a reset, a timeout, a refused connection, a
// crash, a failure after the response arrived).
func statusesOf(rules []policy.Rule) map[phaseClass][]int {
	candidates := []int{400, 408, 429, 500, 502, 503, 504}
	for _, r := range rules {
		for _, st := range r.When.Statuses {
			if !slices.Contains(candidates, st) {
				candidates = append(candidates, st)
			}
		}
	}
	out := map[phaseClass][]int{
		{outcome.PhasePre, outcome.Transient}: {0}, {outcome.PhaseMid, outcome.Transient}: {0}, {outcome.PhaseMid, outcome.Timeout}: {0},
		{outcome.PhasePost, outcome.Transient}: {0}, {outcome.PhasePost, outcome.Deterministic}: {0},
	}
	// Statuses no rule tells apart decide alike (a status is read only by
	// the rules' status lists): one of each kind stands for the others, so
	// that a rule listing every status does not multiply the situations.
	type kind struct {
		pc    phaseClass
		lists string // which rules list the status
	}
	seen := map[kind]bool{}
	for _, st := range candidates {
		o := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.Status(st, 0)})
		k := kind{pc: phaseClass{o.Phase, o.Class}}
		var lists []byte
		for _, r := range rules {
			if len(r.When.Statuses) > 0 {
				lists = append(lists, byte('0'+b2i(slices.Contains(r.When.Statuses, st))))
			}
		}
		k.lists = string(lists)
		if !seen[k] {
			seen[k] = true
			out[k.pc] = append(out[k.pc], st)
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// attemptsOf lists the attempt numbers the rules tell apart: 1 and every
// rule's minimum.
func attemptsOf(rules []policy.Rule) []int {
	ns := []int{1}
	for _, r := range rules {
		if r.When.Attempt > 1 && !slices.Contains(ns, r.When.Attempt) {
			ns = append(ns, r.When.Attempt)
		}
	}
	return ns
}

// inFlight reports whether an earlier request of the step may still be on
// its way in a situation that emitted nothing: the engine says so once a
// lookup by key found no trace of an uncertain attempt, which takes a tool
// that answers lookups and an operation with a key.
func inFlight(in policy.Input) bool {
	return !in.Outcome.SideEffects() && in.Entry.Lookup && in.HasKey
}
