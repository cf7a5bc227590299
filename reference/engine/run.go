package engine

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// action is what an execution does next.
type action uint8

const (
	doAttempt action = iota
	doReconcile
	doCompensate
	doRestart
	doDeadLetter
	doFail
	doComplete
	doFinishCompensated
)

// run is the in-memory state of one execution. Everything in it can be
// rebuilt from the store (see rebuild); what cannot — a response in hand —
// is lost in a crash, as it would be. The shared document of shared-context
// mode is the store's: its writes survive crashes and restarts.
type run struct {
	mu sync.Mutex
	runState
	// arrays is the allocation the run was made in, when newRun made it
	// in one: what Release hands back.
	arrays *smallRunArrays
}

// runState is everything of a run but its lock, so that a resync can
// replace it whole.
type runState struct {
	exec store.Execution
	step int
	// ctx is the last committed context version of the current run.
	ctx store.Context
	// shared is the mutable document of shared-context mode.
	shared map[string]store.Value
	// view caches the rendering of the committed version retries read.
	view view

	entries  []stepEntry // per step: its registry entry and contract, once looked up
	attempts []int       // per step: the highest attempt number used
	first    []time.Time // per step of the current run: when its first attempt began
	called   []time.Time // per step of the current run: when its tool was last called
	failures []int       // per step: failed attempts
	total    int         // failed attempts of the whole execution
	keys     [][]string
	refs     []string
	comp     int // failed compensations of the current step
	// effects and signals accumulate over the current step's attempts: an
	// earlier attempt's effects do not vanish because a later one failed
	// before acting.
	effects []outcome.Effects
	signals []bool
	// inflight, per step of the current run: a lookup found no trace of an
	// uncertain attempt, whose request may still land.
	inflight []bool

	next action
	wake time.Time
	// freshToken makes the next attempt stream under a new dedup token: a
	// retry decided without DedupToken.
	freshToken bool
	pending    *failure
	// unconfirmed is a commit the store reported failed: it may have
	// landed. Nothing ends the execution before the store is asked.
	unconfirmed *store.Commit
	// redecide is an ended attempt whose decision was lost in a crash.
	redecide *store.Attempt
	last     outcome.Outcome
	lastKey  string
	inHand   *Response
	cause    string
	done     bool
	status   store.Status
}

// failure is a failed attempt whose end record is not yet durable.
type failure struct {
	a      store.Attempt
	inHand *Response
	begun  bool
}

func newRun(x store.Execution) *run {
	n := len(x.Steps)
	if n <= smallRun {
		// A workflow of a few steps gets its run and every per-step array
		// in one allocation, one a released engine handed back if there is
		// one (see Engine.Release).
		b := smallRuns.Get().(*smallRunArrays)
		b.run.arrays = b
		b.run.runState = runState{
			exec:     x,
			entries:  b.entries[:n:n],
			attempts: b.ints[:n:n],
			failures: b.ints[smallRun : smallRun+n : smallRun+n],
			first:    b.times[:n:n],
			called:   b.times[smallRun : smallRun+n : smallRun+n],
			keys:     b.keys[:n:n],
			refs:     b.refs[:n:n],
			effects:  b.effects[:n:n],
			signals:  b.flags[:n:n],
			inflight: b.flags[smallRun : smallRun+n : smallRun+n],
		}
		for i := range n {
			// room for a step's first two keys (its key or token, and a retry's)
			b.keys[i] = b.keyRoom[2*i : 2*i : 2*i+2]
		}
		return &b.run
	}
	// Counters, times and flags of a kind share one array, each capped to its part.
	ints, times, flags := make([]int, 2*n), make([]time.Time, 2*n), make([]bool, 2*n)
	return &run{runState: runState{
		exec:     x,
		entries:  make([]stepEntry, n),
		attempts: ints[:n:n],
		failures: ints[n:],
		first:    times[:n:n],
		called:   times[n:],
		keys:     make([][]string, n),
		refs:     make([]string, n),
		effects:  make([]outcome.Effects, n),
		signals:  flags[:n:n],
		inflight: flags[n:],
	}}
}

// smallRun is the most steps a workflow has for newRun to make its run in
// one allocation.
const smallRun = 8

// smallRuns holds the runs released engines handed back, zeroed.
var smallRuns = sync.Pool{New: func() any { return new(smallRunArrays) }}

// release hands the run's memory back for newRun: nothing may use the run
// afterwards. What the run handed out (its events' reads, outcomes and
// decisions, its keys' strings) is allocated apart from it.
func (r *run) release() {
	b := r.arrays
	if b == nil || r != &b.run {
		return
	}
	*b = smallRunArrays{}
	smallRuns.Put(b)
}

