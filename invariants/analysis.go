package invariants

import (
	"sync"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// Analysis is a run's history and ledger indexed once: what the checkers
// decide on, exported so that the cost figures and the timelines of the
// reports read the same facts the verdicts rest on, instead of deriving
// them again.
type Analysis struct {
	ix       index
	dupsOnce sync.Once
	dups     []bool // by ledger index; built on first use
}

// analyses are analyses released, for the next runs to index.
var analyses = sync.Pool{New: func() any { return new(Analysis) }}

// Analyze indexes a run's history and its ledger, in the memory of an
// analysis released before when there is one.
func Analyze(h *History, l *fakes.Ledger) *Analysis {
	a := analyses.Get().(*Analysis)
	a.ix.reset(h, l)
	return a
}

// Release hands the analysis's memory back for the analyses that follow:
// neither it nor anything read from it (the results of its Check
// included) may be used afterwards, and it must be released once. A
// caller that checks many runs one after another (the simulation)
// releases each analysis once it is done with its run; one that is not
// released is collected as usual.
func (a *Analysis) Release() {
	a.ix.release()
	a.dupsOnce = sync.Once{}
	a.dups = a.dups[:0]
	analyses.Put(a)
}

// Check runs every checker, in contract order. A check reuses the results
// of the check before it, once the analysis was released and taken again.
func (a *Analysis) Check() []Result {
	a.ix.mu.Lock()
	defer a.ix.mu.Unlock()
	out := a.ix.results
	a.ix.results = nil
	if cap(out) < len(checkers) {
		out = make([]Result, len(checkers))
	}
	out = out[:len(checkers)]
	for i, c := range checkers {
		out[i] = c.run(&a.ix)
	}
	a.ix.last = out
	return out
}

// Anomalies returns what the reconciliation worker must report (see
// [Anomalies]).
func (a *Analysis) Anomalies() []Anomaly { return a.ix.anomalies() }

// Duplicate reports whether ledger entry seq repeated its operation's
// non-idempotent effect, or a streamed chunk, while an earlier one was still
// live. Only the system's calls count, not what the world did on its own
// (a double delivery): this is what a duplicate effect costs.
func (a *Analysis) Duplicate(seq int) bool {
	a.dupsOnce.Do(func() { a.dups = a.ix.duplicates(a.dups) })
	return seq >= 0 && seq < len(a.dups) && a.dups[seq]
}

// Cause returns the index of the event that ledger entry seq belongs
// beside: the call (for a compensation, the compensation) or lookup of the
// attempt that made it, the last one at or before it; else the last event
// of its execution at or before it; else the last event before it. It
// returns -1 only for a run without events.
func (a *Analysis) Cause(seq int) int {
	fx := a.ix.l.Effects()[seq]
	want := engine.EvInvoke
	if fx.Kind == fakes.Compensated {
		want = engine.EvCompensate
	}
	src := fx.Source()
	same, sameExec, before := -1, -1, -1
	for i := range a.ix.h.Events {
		e := &a.ix.h.Events[i]
		if e.At.After(fx.At) {
			continue
		}
		before = i
		if e.Tenant != src.Tenant || e.Exec != src.Exec {
			continue
		}
		sameExec = i
		if e.AttemptID == src && (e.Kind == want || e.Kind == engine.EvLookup) {
			same = i
		}
	}
	switch {
	case same >= 0:
		return same
	case sameExec >= 0:
		return sameExec
	case before >= 0:
		return before
	case len(a.ix.h.Events) > 0:
		return 0
	}
	return -1
}

// TokensWasted returns the model tokens spent on output nothing kept: for
// each operation with usage in the ledger, the tokens of all its calls,
// less those of its largest when its step was committed (the call whose
// output the execution kept).
func (a *Analysis) TokensWasted() int {
	ix := &a.ix
	effects := ix.l.Effects()
	wasted := 0
	for k := range ix.ops {
		o := &ix.ops[k]
		tokens, single, used := 0, 0, false
		for _, i := range o.effects {
			if e := &effects[i]; e.Kind == fakes.Usage {
				tokens, single, used = tokens+e.Tokens, max(single, e.Tokens), true
			}
		}
		if used && ix.committed(o) {
			tokens -= single
		}
		wasted += tokens
	}
	return wasted
}

// committed reports whether an operation is a step (not a chunk) some run
// committed.
func (ix *index) committed(o *opInfo) bool {
	if o.op.Sub != -1 {
		return false
	}
	if x := ix.exec(o); x != nil {
		for _, c := range x.commits {
			if c.step == o.op.Step {
				return true
			}
		}
		return false
	}
	for i, ea := range ix.evs { // an operation of no execution: a commit of none
		if e := &ix.h.Events[i]; ea.kind == engine.EvCommit && e.Tenant == o.op.Tenant && e.Exec == o.op.Exec && e.Step == o.op.Step {
			return true
		}
	}
	return false
}

// duplicates walks each operation's entries once, keeping the effects that
// are live, and marks the entries that found one already live.
func (ix *index) duplicates(dup []bool) []bool {
	effects := ix.l.Effects()
	dup = resize(&dup, len(effects))
	clear(dup)
	live := map[string]bool{}
	for k := range ix.ops {
		o := &ix.ops[k]
		clear(live)
		chunk := false
		for _, i := range o.effects {
			e := effects[i]
			switch {
			case e.Kind == fakes.Compensated:
				delete(live, e.Ref)
			case e.Kind == fakes.Applied && !e.Idempotent && !e.World:
				dup[i] = len(live) > 0 || chunk
				live[e.Ref] = true
			case e.Kind == fakes.Chunk && !e.World:
				dup[i] = len(live) > 0 || chunk
				chunk = true
			}
		}
	}
	return dup
}

// CheckOne runs the one checker of id over the analysis: what a shrinker
// asks of each candidate, which needs no other verdict. An id no checker
// has is unknown.
func (a *Analysis) CheckOne(id ID) Result {
	a.ix.mu.Lock()
	defer a.ix.mu.Unlock()
	for _, c := range checkers {
		if c.ID == id {
			return c.run(&a.ix)
		}
	}
	return Result{Invariant: id, Status: Unknown, Reason: "no checker has this id"}
}
