package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

// reconcile does not re-execute. It commits the response in hand; or adopts
// a commit that landed unconfirmed; or looks the operation up by every key
// its attempts carried and commits what happened; or, where nothing can be
// known, dead-letters. A lookup that finds nothing turns the outcome into a
// pre-execution one and asks the policy again.
func (e *Engine) reconcile(ctx context.Context, r *run) error {
	st := r.exec.Steps[r.step]
	ent, _, err := e.entry(r)
	if err != nil {
		r.finishWith(doFail, err.Error())
		return nil
	}
	if ready := r.called[r.step].Add(ent.LookupLag); r.inHand == nil && ent.LookupLag > 0 && e.clock.Now().Before(ready) {
		// The tool's lookups lag: finding nothing sooner proves nothing.
		// Look it up once they can see the call.
		r.wake = ready
		return nil
	}
	a := store.Attempt{AttemptID: r.attemptID(r.attempts[r.step] + 1), Kind: store.Reconcile, Key: firstOf(r.keys[r.step]...)}
	if err := e.begin(ctx, r, &a, st.Tool); err != nil {
		return e.beginFailed(ctx, r, a, ent, err)
	}
	if r.inHand != nil {
		resp := *r.inHand
		r.inHand = nil
		return e.complete(ctx, r, a, ent, resp)
	}
	snap, err := e.store.Load(ctx, r.exec.Tenant, r.exec.Exec)
	if errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("reconcile step %d of %s: %w", r.step, r.exec.Ref(), err) // wait for the store
	}
	if err != nil {
		return e.reconcileFailed(ctx, r, a, ent, err, true)
	}
	if len(snap.Commits) > r.step {
		return e.adopt(ctx, r)
	}
	switch {
	case e.lookup == nil || !ent.Lookup:
		r.finishWith(doDeadLetter, fmt.Sprintf("cannot reconcile %s: the tool answers no lookups by key; %s", st.Tool, r.last.Cause))
		return nil
	case len(r.keys[r.step]) == 0:
		r.finishWith(doDeadLetter, fmt.Sprintf("cannot reconcile %s: no attempt carried a key to look up; %s", st.Tool, r.last.Cause))
		return nil
	}
	keys := r.keys[r.step]
	if e.arch.Without.Has(policy.ReconcileEveryKey) {
		keys = keys[:1] // the first attempt's key only
	}
	for _, k := range keys {
		res, err := e.lookup.Lookup(ctx, LookupRequest{AttemptID: a.AttemptID, Tool: st.Tool, Key: k})
		if errors.Is(err, ErrCrash) {
			return err
		}
		if err != nil {
			return e.reconcileFailed(ctx, r, a, ent, err, true)
		}
		e.emit(&Event{Kind: EvLookup, AttemptID: a.AttemptID, Tool: st.Tool, Key: k, Found: res.Found, Ref: res.Response.Ref})
		if res.Found {
			if res.Response.Ref != "" {
				r.refs[r.step] = res.Response.Ref
			}
			return e.complete(ctx, r, a, ent, res.Response)
		}
	}
	// Nothing under any key: the tool did not act. For a streaming call the
	// chunks already forwarded are effects of their own, so the outcome
	// stays mid-inference; it is only marked as looked up.
	o := r.last
	o.Reconciled, o.InHand, o.Crashed = true, false, false
	o.Cause = "lookup by key found no trace of the operation"
	if !ent.Streaming {
		o.Phase, o.Effects, o.SignalsSent = outcome.PhasePre, outcome.NoEffects, false
		r.effects[r.step], r.signals[r.step] = outcome.NoEffects, false
		r.inflight[r.step] = true
	}
	a.Outcome = o
	r.pending = e.scratch.failureOf(failure{a: a, begun: true})
	return e.recordFailure(ctx, r)
}

// reconcileFailed handles a reconcile that could not finish (the store or
// the lookup failed): the original uncertain outcome stands and is decided
// again, within the budget.
func (e *Engine) reconcileFailed(ctx context.Context, r *run, a store.Attempt, ent registry.Entry, err error, begun bool) error {
	o := r.last
	o.Cause = fmt.Sprintf("reconcile failed: %v", err)
	a.Outcome = o
	if r.retries(false)+1 >= max(e.arch.Budget.MaxRetries, 1) {
		r.finishWith(doDeadLetter, o.Cause)
		if begun {
			if err := e.store.End(ctx, a); err != nil {
				return err
			}
		}
		return nil
	}
	r.pending = e.scratch.failureOf(failure{a: a, inHand: r.inHand, begun: begun})
	return e.recordFailure(ctx, r)
}

