package policy_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// rules returns a policy of rules on the default architecture (budget 5).
func rules(list ...policy.Rule) *policy.Rules {
	return &policy.Rules{PolicyName: "ours", Description: "test rules", Arch: policy.DefaultArchitecture(), List: list}
}

func TestRulesNameAndArchitecture(t *testing.T) {
	t.Parallel()
	r := rules()
	r.Arch.Context = policy.Shared
	var p policy.Policy = r
	if p.Name() != "ours" || p.Architecture().Context != policy.Shared {
		t.Errorf("Name %q, Architecture %+v", p.Name(), p.Architecture())
	}
}

func TestRulesDecide(t *testing.T) {
	t.Parallel()
	tier3 := policy.Match{Tiers: []int{3}}
	in := policy.Input{Tenant: "acme", Entry: blindTool, Outcome: lost, Attempt: 1}
	cases := []struct {
		name    string
		r       *policy.Rules
		retries int
		want    policy.Decision
	}{
		{"the first match wins",
			rules(policy.Rule{When: tier3, Do: policy.DeadLetter}, policy.Rule{Do: policy.Retry}),
			0, policy.Decision{Action: policy.DeadLetter, Reason: "rule 1"}},
		{"a rule that does not match is skipped",
			rules(policy.Rule{When: policy.Match{Tiers: []int{1}}, Do: policy.Fail}, policy.Rule{When: tier3, Do: policy.Compensate, Line: 12}),
			0, policy.Decision{Action: policy.Compensate, Reason: "rule 2 (line 12)"}},
		{"a retry rule within its limit matches",
			rules(policy.Rule{Do: policy.Retry, MaxRetries: 2, DedupToken: true, RequireKey: true}),
			1, policy.Decision{Action: policy.Retry, MaxRetries: 2, DedupToken: true, RequireKey: true, Reason: "rule 1"}},
		{"an exhausted retry rule falls through to the next",
			rules(policy.Rule{Do: policy.Retry, MaxRetries: 2}, policy.Rule{When: tier3, Do: policy.DeadLetter, Line: 20}),
			2, policy.Decision{Action: policy.DeadLetter, Reason: "rule 2 (line 20)"}},
		{"an exhausted retry rule falls through to a later retry rule",
			rules(policy.Rule{Do: policy.Retry, MaxRetries: 1}, policy.Rule{Do: policy.Retry, MaxRetries: 4}),
			3, policy.Decision{Action: policy.Retry, MaxRetries: 4, Reason: "rule 2"}},
		{"a retry rule without a limit takes the architecture's budget",
			rules(policy.Rule{Do: policy.Retry}),
			4, policy.Decision{Action: policy.Retry, MaxRetries: 5, Reason: "rule 1"}},
		{"the architecture's budget spent, the rule falls through",
			rules(policy.Rule{Do: policy.Retry}, policy.Rule{Do: policy.DeadLetter}),
			5, policy.Decision{Action: policy.DeadLetter, Reason: "rule 2"}},
		{"no match fails with the cause",
			rules(policy.Rule{When: policy.Match{Tiers: []int{1}}, Do: policy.Retry}),
			0, policy.Decision{Action: policy.Fail, Reason: "no rule matched: " + lost.Cause}},
		{"no rules at all fail with the cause",
			rules(),
			0, policy.Decision{Action: policy.Fail, Reason: "no rule matched: " + lost.Cause}},
		{"only exhausted retry rules fail with the cause",
			rules(policy.Rule{Do: policy.Retry, MaxRetries: 1}),
			1, policy.Decision{Action: policy.Fail, Reason: "no rule matched: " + lost.Cause}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := in
			in.Retries = c.retries
			if got := c.r.Decide(in); got != c.want {
				t.Errorf("Decide = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	// base is the input every case varies: publish_report for acme, tier 2,
	// non-idempotent, a mid-execution timeout with possible effects, a
	// lookup by key and a compensator, the second attempt.
	base := policy.Input{
		Tenant: "acme",
		Entry: registry.Entry{Tool: "publish_report", Class: registry.NonIdempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true,
			Keys: registry.IdempotencyKey, Lookup: true, Compensator: "unpublish"},
		Outcome: outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Timeout, Layer: outcome.Agent, Effects: outcome.PossibleEffects,
			Context: outcome.ContextClean, LLM: outcome.MidInference, SignalsSent: true},
		Attempt: 2, HasKey: true,
	}
	vary := func(f func(*policy.Input)) policy.Input { in := base; f(&in); return in }
	cases := []struct {
		name  string
		m     policy.Match
		in    policy.Input
		match bool
	}{
		{"the empty match matches anything", policy.Match{}, base, true},
		{"tool: one of the list", policy.Match{Tools: []string{"send_email", "publish_report"}}, base, true},
		{"tool: none of the list", policy.Match{Tools: []string{"send_email"}}, base, false},
		{"tier: one of the list", policy.Match{Tiers: []int{2, 3}}, base, true},
		{"tier: none of the list", policy.Match{Tiers: []int{3}}, base, false},
		{"tier 0 is a value, not a wildcard", policy.Match{Tiers: []int{0}}, base, false},
		{"idempotency: one of the list", policy.Match{Idempotency: []registry.Class{registry.Unknown, registry.NonIdempotent}}, base, true},
		{"idempotency: none of the list", policy.Match{Idempotency: []registry.Class{registry.Idempotent}}, base, false},
		{"phase: one of the list", policy.Match{Phases: []outcome.Phase{outcome.PhaseMid, outcome.PhasePost}}, base, true},
		{"phase: none of the list", policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, base, false},
		{"llm phase: one of the list", policy.Match{LLMPhases: []outcome.LLMPhase{outcome.MidInference}}, base, true},
		{"llm phase: a call that is not a model call", policy.Match{LLMPhases: []outcome.LLMPhase{outcome.MidInference}},
			vary(func(in *policy.Input) { in.Outcome.LLM = 0 }), false},
		{"class: one of the list", policy.Match{Classes: []outcome.Class{outcome.Transient, outcome.Timeout}}, base, true},
		{"class: none of the list", policy.Match{Classes: []outcome.Class{outcome.Deterministic}}, base, false},
		{"layer: one of the list", policy.Match{Layers: []outcome.Layer{outcome.Agent}}, base, true},
		{"layer: none of the list", policy.Match{Layers: []outcome.Layer{outcome.Orchestrator}}, base, false},
		{"context: one of the list", policy.Match{Context: []outcome.ContextState{outcome.ContextClean, outcome.ContextPartial}}, base, true},
		{"context: none of the list", policy.Match{Context: []outcome.ContextState{outcome.ContextCommitted}}, base, false},
		{"tenant: one of the list", policy.Match{Tenants: []string{"globex", "acme"}}, base, true},
		{"tenant: none of the list", policy.Match{Tenants: []string{"globex"}}, base, false},
		{"side effects: wanted and present", policy.Match{SideEffects: policy.Bool(true)}, base, true},
		{"side effects: wanted and absent", policy.Match{SideEffects: policy.Bool(true)},
			vary(func(in *policy.Input) { in.Outcome.Effects = outcome.NoEffects }), false},
		{"side effects: unwanted and absent", policy.Match{SideEffects: policy.Bool(false)},
			vary(func(in *policy.Input) { in.Outcome.Effects = outcome.NoEffects }), true},
		{"side effects: confirmed count", policy.Match{SideEffects: policy.Bool(true)},
			vary(func(in *policy.Input) { in.Outcome.Effects = outcome.ConfirmedEffects }), true},
		{"signals: wanted and sent", policy.Match{SignalsSent: policy.Bool(true)}, base, true},
		{"signals: unwanted and sent", policy.Match{SignalsSent: policy.Bool(false)}, base, false},
		{"lookup: a tool that answers and a key", policy.Match{Lookup: policy.Bool(true)}, base, true},
		{"lookup: a tool that answers, and no key", policy.Match{Lookup: policy.Bool(true)},
			vary(func(in *policy.Input) { in.HasKey = false }), false},
		{"lookup: a key, and a tool that answers none", policy.Match{Lookup: policy.Bool(false)},
			vary(func(in *policy.Input) { in.Entry.Lookup = false }), true},
		{"compensator: present", policy.Match{Compensator: policy.Bool(true)}, base, true},
		{"compensator: absent", policy.Match{Compensator: policy.Bool(true)},
			vary(func(in *policy.Input) { in.Entry.Compensator = "" }), false},
		{"attempt: the minimum itself", policy.Match{Attempt: 2}, base, true},
		{"attempt: past the minimum", policy.Match{Attempt: 2}, vary(func(in *policy.Input) { in.Attempt = 5 }), true},
		{"attempt: below the minimum", policy.Match{Attempt: 3}, base, false},
		{"every field must match", policy.Match{Tools: []string{"publish_report"}, Tiers: []int{3}}, base, false},
		{"every field matching", policy.Match{Tools: []string{"publish_report"}, Tiers: []int{2}, Tenants: []string{"acme"},
			SideEffects: policy.Bool(true), Attempt: 1}, base, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.m.Matches(c.in); got != c.match {
				t.Errorf("Matches = %v, want %v", got, c.match)
			}
		})
	}
	t.Run("nil pointers do not care", func(t *testing.T) {
		t.Parallel()
		m := policy.Match{}
		for _, in := range []policy.Input{base, vary(func(in *policy.Input) {
			in.Outcome.Effects, in.Outcome.SignalsSent, in.Entry.Lookup, in.Entry.Compensator = outcome.NoEffects, false, false, ""
		})} {
			if !m.Matches(in) {
				t.Errorf("a match of nil pointers refused %+v", in)
			}
		}
	})
}

func TestIsCatchAll(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		m    policy.Match
		all  bool
	}{
		{"empty", policy.Match{}, true},
		{"attempt 1 is every attempt", policy.Match{Attempt: 1}, true},
		{"attempt 2", policy.Match{Attempt: 2}, false},
		{"a tool", policy.Match{Tools: []string{"x"}}, false},
		{"a tier", policy.Match{Tiers: []int{0}}, false},
		{"an idempotency class", policy.Match{Idempotency: []registry.Class{registry.Idempotent}}, false},
		{"a phase", policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, false},
		{"an llm phase", policy.Match{LLMPhases: []outcome.LLMPhase{outcome.PreInference}}, false},
		{"a class", policy.Match{Classes: []outcome.Class{outcome.Transient}}, false},
		{"a layer", policy.Match{Layers: []outcome.Layer{outcome.Agent}}, false},
		{"a context state", policy.Match{Context: []outcome.ContextState{outcome.ContextClean}}, false},
		{"a tenant", policy.Match{Tenants: []string{"acme"}}, false},
		{"side effects, even false", policy.Match{SideEffects: policy.Bool(false)}, false},
		{"signals", policy.Match{SignalsSent: policy.Bool(true)}, false},
		{"lookup", policy.Match{Lookup: policy.Bool(true)}, false},
		{"compensator", policy.Match{Compensator: policy.Bool(false)}, false},
	}
	for _, c := range cases {
		if got := c.m.IsCatchAll(); got != c.all {
			t.Errorf("%s: IsCatchAll = %v, want %v", c.name, got, c.all)
		}
	}
}
