package invariants

import (
	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

type execKey struct{ tenant, exec string }

type runStep struct{ run, step int }

// execInfo is what the history says of one execution.
type execInfo struct {
	key      execKey
	tools    []string
	start    int
	end      int // EvFinish index, -1 if none
	status   store.Status
	cause    string
	failed   int // first EvFailure index, -1 if none
	finalRun int
	// commits maps (run, step) to the EvCommit index.
	commits map[runStep]int
	// writers maps a committed attempt to its EvCommit index.
	writers map[store.Writer]int
	dead    map[int]int // step -> EvDeadLetter index
	invokes map[int][]int
}

func (x *execInfo) tool(step int) string {
	if step >= 0 && step < len(x.tools) {
		return x.tools[step]
	}
	return ""
}

// committedFinal reports whether the step is committed in the final run,
// before event index `before` (-1: at any time).
func (x *execInfo) committedFinal(step, before int) bool {
	i, ok := x.commits[runStep{x.finalRun, step}]
	return ok && (before < 0 || i < before)
}

// opInfo is what the ledger says of one logical operation.
type opInfo struct {
	op      fakes.Op
	tool    string
	effects []int // ledger indices
}

type index struct {
	h     *History
	l     *fakes.Ledger
	facts *fakes.Facts
	execs map[execKey]*execInfo
	order []*execInfo
	// audit is the index of the first EvAudit, -1 if the worker never ran;
	// watermark is the ledger length when it began.
	audit     int
	watermark int
	// reviewed is set once the store's review queue was read back (an
	// EvReviewed event); queued holds the executions it held a dead letter of.
	reviewed bool
	queued   map[execKey]bool
	ops      map[fakes.Op]*opInfo
	opOrder  []*opInfo
	// invokeAt maps an attempt to its EvInvoke index.
	invokeAt map[store.AttemptID]int
	// faulted holds the attempts a fault was applied to.
	faulted map[store.AttemptID]bool
}

func newIndex(h *History, l *fakes.Ledger) *index {
	ix := &index{h: h, l: l, facts: l.Facts(), execs: map[execKey]*execInfo{}, audit: -1, queued: map[execKey]bool{},
		ops: map[fakes.Op]*opInfo{}, invokeAt: map[store.AttemptID]int{}, faulted: map[store.AttemptID]bool{}}
	for i := range h.Events {
		ix.addEvent(i, &h.Events[i])
	}
	for i, e := range l.Effects() {
		o := ix.ops[e.Op]
		if o == nil {
			o = &opInfo{op: e.Op, tool: e.Tool}
			ix.ops[e.Op] = o
			ix.opOrder = append(ix.opOrder, o)
		}
		if e.Kind == fakes.Applied || e.Kind == fakes.Chunk || e.Kind == fakes.Lost {
			o.tool = e.Tool
		}
		o.effects = append(o.effects, i)
	}
	return ix
}

func (ix *index) addEvent(i int, e *engine.Event) {
	switch e.Kind {
	case engine.EvAudit:
		if ix.audit < 0 {
			ix.audit, ix.watermark = i, e.Seq
		}
		return
	case engine.EvReviewed:
		ix.reviewed = true
		return
	case engine.EvQueued:
		ix.queued[execKey{e.Tenant, e.Exec}] = true
		return
	}
	if e.Exec == "" {
		return
	}
	k := execKey{e.Tenant, e.Exec}
	x := ix.execs[k]
	if x == nil {
		x = &execInfo{key: k, start: i, end: -1, failed: -1, commits: map[runStep]int{}, writers: map[store.Writer]int{},
			dead: map[int]int{}, invokes: map[int][]int{}}
		ix.execs[k] = x
		ix.order = append(ix.order, x)
	}
	// The final run is the highest seen: a restart whose acknowledgement was
	// lost shows only in the run its later events carry.
	x.finalRun = max(x.finalRun, e.Run)
	switch e.Kind {
	case engine.EvStart:
		x.tools = e.Tools
	case engine.EvFault:
		ix.faulted[e.AttemptID] = true
	case engine.EvInvoke:
		x.invokes[e.Step] = append(x.invokes[e.Step], i)
		ix.invokeAt[e.AttemptID] = i
	case engine.EvCommit:
		if _, ok := x.commits[runStep{e.Run, e.Step}]; !ok {
			x.commits[runStep{e.Run, e.Step}] = i
		}
		x.writers[store.Writer{Run: e.Run, Step: e.Step, Attempt: e.Attempt}] = i
	case engine.EvFailure:
		if x.failed < 0 && e.Detail != engine.Unrecorded {
			x.failed = i
		}
	case engine.EvDeadLetter:
		x.dead[e.Step] = i
	case engine.EvFinish:
		x.end, x.status, x.cause = i, e.Status, e.Detail
	}
}

func (ix *index) exec(op fakes.Op) *execInfo { return ix.execs[execKey{op.Tenant, op.Exec}] }

// invokeOf returns the EvInvoke index of the attempt that caused a ledger entry.
func (ix *index) invokeOf(e fakes.Effect) int {
	if i, ok := ix.invokeAt[e.Source()]; ok {
		return i
	}
	return -1
}

// live walks an operation's ledger entries up to (not including) ledger
// index `upto` (-1: all) and returns the most effects that were live at
// once, the count live at the end, and the entry that first made two live.
// withWorld counts effects the world applied on its own.
func (ix *index) live(o *opInfo, upto int, withWorld bool) (most, end, second int) {
	effects := ix.l.Effects()
	refs := map[string]bool{}
	chunks := 0
	second = -1
	for _, i := range o.effects {
		if upto >= 0 && i >= upto {
			break
		}
		e := effects[i]
		switch {
		case e.Kind == fakes.Chunk:
			chunks++
		case e.Kind == fakes.Applied && (withWorld || !e.World):
			refs[e.Ref] = true
		case e.Kind == fakes.Compensated:
			delete(refs, e.Ref)
		default:
			continue
		}
		if n := len(refs) + chunks; n > most {
			most = n
			if n == 2 && second < 0 {
				second = i
			}
		}
	}
	return most, len(refs) + chunks, second
}

// harmful reports whether an operation's effects count as non-idempotent:
// idempotent effects (upserts) do not, drift included through the ledger.
func (ix *index) harmful(o *opInfo) bool {
	for _, i := range o.effects {
		e := ix.l.Effects()[i]
		if (e.Kind == fakes.Applied && !e.Idempotent) || e.Kind == fakes.Chunk {
			return true
		}
	}
	return false
}
