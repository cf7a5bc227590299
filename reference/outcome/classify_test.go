package outcome_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// want is the part of an Outcome a classification case checks. Every field
// is compared, so a case states the whole expected outcome.
type want struct {
	phase      outcome.Phase
	class      outcome.Class
	layer      outcome.Layer
	effects    outcome.Effects
	context    outcome.ContextState
	signals    bool
	llm        outcome.LLMPhase
	inHand     bool
	crashed    bool
	retryAfter time.Duration
}

func (w want) of(o outcome.Outcome) want {
	return want{phase: o.Phase, class: o.Class, layer: o.Layer, effects: o.Effects, context: o.Context,
		signals: o.SignalsSent, llm: o.LLM, inHand: o.InHand, crashed: o.Crashed, retryAfter: o.RetryAfter}
}

func (w want) String() string {
	return fmt.Sprintf("phase=%s class=%s layer=%s effects=%s context=%s signals=%v llm=%s inHand=%v crashed=%v retryAfter=%s",
		w.phase, w.class, w.layer, w.effects, w.context, w.signals, w.llm, w.inHand, w.crashed, w.retryAfter)
}

// Shorthands for the fields most cases share.
const (
	pre, mid, post            = outcome.PhasePre, outcome.PhaseMid, outcome.PhasePost
	transient, rateLimited    = outcome.Transient, outcome.RateLimited
	timeout, deterministic    = outcome.Timeout, outcome.Deterministic
	agent, orchestrator       = outcome.Agent, outcome.Orchestrator
	none, possible, confirmed = outcome.NoEffects, outcome.PossibleEffects, outcome.ConfirmedEffects
	clean, partial, written   = outcome.ContextClean, outcome.ContextPartial, outcome.ContextCommitted
)

// invoke is an observation of a failed call to a tool with side effects.
func invoke(err error) outcome.Observation {
	return outcome.Observation{Stage: outcome.StageInvoke, Err: err, SideEffects: true}
}