type smallRunArrays struct {
	run     run
	ints    [2 * smallRun]int
	times   [2 * smallRun]time.Time
	flags   [2 * smallRun]bool
	keys    [smallRun][]string
	keyRoom [2 * smallRun]string
	refs    [smallRun]string
	effects [smallRun]outcome.Effects
	entries [smallRun]stepEntry
}

// attemptID is the identity of attempt n of the execution's current step
// (n = 0: the step as a whole).
func (r *run) attemptID(n int) store.AttemptID {
	return store.AttemptID{Tenant: r.exec.Tenant, Exec: r.exec.Exec, Run: r.exec.Run, Step: r.step, Attempt: n}
}

// since is when the budget's scope began: the current step's first
// attempt, or the execution's start for a global budget.
func (r *run) since(global bool) time.Time {
	if global || r.first[r.step].IsZero() {
		return r.exec.Created
	}
	return r.first[r.step]
}

func (r *run) retries(global bool) int {
	if global {
		return r.total - 1
	}
	return r.failures[r.step] - 1
}

func (r *run) addKey(step int, k string) {
	if k != "" && !slices.Contains(r.keys[step], k) {
		r.keys[step] = append(r.keys[step], k)
	}
}

func (r *run) finishWith(a action, cause string) {
	r.next, r.cause = a, cause
}

// sharedDocument is the shared-context document: the execution's input, then
// every key written to the store's scratchpad.
func sharedDocument(x store.Execution, written map[string]store.Value) map[string]store.Value {
	doc := inputContext(x.Input).Values
	maps.Copy(doc, written)
	return doc
}

// rebuild restores an execution's state from its snapshot: the step after
// the last commit, attempt counters, the keys used, and what to do next.
func (e *Engine) rebuild(snap store.Snapshot) *run {
	x := snap.Execution
	r := newRun(x)
	r.ctx = snap.Context
	if e.arch.Context == policy.Shared || e.arch.Without.Has(policy.CopyOnWrite) {
		r.shared = sharedDocument(x, snap.Shared) // as Start makes it: only these modes write into it
	}
	r.step = len(snap.Commits)
	if e.arch.Without.Has(policy.ResumeAfterCommit) && r.step > 0 && r.step < len(x.Steps) {
		r.step-- // resumes at the last committed step, not after it
	}
	// Report the durable facts found in the store: the engine that made them
	// may have died before reporting them, or been told a write failed
	// that landed.
	e.emitRecovered(startEvent(x, e.scratch))
	for run := 1; run <= x.Run; run++ {
		e.emitRecovered(restartEvent(x, run))
	}
	for _, c := range snap.Commits {
		e.emitRecovered(commitEvent(x, c))
	}
	if x.Status.Terminal() {
		r.done, r.status = true, x.Status
		for _, d := range snap.DeadLetters {
			e.emitRecovered(deadLetterEvent(x, d))
		}
		e.emitRecovered(finishEvent(x, r.step, x.Status, x.Cause))
		return r
	}
	var last *store.Attempt
	for i := range snap.Attempts {
		a := &snap.Attempts[i]
		r.attempts[a.Step] = max(r.attempts[a.Step], a.Attempt)
		if a.Kind == store.Invoke {
			r.addKey(a.Step, a.Key)
			r.addKey(a.Step, a.Token)
		}
		if a.Run == x.Run && r.first[a.Step].IsZero() {
			r.first[a.Step] = a.Begun
		}
		if a.Run == x.Run && a.Kind == store.Invoke && a.Begun.After(r.called[a.Step]) {
			r.called[a.Step] = a.Begun // the call itself came a moment later
		}
		if a.Ended {
			r.failures[a.Step]++
			r.total++
			if a.Run == x.Run {
				r.effects[a.Step] = max(r.effects[a.Step], a.Outcome.Effects)
				r.signals[a.Step] = r.signals[a.Step] || a.Outcome.SignalsSent
				r.inflight[a.Step] = r.inflight[a.Step] || a.Kind == store.Reconcile && a.Outcome.Reconciled && !a.Outcome.SideEffects()
			}
		}
		if a.Run == x.Run && a.Step == r.step {
			last = a
		}
	}
	switch {
	case r.step >= len(x.Steps):
		r.next = doComplete
	case last == nil:
		r.next = doAttempt
	case last.Kind == store.Compensate:
		r.next = doCompensate
		for _, a := range snap.Attempts {
			if a.Run == x.Run && a.Step == r.step && a.Kind == store.Compensate && a.Ended {
				r.comp++
			}
		}
	case !last.Ended:
		ent, _, err := e.entry(r)
		if err != nil {
			r.finishWith(doFail, err.Error())
			break
		}
		a := *last
		a.Outcome = crashedOutcome(ent)
		r.pending = e.scratch.failureOf(failure{a: a, begun: true})
	default:
		o := last.Outcome
		o.InHand = false // a response in hand did not survive the crash
		a := *last
		a.Outcome = o
		r.redecide = &a
	}
	return r
}
