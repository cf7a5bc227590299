package outcome

import (
	"errors"
	"net/http"
)

// Stage is where in an attempt the failure happened.
type Stage uint8

// Stages of an attempt, in order.
const (
	StageBegin        Stage = iota + 1 // writing the checkpoint-begin record
	StageInvoke                        // calling the tool
	StageValidate                      // checking the response (a plan's task graph)
	StageContextWrite                  // writing the step's keys into the context
	StageCommit                        // committing the checkpoint
	StageRecovered                     // unknown: rebuilt after a crash from a begin with no end
)

// Observation is what the engine saw of a failed attempt.
type Observation struct {
	Stage Stage
	Err   error
	// Layer is the registry's layer for the tool.
	Layer Layer
	// SideEffects is false for tools that have none (reads, planning).
	SideEffects bool
	// Streaming is set for model calls that stream chunks downstream.
	Streaming bool
	// Chunks is how many streamed chunks were forwarded downstream.
	Chunks int
	// Signals is set when the tool's effect is itself a downstream signal.
	Signals bool
	// KeysWritten and KeysTotal describe the step's context write.
	KeysWritten, KeysTotal int
}

// Classify types a failure from what the engine observed. It never looks at
// an HTTP status alone: the stage and the transport facts come first.
func Classify(obs Observation) Outcome {
	o := Outcome{Layer: obs.Layer, Context: contextState(obs)}
	if o.Layer == 0 {
		o.Layer = Agent
	}
	if obs.Err != nil {
		o.Cause = obs.Err.Error()
	}
	switch obs.Stage {
	case StageBegin:
		o.Phase, o.Class = PhasePre, Transient
	case StageInvoke:
		classifyInvoke(&o, obs)
	case StageValidate:
		o.Phase, o.Class, o.Layer, o.InHand = PhasePost, Deterministic, Orchestrator, true
	case StageContextWrite, StageCommit:
		o.Phase, o.Class, o.InHand = PhasePost, Transient, true
	default: // StageRecovered, or anything unknown: assume the least safe
		o.Phase, o.Class, o.Crashed = PhaseMid, Transient, obs.Stage == StageRecovered
	}
	o.Effects = effects(o.Phase, obs)
	o.SignalsSent = obs.Chunks > 0 || (obs.Signals && o.Effects != NoEffects)
	if obs.Streaming {
		o.LLM = llmPhase(o.Phase)
	}
	return o
}

func classifyInvoke(o *Outcome, obs Observation) {
	var se *StatusError
	var ip *InvalidPlanError
	var rj *RejectedError
	switch {
	case errors.Is(obs.Err, ErrRefused):
		o.Phase, o.Class = PhasePre, Transient
	case errors.As(obs.Err, &rj):
		o.Phase, o.Class = PhasePost, Deterministic
	case errors.As(obs.Err, &se):
		classifyStatus(o, se)
	case errors.As(obs.Err, &ip):
		o.Phase, o.Class, o.Layer = PhasePost, Deterministic, Orchestrator
	case errors.Is(obs.Err, ErrTimeout):
		o.Phase, o.Class = PhaseMid, Timeout
	case errors.Is(obs.Err, ErrBadResponse):
		o.Phase, o.Class = PhasePost, Transient
	default: // reset, stream cut, or an error nobody typed: the tool may have acted
		o.Phase, o.Class = PhaseMid, Transient
	}
}

func classifyStatus(o *Outcome, se *StatusError) {
	o.Status = se.Code
	switch {
	case se.Code == http.StatusTooManyRequests:
		o.Phase, o.Class, o.RetryAfter = PhasePre, RateLimited, se.RetryAfter
	case se.Code == http.StatusServiceUnavailable:
		o.Phase, o.Class, o.RetryAfter = PhasePre, Transient, se.RetryAfter
	case se.Code == http.StatusRequestTimeout:
		o.Phase, o.Class = PhasePre, Timeout
	case se.Code >= 400 && se.Code < 500:
		o.Phase, o.Class = PhasePre, Deterministic
	case se.Code == http.StatusGatewayTimeout:
		o.Phase, o.Class = PhaseMid, Timeout
	default:
		o.Phase, o.Class = PhaseMid, Transient
	}
}

func effects(p Phase, obs Observation) Effects {
	switch {
	case obs.Chunks > 0: // chunks that reached the consumer are effects, whatever the error says
		return ConfirmedEffects
	case !obs.SideEffects, p == PhasePre:
		return NoEffects
	case p == PhasePost:
		return ConfirmedEffects
	default:
		return PossibleEffects
	}
}

func contextState(obs Observation) ContextState {
	switch {
	case obs.KeysWritten == 0:
		return ContextClean
	case obs.KeysWritten < obs.KeysTotal:
		return ContextPartial
	default:
		return ContextCommitted
	}
}

func llmPhase(p Phase) LLMPhase {
	switch p {
	case PhasePre:
		return PreInference
	case PhaseMid:
		return MidInference
	default:
		return PostInference
	}
}
