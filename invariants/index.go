package invariants

import (
	"slices"
	"sync"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// The index is built in one pass over the history and one over the ledger,
// into slices rather than maps: a run has a few executions and a few dozen
// events and effects, and checking it must cost little more than making
// it. What only a violation's message needs (the invocation that caused an
// effect, the attempts a fault hit) is indexed on first use.

type execKey struct{ tenant, exec string }

// stepAt is an event of one step: its index in the history.
type stepAt struct{ step, at int }

// commitAt is a step's first commit in a run.
type commitAt struct{ run, step, at int }

// execInfo is what the history says of one execution.
type execInfo struct {
	key      execKey
	id       int // its place in the index's order
	tools    []string
	start    int
	end      int // EvFinish index, -1 if none
	status   store.Status
	cause    string
	failed   int // first EvFailure index, -1 if none
	finalRun int
	// commits holds each (run, step)'s first EvCommit, in history order.
	commits []commitAt
	// dead holds the steps dead-lettered.
	dead []int
	// invokes holds the EvInvoke indices, sorted by step (then index) once
	// the history is read: invokesOf finds a step's by binary search.
	invokes []stepAt
	byStep  []int // invokes' indices, in the same order
	// n counts the events of each kind, from the first pass: the second
	// fills lists made at their size.
	n [engine.EvQueued + 1]int
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
	for _, c := range x.commits {
		if c.run == x.finalRun && c.step == step {
			return before < 0 || c.at < before
		}
	}
	return false
}

// commit returns the index of the first EvCommit of (run, step), if any.
func (x *execInfo) commit(run, step int) (int, bool) {
	for _, c := range x.commits {
		if c.run == run && c.step == step {
			return c.at, true
		}
	}
	return 0, false
}

// deadLettered reports whether the step was dead-lettered.
func (x *execInfo) deadLettered(step int) bool { return slices.Contains(x.dead, step) }

// invokesOf returns the EvInvoke indices of a step, in history order.
func (x *execInfo) invokesOf(step int) []int {
	lo, _ := slices.BinarySearchFunc(x.invokes, step, func(s stepAt, step int) int { return s.step - step })
	hi := lo
	for hi < len(x.invokes) && x.invokes[hi].step == step {
		hi++
	}
	return x.byStep[lo:hi:hi]
}

// sortInvokes orders the invocations by step, once the history is read.
func (x *execInfo) sortInvokes() {
	slices.SortStableFunc(x.invokes, func(a, b stepAt) int { return a.step - b.step })
	for i, s := range x.invokes {
		x.byStep[i] = s.at
	}
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
	order []*execInfo // in order of first event
	// byKey finds an execution once there are too many to search.
	byKey map[execKey]*execInfo
	// audit is the index of the first EvAudit, -1 if the worker never ran;
	// watermark is the ledger length when it began.
	audit     int
	watermark int
	// reviewed is set once the store's review queue was read back (an
	// EvReviewed event); queued holds the executions it held a dead letter of.
	reviewed bool
	queued   []execKey
	// ops holds the operations in order of first ledger entry; opAt finds
	// one by its identity in a long ledger (see opIndex).
	ops  []opInfo
	opAt map[fakes.Op]int
	// invokeAt maps an attempt to its EvInvoke index; faulted holds the
	// attempts a fault was applied to. Both are made on first use.
	invokeOnce, faultOnce sync.Once
	invokeAt              map[store.AttemptID]int
	faulted               map[store.AttemptID]bool
}

// searchLimit is how many executions are searched before a map finds them.
const searchLimit = 8

func newIndex(h *History, l *fakes.Ledger) *index {
	ix := &index{h: h, l: l, facts: l.Facts(), audit: -1}
	for i := range h.Events {
		ix.addEvent(i, &h.Events[i])
	}
	ix.makeLists()
	var x *execInfo
	for i := range h.Events {
		if e := &h.Events[i]; e.Exec != "" && listed(e.Kind) {
			if x == nil || x.key != (execKey{e.Tenant, e.Exec}) {
				x = ix.find(execKey{e.Tenant, e.Exec})
			}
			x.list(i, e)
		}
	}
	for _, x := range ix.order {
		x.sortInvokes()
	}
	ix.addEffects(l.Effects())
	return ix
}

// listed reports whether the second pass lists events of kind k.
func listed(k engine.EventKind) bool {
	return k == engine.EvInvoke || k == engine.EvCommit || k == engine.EvDeadLetter
}

// makeLists makes every execution's lists at the size the first pass
// counted, each a part of one array per kind.
func (ix *index) makeLists() {
	var invokes, commits, dead int
	for _, x := range ix.order {
		invokes += x.n[engine.EvInvoke]
		commits += x.n[engine.EvCommit]
		dead += x.n[engine.EvDeadLetter]
	}
	inv, com := make([]stepAt, invokes), make([]commitAt, commits)
	ints := make([]int, invokes+dead)
	byStep, dl := ints[:invokes:invokes], ints[invokes:]
	for _, x := range ix.order {
		n := x.n[engine.EvInvoke]
		x.invokes, inv = inv[:0:n], inv[n:]
		x.byStep, byStep = byStep[:n:n], byStep[n:]
		n = x.n[engine.EvCommit]
		x.commits, com = com[:0:n], com[n:]
		n = x.n[engine.EvDeadLetter]
		x.dead, dl = dl[:0:n], dl[n:]
	}
}

// list adds an event to the execution's lists, in the second pass.
func (x *execInfo) list(i int, e *engine.Event) {
	switch e.Kind {
	case engine.EvInvoke:
		x.invokes = append(x.invokes, stepAt{e.Step, i})
	case engine.EvCommit:
		if _, ok := x.commit(e.Run, e.Step); !ok {
			x.commits = append(x.commits, commitAt{e.Run, e.Step, i})
		}
	case engine.EvDeadLetter:
		if !x.deadLettered(e.Step) {
			x.dead = append(x.dead, e.Step)
		}
	}
}

// addEffects groups the ledger's entries by operation, the operations in
// order of first entry: a first pass counts each one's entries, and each
// gets its part of one array.
func (ix *index) addEffects(effects []fakes.Effect) {
	if len(effects) > opSearch {
		ix.opAt = make(map[fakes.Op]int, len(effects))
	}
	ix.ops = make([]opInfo, 0, len(effects))
	ints := make([]int, 2*len(effects))
	count, flat := ints[:len(effects)], ints[len(effects):len(effects)]
	for _, e := range effects {
		k := ix.opIndex(e.Op)
		if k < 0 {
			k = len(ix.ops)
			if ix.opAt != nil {
				ix.opAt[e.Op] = k
			}
			ix.ops = append(ix.ops, opInfo{op: e.Op, tool: e.Tool})
		}
		if e.Kind == fakes.Applied || e.Kind == fakes.Chunk || e.Kind == fakes.Lost {
			ix.ops[k].tool = e.Tool
		}
		count[k]++
	}
	for k := range ix.ops {
		ix.ops[k].effects = flat[len(flat) : len(flat) : len(flat)+count[k]]
		flat = flat[:len(flat)+count[k]]
	}
	for i, e := range effects {
		o := &ix.ops[ix.opIndex(e.Op)]
		o.effects = append(o.effects, i)
	}
}

// opSearch is how many ledger entries a run has for its operations to be
// found by a search rather than a map.
const opSearch = 32

// opIndex returns the place of an operation in ix.ops, -1 if it has none.
func (ix *index) opIndex(op fakes.Op) int {
	if ix.opAt != nil {
		if k, ok := ix.opAt[op]; ok {
			return k
		}
		return -1
	}
	for k := range ix.ops {
		if ix.ops[k].op == op {
			return k
		}
	}
	return -1
}

// op returns an operation, nil when the ledger has no entry of it.
func (ix *index) op(op fakes.Op) *opInfo {
	if k := ix.opIndex(op); k >= 0 {
		return &ix.ops[k]
	}
	return nil
}

// find returns the execution of a key, nil if it has no event.
func (ix *index) find(k execKey) *execInfo {
	if ix.byKey != nil {
		return ix.byKey[k]
	}
	for _, x := range ix.order {
		if x.key == k {
			return x
		}
	}
	return nil
}

// add records a new execution.
func (ix *index) add(x *execInfo) {
	ix.order = append(ix.order, x)
	switch {
	case ix.byKey != nil:
		ix.byKey[x.key] = x
	case len(ix.order) > searchLimit:
		ix.byKey = make(map[execKey]*execInfo, 2*len(ix.order))
		for _, y := range ix.order {
			ix.byKey[y.key] = y
		}
	}
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
		if k := (execKey{e.Tenant, e.Exec}); !slices.Contains(ix.queued, k) {
			ix.queued = append(ix.queued, k)
		}
		return
	}
	if e.Exec == "" {
		return
	}
	k := execKey{e.Tenant, e.Exec}
	x := ix.find(k)
	if x == nil {
		x = &execInfo{key: k, id: len(ix.order), start: i, end: -1, failed: -1}
		ix.add(x)
	}
	// The final run is the highest seen: a restart whose acknowledgement was
	// lost shows only in the run its later events carry.
	x.finalRun = max(x.finalRun, e.Run)
	if int(e.Kind) < len(x.n) {
		x.n[e.Kind]++
	}
	switch e.Kind {
	case engine.EvStart:
		x.tools = e.Tools
	case engine.EvFailure:
		if x.failed < 0 && e.Detail != engine.Unrecorded {
			x.failed = i
		}
	case engine.EvFinish:
		x.end, x.status, x.cause = i, e.Status, e.Detail
	}
}

