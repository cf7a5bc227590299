package policy

import (
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Reference returns the five-layer reference policy: the article's decision
// tree, made precise.
//
//  1. A deterministic orchestrator failure (an invalid plan) fails: the same
//     input yields the same plan, so a retry only burns tokens.
//  2. Any other deterministic failure fails where nothing was emitted (and
//     no earlier request of the step is in flight), compensates where the
//     effect can be undone, dead-letters otherwise.
//  3. A failure before the tool acted, or of a step that emits nothing, is
//     retried with backoff, up to 5 times: there is nothing to duplicate.
//     Tiers govern uncertain outcomes, not this.
//     Every retry keeps the operation's key and dedup token, so that chunks an
//     earlier attempt streamed are never streamed again.
//     When the retries are spent, a step with an earlier request still in
//     flight (a lookup found nothing, which proves nothing of a request on
//     its way) is not merely failed: its keys are compensated, which also
//     cancels what has not landed yet, or it is dead-lettered.
//  4. After the tool acted (post-execution, post-inference), nothing is
//     re-executed: reconcile commits the response in hand or the one found
//     by key.
//  5. A model call cut mid-inference is retried with its dedup token, so the
//     chunks already delivered downstream are not delivered again (3 times):
//     only a call that has a token, which its tool answers lookups by.
//  6. An uncertain outcome on a tool that answers lookups is reconciled:
//     verify by key before any re-execution.
//  7. Otherwise an idempotent tool is retried (3 times), a tool with a
//     compensator is compensated, and anything else is dead-lettered for
//     human review.
//
// Tenant contracts are applied on top by [Resolve]; the architecture is
// [DefaultArchitecture].
func Reference() Policy { return reference{} }

// reference is the reference policy, less the safeguards in without (none:
// the reference itself).
type reference struct{ without Safeguards }

func (r reference) Name() string {
	if r.without == 0 {
		return "reference"
	}
	return "reference-without-" + r.without.String()
}

func (r reference) Architecture() Architecture {
	a := DefaultArchitecture()
	a.Without = r.without
	return a
}

func (r reference) Decide(in Input) Decision {
	o, e := in.Outcome, in.Entry
	switch {
	case o.Class == outcome.Deterministic && o.Layer == outcome.Orchestrator && r.without.Has(NoPlanRetry):
		return RetryUpTo(5, "an invalid plan, retried as if the next one could differ")
	case o.Class == outcome.Deterministic && o.Layer == outcome.Orchestrator:
		return Decide(Fail, "deterministic orchestrator failure: the same input yields the same plan")
	case o.Class == outcome.Deterministic && !in.MayHaveActed():
		return Decide(Fail, "deterministic failure before the tool acted")
	case o.Class == outcome.Deterministic && e.HasCompensator():
		return Decide(Compensate, "deterministic failure, and the tool may have acted: undo it")
	case o.Class == outcome.Deterministic:
		return Decide(DeadLetter, "deterministic failure, and the tool may have acted: nothing undoes it")
	case o.Phase == outcome.PhasePre && in.Retries < 5:
		d := RetryUpTo(5, "the tool did not act: nothing to duplicate")
		d.DedupToken = true // chunks an earlier attempt streamed stay delivered
		return d
	case !o.SideEffects() && in.Retries < 5:
		d := RetryUpTo(5, "nothing was emitted: a retry duplicates nothing")
		d.DedupToken = true
		return d
	case !o.SideEffects() && !in.InFlight:
		return Decide(Fail, "nothing was emitted and the retries are spent")
	case !o.SideEffects() && e.HasCompensator():
		return Decide(Compensate, "the retries are spent and an earlier request may still land: cancel its key")
	case !o.SideEffects():
		return Decide(DeadLetter, "the retries are spent and an earlier request may still land")
	case o.Phase == outcome.PhasePost && r.without.Has(ReconcileAfterActed):
		return RetryUpTo(5, "the tool acted, and the step is retried as if it had not")
	case o.Phase == outcome.PhasePost:
		return Decide(Reconcile, "the tool acted: commit what happened, do not re-execute")
	case o.LLM == outcome.MidInference && e.Lookup && in.HasKey && in.Retries < 3:
		d := RetryUpTo(3, "cut mid-inference: retry under the same dedup token")
		d.DedupToken = true
		return d
	case e.Lookup && in.HasKey:
		return Decide(Reconcile, "the tool may have acted: verify by key before re-executing")
	case e.Class == registry.Idempotent && in.Retries < 3:
		d := RetryUpTo(3, "idempotent tool: a repeat is harmless")
		d.DedupToken = true
		return d
	case e.HasCompensator():
		return Decide(Compensate, "the tool may have acted and cannot be verified: undo it")
	default:
		return Decide(DeadLetter, "the tool may have acted and can be neither verified nor undone")
	}
}