// stream is an observation of a failed streaming model call after chunks were forwarded.
func stream(err error, chunks int) outcome.Observation {
	return outcome.Observation{Stage: outcome.StageInvoke, Err: err, SideEffects: true, Streaming: true, Chunks: chunks}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	errStore := errors.New("store unavailable")
	cases := []struct {
		name string
		obs  outcome.Observation
		want want
	}{
		// Stages other than the invocation.
		{"begin record not written is pre-execution",
			outcome.Observation{Stage: outcome.StageBegin, Err: errStore, SideEffects: true},
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean}},
		{"invalid plan at validation is a deterministic orchestrator failure with the response in hand",
			outcome.Observation{Stage: outcome.StageValidate, Err: &outcome.InvalidPlanError{Reason: "unknown tool"}, Layer: orchestrator},
			want{phase: post, class: deterministic, layer: orchestrator, effects: none, context: clean, inHand: true}},
		{"validation failure of an agent tool is still typed orchestrator",
			outcome.Observation{Stage: outcome.StageValidate, Err: errors.New("bad graph"), Layer: agent},
			want{phase: post, class: deterministic, layer: orchestrator, effects: none, context: clean, inHand: true}},
		{"context write partial",
			outcome.Observation{Stage: outcome.StageContextWrite, Err: errStore, SideEffects: true, KeysWritten: 1, KeysTotal: 2},
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: partial, inHand: true}},
		{"context write failing before the first key leaves it clean",
			outcome.Observation{Stage: outcome.StageContextWrite, Err: errStore, SideEffects: true, KeysWritten: 0, KeysTotal: 2},
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: clean, inHand: true}},
		{"commit failure after every key was written",
			outcome.Observation{Stage: outcome.StageCommit, Err: errStore, SideEffects: true, KeysWritten: 2, KeysTotal: 2},
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: written, inHand: true}},
		{"commit failure of a tool without side effects emits nothing",
			outcome.Observation{Stage: outcome.StageCommit, Err: errStore, KeysWritten: 2, KeysTotal: 2},
			want{phase: post, class: transient, layer: agent, effects: none, context: written, inHand: true}},
		{"an attempt rebuilt after a crash is mid-execution with possible effects",
			outcome.Observation{Stage: outcome.StageRecovered, Err: errors.New("crashed"), SideEffects: true},
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean, crashed: true}},
		{"a crashed attempt of a streaming call is mid-inference",
			outcome.Observation{Stage: outcome.StageRecovered, SideEffects: true, Streaming: true},
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean, crashed: true, llm: outcome.MidInference}},
		{"an unknown stage is the least safe outcome but not a crash",
			outcome.Observation{Stage: 0, Err: errors.New("?"), SideEffects: true},
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},

		// Transport and status errors at the invocation.
		{"refused connection", invoke(outcome.ErrRefused),
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean}},
		{"wrapped refused connection", invoke(fmt.Errorf("dial enrich: %w", outcome.ErrRefused)),
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean}},
		{"429 with Retry-After", invoke(outcome.Status(429, 2*time.Second)),
			want{phase: pre, class: rateLimited, layer: agent, effects: none, context: clean, retryAfter: 2 * time.Second}},
		{"503 keeps its Retry-After", invoke(outcome.Status(503, time.Second)),
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean, retryAfter: time.Second}},
		{"503 without Retry-After", invoke(outcome.Status(503, 0)),
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean}},
		{"408 is a pre-execution timeout", invoke(outcome.Status(408, 0)),
			want{phase: pre, class: timeout, layer: agent, effects: none, context: clean}},
		{"400 is deterministic", invoke(outcome.Status(400, 0)),
			want{phase: pre, class: deterministic, layer: agent, effects: none, context: clean}},
		{"404 is deterministic", invoke(outcome.Status(404, 0)),
			want{phase: pre, class: deterministic, layer: agent, effects: none, context: clean}},
		{"500 says nothing about whether the tool acted", invoke(outcome.Status(500, 0)),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},
		{"502", invoke(outcome.Status(502, 0)),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},
		{"504 is a mid-execution timeout", invoke(outcome.Status(504, 0)),
			want{phase: mid, class: timeout, layer: agent, effects: possible, context: clean}},
		{"500 ignores a Retry-After", invoke(outcome.Status(500, time.Second)),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},
		{"timeout waiting for the response", invoke(outcome.ErrTimeout),
			want{phase: mid, class: timeout, layer: agent, effects: possible, context: clean}},
		{"connection reset after the request", invoke(outcome.ErrReset),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},
		{"bad response after the tool acted", invoke(outcome.ErrBadResponse),
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: clean}},
		{"invalid plan answered by the tool", outcome.Observation{Stage: outcome.StageInvoke, Err: &outcome.InvalidPlanError{Reason: "x"}},
			want{phase: post, class: deterministic, layer: orchestrator, effects: none, context: clean}},
		{"an error nobody typed may have acted", invoke(errors.New("EOF")),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean}},

		// Tools with and without side effects; signals.
		{"timeout of a read-only tool emits nothing",
			outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout},
			want{phase: mid, class: timeout, layer: agent, effects: none, context: clean}},
		{"timeout of a trigger may have signalled",
			outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, SideEffects: true, Signals: true},
			want{phase: mid, class: timeout, layer: agent, effects: possible, context: clean, signals: true}},
		{"refused trigger sent no signal",
			outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrRefused, SideEffects: true, Signals: true},
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean}},
		{"orchestrator layer is kept for transport failures",
			outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, Layer: orchestrator},
			want{phase: mid, class: timeout, layer: orchestrator, effects: none, context: clean}},

		// Streaming model calls.
		{"stream cut after chunks reached the consumer", stream(outcome.ErrStreamCut, 2),
			want{phase: mid, class: transient, layer: agent, effects: confirmed, context: clean, signals: true, llm: outcome.MidInference}},
		{"stream cut before any chunk", stream(outcome.ErrStreamCut, 0),
			want{phase: mid, class: transient, layer: agent, effects: possible, context: clean, llm: outcome.MidInference}},
		{"chunks are effects even of a call registered without side effects",
			outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrStreamCut, Streaming: true, Chunks: 1},
			want{phase: mid, class: transient, layer: agent, effects: confirmed, context: clean, signals: true, llm: outcome.MidInference}},
		{"model call refused is pre-inference", stream(outcome.ErrRefused, 0),
			want{phase: pre, class: transient, layer: agent, effects: none, context: clean, llm: outcome.PreInference}},
		{"model call rate limited is pre-inference", stream(outcome.Status(429, 500*time.Millisecond), 0),
			want{phase: pre, class: rateLimited, layer: agent, effects: none, context: clean, llm: outcome.PreInference, retryAfter: 500 * time.Millisecond}},
		{"complete generation that cannot be handled is post-inference", stream(outcome.ErrBadResponse, 4),
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: clean, signals: true, llm: outcome.PostInference}},
		{"model call whose commit failed is post-inference",
			outcome.Observation{Stage: outcome.StageCommit, Err: errStore, SideEffects: true, Streaming: true, KeysWritten: 2, KeysTotal: 2},
			want{phase: post, class: transient, layer: agent, effects: confirmed, context: written, inHand: true, llm: outcome.PostInference}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := outcome.Classify(c.obs)
			if got := (want{}).of(o); got != c.want {
				t.Errorf("Classify(%+v)\n got  %s\n want %s", c.obs, got, c.want)
			}
			if o.Reconciled {
				t.Errorf("Classify never marks an outcome reconciled, got %s", o)
			}
			if o.SideEffects() != (o.Effects != outcome.NoEffects) {
				t.Errorf("SideEffects() = %v for effects %s", o.SideEffects(), o.Effects)
			}
		})
	}
}