func (ix *index) exec(op fakes.Op) *execInfo { return ix.find(execKey{op.Tenant, op.Exec}) }

// isQueued reports whether the review queue held a dead letter of x.
func (ix *index) isQueued(k execKey) bool { return slices.Contains(ix.queued, k) }

// invokeOf returns the EvInvoke index of the attempt that caused a ledger entry.
func (ix *index) invokeOf(e fakes.Effect) int {
	ix.invokeOnce.Do(func() {
		ix.invokeAt = map[store.AttemptID]int{}
		for i := range ix.h.Events {
			if ev := &ix.h.Events[i]; ev.Kind == engine.EvInvoke && ev.Exec != "" {
				ix.invokeAt[ev.AttemptID] = i
			}
		}
	})
	if i, ok := ix.invokeAt[e.Source()]; ok {
		return i
	}
	return -1
}

// wasFaulted reports whether a fault was applied to the attempt.
func (ix *index) wasFaulted(id store.AttemptID) bool {
	ix.faultOnce.Do(func() {
		ix.faulted = map[store.AttemptID]bool{}
		for i := range ix.h.Events {
			if ev := &ix.h.Events[i]; ev.Kind == engine.EvFault && ev.Exec != "" {
				ix.faulted[ev.AttemptID] = true
			}
		}
	})
	return ix.faulted[id]
}

// live walks an operation's ledger entries up to (not including) ledger
// index `upto` (-1: all) and returns the most effects that were live at
// once, the count live at the end, and the entry that first made two live.
// withWorld counts effects the world applied on its own.
func (ix *index) live(o *opInfo, upto int, withWorld bool) (most, end, second int) {
	effects := ix.l.Effects()
	var refs []string // the live effects' refs: an operation has a few
	chunks := 0
	second = -1
	for _, i := range o.effects {
		if upto >= 0 && i >= upto {
			break
		}
		e := &effects[i]
		switch {
		case e.Kind == fakes.Chunk:
			chunks++
		case e.Kind == fakes.Applied && (withWorld || !e.World):
			if !slices.Contains(refs, e.Ref) {
				refs = append(refs, e.Ref)
			}
		case e.Kind == fakes.Compensated:
			if j := slices.Index(refs, e.Ref); j >= 0 {
				refs = slices.Delete(refs, j, j+1)
			}
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
		e := &ix.l.Effects()[i]
		if (e.Kind == fakes.Applied && !e.Idempotent) || e.Kind == fakes.Chunk {
			return true
		}
	}
	return false
}
