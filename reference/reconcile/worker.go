package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Opts configures a Worker. The zero value means: wall clock, no observer,
// batches of 100.
type Opts struct {
	Clock    engine.Clock
	Observer engine.Observer
	// Batch is how many executions one claim takes.
	Batch int
	// Without switches off the worker's safeguards among these (the
	// anomaly classes it looks for), for chaosrun's regression suite; the
	// zero value switches nothing off. See [policy.Safeguard].
	Without policy.Safeguards
}

// Tools is what the worker needs of the world: calls (for compensators) and
// lookups by key.
type Tools interface {
	engine.Invoker
	engine.Lookuper
}

// Worker audits recovered executions. Several workers may share a store;
// the store hands each execution to one of them.
type Worker struct {
	store store.Store
	reg   *registry.Registry
	tools Tools
	clock engine.Clock
	obs   engine.Observer
	batch int
	off   policy.Safeguards
}

// New returns a worker.
func New(s store.Store, reg *registry.Registry, tools Tools, opts *Opts) (*Worker, error) {
	if s == nil || reg == nil || tools == nil {
		return nil, errors.New("reconcile: store, registry and tools are required")
	}
	if opts == nil {
		opts = &Opts{}
	}
	w := &Worker{store: s, reg: reg, tools: tools, clock: opts.Clock, obs: opts.Observer, batch: opts.Batch, off: opts.Without}
	if w.clock == nil {
		w.clock = engine.RealClock
	}
	if w.batch <= 0 {
		w.batch = 100
	}
	return w, nil
}

// Pass audits every execution waiting for an audit and returns the events
// it recorded.
func (w *Worker) Pass(ctx context.Context) ([]store.ReconEvent, error) {
	var all []store.ReconEvent
	audit := func(snap store.Snapshot) ([]store.ReconEvent, error) {
		events, err := w.audit(ctx, &snap)
		if err == nil {
			all = append(all, events...)
		}
		return events, err
	}
	for {
		n, err := w.store.Audit(ctx, w.batch, audit)
		if err != nil {
			return all, fmt.Errorf("reconcile: %w", err)
		}
		if n == 0 {
			return all, nil
		}
	}
}

// audit checks one execution, step by step.
func (w *Worker) audit(ctx context.Context, snap *store.Snapshot) ([]store.ReconEvent, error) {
	x := snap.Execution
	var events []store.ReconEvent
	for step, st := range x.Steps {
		ent, err := w.reg.Lookup(st.Tool, x.Tenant)
		if err != nil || !ent.Lookup || ent.Streaming || deadLettered(snap, step) {
			continue
		}
		keys := stepKeys(snap, step)
		if len(keys) == 0 {
			continue
		}
		refs, err := w.live(ctx, x.Tenant, st.Tool, keys)
		if err != nil {
			return nil, fmt.Errorf("audit %s step %d: %w", x.Ref(), step, err)
		}
		ev, found, err := w.judge(ctx, snap, step, ent, refs)
		if err != nil {
			return nil, err
		}
		if found {
			events = append(events, ev)
			w.emit(&ev)
		}
	}
	return events, nil
}

// judge compares one step's committed state with the tool's live effects,
// and reports whether it found an anomaly, and the event that records it.
func (w *Worker) judge(ctx context.Context, snap *store.Snapshot, step int, ent registry.Entry, refs []string) (ev store.ReconEvent, found bool, err error) {
	x := snap.Execution
	ev = store.ReconEvent{Tenant: x.Tenant, Exec: x.Exec, Step: step, Tool: ent.Tool, At: w.clock.Now()}
	var undo []string
	switch committed := step < len(snap.Commits); {
	case committed && len(refs) > 1:
		keep := snap.Commits[step].Result.Ref
		ev.Kind, ev.Detail = store.DuplicateEffect, fmt.Sprintf("%d live effects for one operation: %v (committed: %s)", len(refs), refs, keep)
		undo = slices.DeleteFunc(slices.Clone(refs), func(r string) bool { return r == keep })
		if len(undo) == len(refs) {
			undo = undo[1:]
		}
	case committed && len(refs) == 0:
		ev.Kind = store.ConflictingState
		ev.Detail = fmt.Sprintf("committed with %s, and the tool has no trace of it", snap.Commits[step].Result.Ref)
	case !committed && x.Status.Terminal() && len(refs) > 0:
		ev.Kind, ev.Detail = store.OrphanedEffect, fmt.Sprintf("%s ended %s, leaving %v", x.Ref(), x.Status, refs)
		undo = refs
	default:
		return store.ReconEvent{}, false, nil
	}
	if w.off.Has(anomalySafeguard[ev.Kind]) {
		return store.ReconEvent{}, false, nil // the worker does not look for this class
	}
	ev.Action = "flagged for review"
	if len(undo) > 0 && ent.HasCompensator() {
		for _, ref := range undo {
			call := engine.Call{AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.Exec, Run: x.Run, Step: step}, Tool: ent.Compensator, Ref: ref}
			if _, err := w.tools.Invoke(ctx, call); err != nil {
				return store.ReconEvent{}, false, fmt.Errorf("compensate %s of %s step %d: %w", ref, x.Ref(), step, err)
			}
		}
		ev.Action = fmt.Sprintf("compensated %v with %s", undo, ent.Compensator)
	}
	return ev, true, nil
}

var anomalySafeguard = map[store.Anomaly]policy.Safeguard{
	store.DuplicateEffect:  policy.DuplicateAnomaly,
	store.OrphanedEffect:   policy.OrphanAnomaly,
	store.ConflictingState: policy.ConflictAnomaly,
}

func (w *Worker) live(ctx context.Context, tenant, tool string, keys []string) ([]string, error) {
	var refs []string
	for _, k := range keys {
		res, err := w.tools.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: tenant}, Tool: tool, Key: k})
		if err != nil {
			return nil, err
		}
		refs = append(refs, res.Refs...)
	}
	return refs, nil
}

func (w *Worker) emit(ev *store.ReconEvent) {
	if w.obs != nil {
		w.obs.Observe(engine.Event{
			Kind:      engine.EvRecon,
			At:        ev.At,
			AttemptID: store.AttemptID{Tenant: ev.Tenant, Exec: ev.Exec, Step: ev.Step},
			Tool:      ev.Tool,
			Detail:    string(ev.Kind),
			Ref:       ev.Action,
		})
	}
}

// stepKeys returns the distinct idempotency keys the step's calls carried.
func stepKeys(snap *store.Snapshot, step int) []string {
	var keys []string
	for i := range snap.Attempts {
		if a := &snap.Attempts[i]; a.Step == step && a.Kind == store.Invoke && a.Key != "" && !slices.Contains(keys, a.Key) {
			keys = append(keys, a.Key)
		}
	}
	return keys
}

func deadLettered(snap *store.Snapshot, step int) bool {
	for _, d := range snap.DeadLetters {
		if d.Step == step {
			return true
		}
	}
	return false
}
