package harness

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
	outcomes "github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/worlds"
)

// wireRecorder builds a history of the team's code from what the fakes saw
// on the wire and what the code reported, in the order it happened:
//
//	start        each execution, as the case begins
//	invoke       a request of a step reaching its tool (Key, or Token for a model), attempt numbered by the server
//	compensate   a request reaching a compensator
//	fault        each fault of the schedule, after the request it hit
//	commit       a tool's result that reached the code: the step's result is in its hands
//	failure      any other answer: its status and the Retry-After it carried
//	lookup       a lookup by key and its answer
//	crash        the code running an execution crashed; recover, its restart
//	finish       what the code reported; dead-letter for each step of one it dead-lettered
//
// It is safe for concurrent use: the handlers call it from their goroutines.
type wireRecorder struct {
	cat *fakes.Catalog

	mu      sync.Mutex
	events  []engine.Event
	arrived map[callID]bool
	pending map[callID][]faults.Applied
	notes   []string
	start   time.Time
}

// callID is one request of one step at one tool.
type callID struct {
	store.AttemptID
	tool string
}

func newWireRecorder(cat *fakes.Catalog) *wireRecorder {
	return &wireRecorder{cat: cat, arrived: map[callID]bool{}, pending: map[callID][]faults.Applied{}, start: time.Now()}
}

func (r *wireRecorder) add(e engine.Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r.events = append(r.events, e)
}

// begin records the start of every execution.
func (r *wireRecorder) begin(xs []Execution) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range xs {
		tools := make([]string, len(x.Steps))
		for i, st := range x.Steps {
			tools[i] = st.Tool
		}
		r.add(engine.Event{Kind: engine.EvStart, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Tools: tools, Detail: x.Workflow})
	}
}

// fault is the injector's record: a fault that fired. A fault at a call
// follows the call's invocation; one decided before its request is logged
// waits for it.
func (r *wireRecorder) fault(a faults.Applied) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := callID{a.AttemptID, a.Tool}
	if a.Exec != "" && !r.arrived[id] {
		r.pending[id] = append(r.pending[id], a)
		return
	}
	r.add(FaultEvent(a))
}

// observe is the server's observer.
func (r *wireRecorder) observe(x wire.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := x.Site
	id := store.AttemptID{Tenant: s.Op.Tenant, Exec: s.Op.Exec, Step: s.Op.Step, Attempt: s.Attempt}
	at := x.At
	switch {
	case s.Phase == wire.Dial:
		r.add(engine.Event{Kind: engine.EvFault, At: at, AttemptID: store.AttemptID{Step: -1}, Tool: s.Tool,
			Detail: fmt.Sprintf("a dial to %s refused: the tool is down (%s)", s.Tool, x.Fault)})
	case s.Phase == wire.Lookup && x.Answered:
		detail := x.Outcome
		if x.Fault != wire.None {
			detail += " (a " + x.Fault.String() + " fault)"
		}
		r.add(engine.Event{Kind: engine.EvLookup, At: at, AttemptID: store.AttemptID{Tenant: s.Tenant, Step: -1}, Tool: s.Tool, Key: s.Key,
			Found: x.Found, Detail: detail})
	case s.Phase == wire.Lookup:
	case x.Late:
		r.add(engine.Event{Kind: engine.EvFault, At: at, AttemptID: id, Tool: s.Tool, Detail: "zombie: " + x.Outcome})
	case !x.Answered:
		r.arrive(id, s, at)
	default:
		r.answer(id, s, x)
	}
}

func (r *wireRecorder) arrive(id store.AttemptID, s wire.Site, at time.Time) {
	kind := engine.EvInvoke
	if spec, ok := r.cat.Spec(s.Op.Tenant, s.Tool); ok && spec.Undoes != "" {
		kind = engine.EvCompensate
	}
	e := engine.Event{Kind: kind, At: at, AttemptID: id, Tool: s.Tool}
	if spec, _ := r.cat.Spec(s.Op.Tenant, s.Tool); spec.Behaviour == worlds.Model {
		e.Token = s.Key
	} else {
		e.Key = s.Key
	}
	r.add(e)
	cid := callID{id, s.Tool}
	r.arrived[cid] = true
	for _, a := range r.pending[cid] {
		f := FaultEvent(a)
		f.At = at
		r.add(f)
	}
	delete(r.pending, cid)
}

func (r *wireRecorder) answer(id store.AttemptID, s wire.Site, x wire.Exchange) {
	if x.Result {
		r.add(engine.Event{Kind: engine.EvCommit, At: x.At, AttemptID: id, Tool: s.Tool, Detail: x.Outcome})
		return
	}
	o := &outcomes.Outcome{Status: x.Status, RetryAfter: x.RetryAfter, Cause: x.Outcome, Phase: outcomes.PhaseMid, Class: outcomes.Transient}
	switch {
	case x.Fault == wire.Refuse || x.Fault == wire.Unavailable || x.Fault == wire.RateLimit || x.Fault == wire.Outage || x.Status == 429:
		o.Phase = outcomes.PhasePre
	case x.Fault == wire.Timeout:
		o.Class = outcomes.Timeout
	}
	if x.RetryAfter > 0 {
		o.Class = outcomes.RateLimited
	}
	r.add(engine.Event{Kind: engine.EvFailure, At: x.At, AttemptID: id, Tool: s.Tool, Outcome: o})
}

// crash records that the code running x crashed at the site.
func (r *wireRecorder) crash(x Execution, s wire.Site, where string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(engine.Event{Kind: engine.EvCrash, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID, Step: s.Op.Step, Attempt: s.Attempt},
		Tool: s.Tool, Detail: fmt.Sprintf("the code running run %d crashed %s; its context is cancelled", x.Run, where)})
}

// recover records the restart that resumes x.
func (r *wireRecorder) recover(x Execution) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(engine.Event{Kind: engine.EvRecover, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID, Step: -1},
		Detail: fmt.Sprintf("restarted: the restart hook resumes it as run %d", x.Run)})
}

// finish records what the code reported.
func (r *wireRecorder) finish(x Execution, status store.Status, cause string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if status == store.DeadLettered {
		// The review queue is the code's own: its report that it
		// dead-lettered the execution is the one record of the queueing.
		for _, st := range x.Steps {
			r.add(engine.Event{Kind: engine.EvDeadLetter, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID, Step: st.Index}, Tool: st.Tool, Detail: cause})
		}
		r.add(engine.Event{Kind: engine.EvQueued, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Detail: cause})
	}
	r.add(engine.Event{Kind: engine.EvFinish, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Status: status, Detail: cause})
}

// note keeps a line for the timeline that is no event: a report nobody heard.
func (r *wireRecorder) note(x Execution, what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf("%s %s/%s run %d: %s", time.Since(r.start), x.Tenant, x.ID, x.Run, what))
}

// snapshot returns the events and notes so far, the faults decided for
// requests never logged, and the review queue's read-back: the code's
// reports of what it dead-lettered.
func (r *wireRecorder) snapshot(end time.Time) ([]engine.Event, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	events := slices.Clone(r.events)
	for _, as := range r.pending {
		for _, a := range as {
			events = append(events, FaultEvent(a))
		}
	}
	queued := 0
	for _, e := range events {
		if e.Kind == engine.EvQueued {
			queued++
		}
	}
	events = append(events, engine.Event{Kind: engine.EvReviewed, At: end,
		Detail: fmt.Sprintf("%d dead letters, as the code reported them", queued)})
	return events, slices.Clone(r.notes)
}