// compensate undoes the current step's effects through the tool's
// compensator, once per key the step's attempts carried (or by the effect's
// handle when no key was sent), then ends the execution compensated.
func (e *Engine) compensate(ctx context.Context, r *run) error {
	st := r.exec.Steps[r.step]
	ent, _, err := e.entry(r)
	if err != nil {
		r.finishWith(doFail, err.Error())
		return nil
	}
	keys, ref := r.keys[r.step], r.refs[r.step]
	switch {
	case !e.arch.Compensation() || !ent.HasCompensator():
		r.finishWith(doDeadLetter, fmt.Sprintf("cannot compensate %s: no compensator; %s", st.Tool, r.last.Cause))
		return nil
	case len(keys) == 0 && ref == "":
		r.finishWith(doDeadLetter, fmt.Sprintf("cannot compensate %s: nothing identifies the effect; %s", st.Tool, r.last.Cause))
		return nil
	case len(keys) == 0:
		keys = []string{""}
	case e.arch.Without.Has(policy.CompensateEveryKey):
		keys = keys[:1] // the first attempt's key only
	}
	a := store.Attempt{AttemptID: r.attemptID(r.attempts[r.step] + 1), Kind: store.Compensate}
	if err := e.begin(ctx, r, &a, ent.Compensator); err != nil {
		return e.beginFailed(ctx, r, a, ent, err)
	}
	for _, k := range keys {
		call := Call{AttemptID: a.AttemptID, Tool: ent.Compensator, Key: k, Ref: ref}
		if k != "" {
			call.Ref = ""
		}
		_, err := e.tools.Invoke(ctx, call)
		if errors.Is(err, ErrCrash) {
			return err
		}
		if err != nil {
			return e.compensationFailed(ctx, r, a, err, true)
		}
		e.emit(&Event{Kind: EvCompensate, AttemptID: a.AttemptID, Tool: ent.Compensator, Key: k, Ref: call.Ref})
	}
	r.finishWith(doFinishCompensated, r.last.Cause)
	return nil
}

const maxCompensations = 3

// compensationFailed retries a compensation with backoff (compensators undo
// by key, so a repeat is harmless) and dead-letters after maxCompensations.
// The failure is recorded on the attempt when its begin record exists.
func (e *Engine) compensationFailed(ctx context.Context, r *run, a store.Attempt, err error, begun bool) error {
	a.Outcome = outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Transient, Layer: outcome.Agent, Effects: outcome.PossibleEffects,
		Cause: fmt.Sprintf("compensation failed: %v", err)}
	if begun {
		if err := e.store.End(ctx, a); err != nil {
			return err
		}
	}
	r.comp++
	if r.comp >= maxCompensations {
		r.finishWith(doDeadLetter, a.Outcome.Cause)
		return nil
	}
	r.wake = e.clock.Now().Add(e.arch.Backoff.Delay(r.comp, e.jitter(a)))
	return nil
}

// restart begins a new run from the first step (orchestrator-level retry).
func (e *Engine) restart(ctx context.Context, r *run) error {
	if err := e.store.Restart(ctx, r.exec.Tenant, r.exec.Exec, r.exec.Run+1); err != nil {
		return fmt.Errorf("restart %s: %w", r.exec.Ref(), err)
	}
	r.exec.Run++
	r.step = 0
	r.ctx = inputContext(r.exec.Input)
	// The shared document is not reset: a restart reads what the failed
	// run left in it.
	r.next, r.inHand = doAttempt, nil
	clear(r.effects)
	clear(r.signals)
	clear(r.inflight)
	clear(r.first)
	clear(r.called)
	ev := restartEvent(r.exec, r.exec.Run)
	e.emit(&ev)
	return nil
}

func (e *Engine) deadLetter(ctx context.Context, r *run) error {
	d := store.DeadLetter{AttemptID: r.attemptID(0), Cause: r.cause, At: e.clock.Now()}
	queue := e.store.DeadLetter
	if e.arch.Without.Has(policy.ReviewQueue) {
		queue = func(ctx context.Context, d store.DeadLetter) error {
			return e.store.Finish(ctx, d.Tenant, d.Exec, store.DeadLettered, d.Cause) // marked, never queued
		}
	}
	if err := queue(ctx, d); err != nil {
		return fmt.Errorf("dead-letter %s: %w", r.exec.Ref(), err)
	}
	ev := deadLetterEvent(r.exec, d)
	e.emit(&ev)
	e.ended(r, store.DeadLettered, d.Cause)
	return nil
}

func (e *Engine) finish(ctx context.Context, r *run, s store.Status, cause string) error {
	if err := e.store.Finish(ctx, r.exec.Tenant, r.exec.Exec, s, cause); err != nil {
		return fmt.Errorf("finish %s: %w", r.exec.Ref(), err)
	}
	e.ended(r, s, cause)
	return nil
}

func (e *Engine) ended(r *run, s store.Status, cause string) {
	r.done, r.status = true, s
	ev := finishEvent(r.exec, r.step, s, cause)
	e.emit(&ev)
}