func TestClassifyKeepsTheCause(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("call create_charge: %w", outcome.ErrReset)
	if got := outcome.Classify(invoke(err)).Cause; got != err.Error() {
		t.Errorf("cause %q, want %q", got, err.Error())
	}
	if got := outcome.Classify(outcome.Observation{Stage: outcome.StageRecovered}).Cause; got != "" {
		t.Errorf("an observation without an error has cause %q, want none", got)
	}
}

func TestStatusError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want string
	}{
		{outcome.Status(429, 1500*time.Millisecond), "status 429 (retry after 1.5s)"},
		{outcome.Status(500, 0), "status 500"},
		{&outcome.InvalidPlanError{Reason: "cycle"}, "invalid plan: cycle"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
	var se *outcome.StatusError
	if !errors.As(fmt.Errorf("wrapped: %w", outcome.Status(503, time.Second)), &se) || se.Code != 503 || se.RetryAfter != time.Second {
		t.Errorf("errors.As through a wrap gave %+v", se)
	}
}

func TestOutcomeString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		o    outcome.Outcome
		want string
	}{
		{outcome.Classify(invoke(outcome.ErrTimeout)), "mid/timeout/agent effects=possible context=clean"},
		{outcome.Classify(stream(outcome.ErrStreamCut, 1)), "mid/transient/agent effects=confirmed context=clean llm=mid-inference signals"},
		{outcome.Classify(invoke(outcome.Status(429, time.Second))), "pre/rate-limited/agent effects=none context=clean retry-after=1s"},
		{outcome.Classify(outcome.Observation{Stage: outcome.StageRecovered, SideEffects: true}), "mid/transient/agent effects=possible context=clean crashed"},
		{outcome.Outcome{Phase: pre, Class: transient, Layer: agent, Context: clean, Reconciled: true}, "pre/transient/agent effects=none context=clean reconciled"},
		{outcome.Outcome{}, "invalid(0)/invalid(0)/invalid(0) effects=none context=invalid(0)"},
	}
	for _, c := range cases {
		if got := c.o.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
