package policy_test

import (
	"reflect"
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// The tools of the reference cases, registered as the fake world registers them.
var (
	planner = registry.Entry{Tool: "plan", Class: registry.Idempotent, Tier: 0, Layer: outcome.Orchestrator}
	search  = registry.Entry{Tool: "vector_search", Class: registry.Idempotent, Tier: 1, Layer: outcome.Agent}
	llm     = registry.Entry{Tool: "llm_complete", Class: registry.NonIdempotent, Tier: 1, Layer: outcome.Agent, SideEffects: true,
		Keys: registry.DedupToken, Lookup: true, Streaming: true}
	insert = registry.Entry{Tool: "insert_record", Class: registry.NonIdempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true,
		Keys: registry.IdempotencyKey, Lookup: true, Compensator: "delete_record"}
	email  = registry.Entry{Tool: "send_email", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true}
	upsert = registry.Entry{Tool: "upsert", Class: registry.Idempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true}
)

// observed classifies a failure of tool the way the engine does.
func observed(e registry.Entry, stage outcome.Stage, err error, chunks int) outcome.Outcome {
	return outcome.Classify(outcome.Observation{Stage: stage, Err: err, Layer: e.Layer, SideEffects: e.SideEffects,
		Streaming: e.Streaming, Signals: e.Signals, Chunks: chunks, KeysTotal: 2})
}

func TestReferenceNameAndArchitecture(t *testing.T) {
	t.Parallel()
	p := policy.Reference()
	if p.Name() != "reference" || !reflect.DeepEqual(p.Architecture(), policy.DefaultArchitecture()) {
		t.Errorf("Reference() is %q on %+v", p.Name(), p.Architecture())
	}
}

func TestReferenceDecide(t *testing.T) {
	t.Parallel()
	invalidPlan := &outcome.InvalidPlanError{Reason: "names clarify_intent"}
	deterministicAfterActing := outcome.Outcome{Phase: outcome.PhasePost, Class: outcome.Deterministic, Layer: outcome.Agent,
		Effects: outcome.ConfirmedEffects, Context: outcome.ContextClean}
	cases := []struct {
		name    string
		entry   registry.Entry
		out     outcome.Outcome
		retries int
		hasKey  bool
		want    policy.Decision
		why     string
	}{
		{"invalid plan", planner, observed(planner, outcome.StageValidate, invalidPlan, 0), 0, false,
			policy.Decision{Action: policy.Fail}, "deterministic orchestrator failure: a retry yields the same plan"},
		{"invalid plan, even with retries left and a key", planner, observed(planner, outcome.StageInvoke, invalidPlan, 0), 0, true,
			policy.Decision{Action: policy.Fail}, "the same input fails the same way"},
		{"400 before the tool acted", insert, observed(insert, outcome.StageInvoke, outcome.Status(400, 0), 0), 0, true,
			policy.Decision{Action: policy.Fail}, "deterministic and nothing emitted: fail"},
		{"deterministic after acting, undoable", insert, deterministicAfterActing, 0, true,
			policy.Decision{Action: policy.Compensate}, "deterministic after acting: compensate"},
		{"deterministic after acting, not undoable", email, deterministicAfterActing, 0, false,
			policy.Decision{Action: policy.DeadLetter}, "deterministic after acting, no compensator: human review"},
		{"refused connection", email, observed(email, outcome.StageInvoke, outcome.ErrRefused, 0), 0, false,
			policy.Decision{Action: policy.Retry, MaxRetries: 5, DedupToken: true}, "pre-phase: nothing to duplicate, retry keeping the dedup token"},
		{"rate limited model call", llm, observed(llm, outcome.StageInvoke, outcome.Status(429, 0), 0), 4, true,
			policy.Decision{Action: policy.Retry, MaxRetries: 5, DedupToken: true}, "pre-inference is pre-phase"},
		{"begin record not written", insert, observed(insert, outcome.StageBegin, outcome.ErrTimeout, 0), 0, true,
			policy.Decision{Action: policy.Retry, MaxRetries: 5, DedupToken: true}, "the tool was never called"},
		{"timeout of a read", search, observed(search, outcome.StageInvoke, outcome.ErrTimeout, 0), 0, false,
			policy.Decision{Action: policy.Retry, MaxRetries: 5, DedupToken: true}, "no side effects: retry"},
		{"commit failed for a read", search, observed(search, outcome.StageCommit, outcome.ErrTimeout, 0), 4, false,
			policy.Decision{Action: policy.Retry, MaxRetries: 5, DedupToken: true}, "no side effects: retry, even post-execution"},
		{"a read with its retries spent", search, observed(search, outcome.StageInvoke, outcome.ErrTimeout, 0), 5, false,
			policy.Decision{Action: policy.Fail}, "no side effects and no retries left: fail"},
		{"a pre-phase failure with its retries spent and no effects", email, observed(email, outcome.StageInvoke, outcome.ErrRefused, 0), 5, false,
			policy.Decision{Action: policy.Fail}, "pre-phase and no retries left: fail"},
		{"commit failed after the tool acted", insert, observed(insert, outcome.StageCommit, outcome.ErrTimeout, 0), 0, true,
			policy.Decision{Action: policy.Reconcile}, "post: commit what happened"},
		{"bad response from a tool that cannot be looked up", email, observed(email, outcome.StageInvoke, outcome.ErrBadResponse, 0), 0, false,
			policy.Decision{Action: policy.Reconcile}, "post: the response is known to exist, never re-execute"},
		{"stream cut after chunks", llm, observed(llm, outcome.StageInvoke, outcome.ErrStreamCut, 2), 0, true,
			policy.Decision{Action: policy.Retry, MaxRetries: 3, DedupToken: true}, "mid-inference: retry under the dedup token"},
		{"stream cut, third retry", llm, observed(llm, outcome.StageInvoke, outcome.ErrStreamCut, 1), 2, true,
			policy.Decision{Action: policy.Retry, MaxRetries: 3, DedupToken: true}, "mid-inference: within its 3 retries"},
		{"stream cut, retries spent, lookup by token", llm, observed(llm, outcome.StageInvoke, outcome.ErrStreamCut, 1), 3, true,
			policy.Decision{Action: policy.Reconcile}, "mid-inference out of retries: look the generation up"},
		{"timeout of a keyed write that answers lookups", insert, observed(insert, outcome.StageInvoke, outcome.ErrTimeout, 0), 0, true,
			policy.Decision{Action: policy.Reconcile}, "lookup: verify by key before re-executing"},
		{"crash mid-attempt of a keyed write", insert, observed(insert, outcome.StageRecovered, nil, 0), 0, true,
			policy.Decision{Action: policy.Reconcile}, "a crash is uncertain: verify by key"},
		{"timeout of an idempotent write", upsert, observed(upsert, outcome.StageInvoke, outcome.ErrTimeout, 0), 2, false,
			policy.Decision{Action: policy.Retry, MaxRetries: 3, DedupToken: true}, "idempotent: a repeat is harmless"},
		{"timeout of an idempotent write, retries spent", upsert, observed(upsert, outcome.StageInvoke, outcome.ErrTimeout, 0), 3, false,
			policy.Decision{Action: policy.DeadLetter}, "idempotent out of retries, nothing undoes it"},
		{"timeout of a keyed write without a key", insert, observed(insert, outcome.StageInvoke, outcome.ErrReset, 0), 0, false,
			policy.Decision{Action: policy.Compensate}, "unverifiable but undoable: compensate"},
		{"timeout of an email", email, observed(email, outcome.StageInvoke, outcome.ErrTimeout, 0), 0, false,
			policy.Decision{Action: policy.DeadLetter}, "neither verifiable nor undoable: dead-letter"},
	}
	p := policy.Reference()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := policy.Input{Tenant: "acme", Entry: c.entry, Outcome: c.out, Attempt: c.retries + 1, Retries: c.retries,
				HasKey: c.hasKey, StableKey: c.hasKey}
			got := p.Decide(in)
			if got.Reason == "" {
				t.Errorf("the decision gives no reason")
			}
			got.Reason = ""
			if got != c.want {
				t.Errorf("Decide(%s) = %+v, want %+v: %s", c.out, got, c.want, c.why)
			}
		})
	}
}
