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
// it. Each event's kind and execution are kept beside the history, so that
// a checker reads only the events of the kinds it needs and finds their
// execution by its place; each step's truth is asked of the world once,
// and its operation found by its place too. What only a violation's
// message or an invalid plan needs (the invocation that caused an effect,
// the attempts a fault hit) is searched for when asked.

type execKey struct{ tenant, exec string }

// stepAt is an event of one step: its index in the history.
type stepAt struct{ step, at int }

// commitAt is a step's first commit in a run.
type commitAt struct{ run, step, at int }

// execInfo is what the history says of one execution.
type execInfo struct {
	key      execKey
	id       int // its place in the index's execs
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
	// truths holds what each step's tool really does for the tenant;
	// stepOps each step's operation (its place in the index's ops, -1:
	// none).
	truths  []fakes.Truth
	stepOps []int32
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
	exec    int   // its execution's id, -1 if the history has none
	effects []int // ledger indices
}

// evAt is what the index keeps of each event, so that a checker reads only
// the events it needs: its kind, and its execution's id (-1 for an event
// of none, and for the review queue's and the reconciliation pass's own).
type evAt struct {
	kind engine.EventKind
	exec int32
}

type index struct {
	h     *History
	l     *fakes.Ledger
	facts *fakes.Facts
	// execs holds the executions in order of first event: an execution's
	// id is its place. byKey finds one once there are too many to search.
	execs []execInfo
	byKey map[execKey]int
	// evs holds what the index keeps of each event, by history index.
	evs []evAt
	// audit is the index of the first EvAudit, -1 if the worker never ran;
	// watermark is the ledger length when it began.
	audit     int
	watermark int
	// reviewed is set once the store's review queue was read back (an
	// EvReviewed event); queued holds the executions it held a dead letter of.
	reviewed bool
	queued   []execKey
	// ops holds the operations in order of first ledger entry. Each
	// execution's stepOps finds its steps' by their places (see slot);
	// opAt finds the others (chunks, operations of no execution the
	// history shows) by their identity in a long ledger (see opIndex).
	ops  []opInfo
	opAt map[fakes.Op]int
	// mu is held by a check for the scratch memory below, which it reuses.
	mu sync.Mutex
	scratch
	arrays
}

// arrays are the arrays the index's lists are parts of, kept when an
// analysis is reused.
type arrays struct {
	invokes []stepAt
	commits []commitAt
	ints    []int // the executions' invocations by step and dead letters
	fx      []int // each ledger entry's operation, the count of each one's entries, then the entries by operation
	stepOps []int32
	truths  []fakes.Truth
}

// scratch is the memory a check works in, kept when an analysis is
// reused: only a check holding the index's mu uses it.
type scratch struct {
	// last holds the last check's results; results, once the analysis
	// was released, the array the next check fills.
	last    []Result
	results []Result
	states  []poisonState
	keys    []keyBy
	failed  []failedAt
	subs    []int32
}

// searchLimit is how many executions are searched before a map finds them.
const searchLimit = 8

func newIndex(h *History, l *fakes.Ledger) *index {
	ix := new(index)
	ix.reset(h, l)
	return ix
}

// The index keeps its memory when its analysis is released (see
// [Analysis.Release]): reset fills the arrays of the run before, and
// release lets go of what they point to.

// reset indexes a history and a ledger, reusing the index's memory.
func (ix *index) reset(h *History, l *fakes.Ledger) {
	ix.h, ix.l, ix.facts = h, l, l.Facts()
	ix.execs, ix.evs, ix.queued, ix.ops = ix.execs[:0], ix.evs[:0], ix.queued[:0], ix.ops[:0]
	ix.audit, ix.watermark, ix.reviewed = -1, 0, false
	if len(ix.byKey) > 0 {
		clear(ix.byKey)
	}
	if len(ix.opAt) > 0 {
		clear(ix.opAt)
	}
	ix.evs = slices.Grow(ix.evs, len(h.Events))
	prev := int32(-1)
	for i := range h.Events {
		x := ix.addEvent(i, &h.Events[i], prev)
		ix.evs = append(ix.evs, evAt{h.Events[i].Kind, x})
		if x >= 0 {
			prev = x
		}
	}
	ix.makeLists()
	for i, ea := range ix.evs {
		if ea.exec >= 0 && listed(ea.kind) {
			ix.execs[ea.exec].list(i, &h.Events[i])
		}
	}
	for k := range ix.execs {
		x := &ix.execs[k]
		x.sortInvokes()
		for step, tool := range x.tools {
			x.truths[step] = ix.facts.Truth(x.key.tenant, tool)
		}
	}
	ix.addEffects(l.Effects())
}

// release lets go of the history, the ledger and the last check's
// violations, keeping the index's memory. What else its arrays point to
// (the names of executions and tools, a run's lists of tools and keys
// written) the next run's overwrites: clearing it first would cost as much
// again.
func (ix *index) release() {
	ix.h, ix.l, ix.facts = nil, nil, nil
	if ix.last != nil {
		ix.results, ix.last = ix.last, nil
	}
	clear(ix.results)
}

// listed reports whether the second pass lists events of kind k.
func listed(k engine.EventKind) bool {
	return k == engine.EvInvoke || k == engine.EvCommit || k == engine.EvDeadLetter
}

// makeLists makes every execution's lists at the size the first pass
// counted, each a part of one array per kind.
func (ix *index) makeLists() {
	var invokes, commits, dead, steps int
	for k := range ix.execs {
		x := &ix.execs[k]
		invokes += x.n[engine.EvInvoke]
		commits += x.n[engine.EvCommit]
		dead += x.n[engine.EvDeadLetter]
		steps += len(x.tools)
	}
	inv, com := resize(&ix.invokes, invokes), resize(&ix.commits, commits)
	ints := resize(&ix.ints, invokes+dead)
	truths, stepOps := resize(&ix.truths, steps), resize(&ix.arrays.stepOps, steps)
	byStep, dl := ints[:invokes:invokes], ints[invokes:]
	for k := range ix.execs {
		x := &ix.execs[k]
		n := x.n[engine.EvInvoke]
		x.invokes, inv = inv[:0:n], inv[n:]
		x.byStep, byStep = byStep[:n:n], byStep[n:]
		n = x.n[engine.EvCommit]
		x.commits, com = com[:0:n], com[n:]
		n = x.n[engine.EvDeadLetter]
		x.dead, dl = dl[:0:n], dl[n:]
		n = len(x.tools)
		x.truths, truths = truths[:n:n], truths[n:]
		x.stepOps, stepOps = stepOps[:n:n], stepOps[n:]
		for i := range x.stepOps {
			x.stepOps[i] = -1
		}
	}
}

// resize returns *a at length n, its contents unspecified, keeping its
// array when it is large enough.
func resize[T any](a *[]T, n int) []T {
	if cap(*a) < n {
		*a = make([]T, n)
	}
	*a = (*a)[:n]
	return *a
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
// order of first entry: a first pass finds each entry's operation and
// counts each one's entries, and each gets its part of one array. A step's
// operation is found in its execution's table, by the step's place; the
// others (chunks, operations of no execution the history shows) by a
// search, or in a long ledger a map.
func (ix *index) addEffects(effects []fakes.Effect) {
	if len(effects) > opSearch && ix.opAt == nil {
		ix.opAt = make(map[fakes.Op]int, len(effects))
	}
	ix.ops = slices.Grow(ix.ops, len(effects))
	n := len(effects)
	ints := resize(&ix.fx, 3*n)
	of, count, flat := ints[:n], ints[n:2*n], ints[2*n:2*n]
	clear(count)
	last := -1
	for i := range effects {
		e := &effects[i]
		k := last
		if k < 0 || !sameOp(ix.ops[k].op, e.Op) {
			exec := -1
			if o := &e.Op; last >= 0 && o.Exec == ix.ops[last].op.Exec && o.Tenant == ix.ops[last].op.Tenant {
				exec = ix.ops[last].exec // the usual case: the execution of the entry before
			} else {
				exec = ix.execOf(e.Op)
			}
			if k = ix.opIn(e.Op, exec); k < 0 {
				k = ix.newOp(e, exec)
			}
		}
		if e.Kind == fakes.Applied || e.Kind == fakes.Chunk || e.Kind == fakes.Lost {
			ix.ops[k].tool = e.Tool
		}
		of[i], last = k, k
		count[k]++
	}
	for k := range ix.ops {
		o := &ix.ops[k]
		o.effects, flat = flat[len(flat):len(flat):len(flat)+count[k]], flat[:len(flat)+count[k]]
	}
	for i, k := range of {
		o := &ix.ops[k]
		o.effects = append(o.effects, i)
	}
}

// newOp records the operation of a ledger entry, first of its operation,
// of execution exec (its id, -1: none), and returns its place.
func (ix *index) newOp(e *fakes.Effect, exec int) int {
	k := len(ix.ops)
	if s := ix.slot(e.Op, exec); s != nil {
		*s = int32(k)
	} else if ix.l.Len() > opSearch {
		ix.opAt[e.Op] = k
	}
	ix.ops = append(ix.ops, opInfo{op: e.Op, tool: e.Tool, exec: exec})
	return k
}

// slot returns the place in its execution's table of a step's operation
// (exec is the execution's id), nil for an operation the tables do not
// hold.
func (ix *index) slot(op fakes.Op, exec int) *int32 {
	if exec < 0 || op.Sub >= 0 {
		return nil
	}
	if t := ix.execs[exec].stepOps; op.Step >= 0 && op.Step < len(t) {
		return &t[op.Step]
	}
	return nil
}

// opIn returns the place in ix.ops of an operation of execution exec (its
// id, -1: none), -1 if it has none.
func (ix *index) opIn(op fakes.Op, exec int) int {
	if s := ix.slot(op, exec); s != nil {
		return int(*s)
	}
	return ix.opIndex(op)
}

// opSearch is how many ledger entries a run has for its operations to be
// found by a search rather than a map.
const opSearch = 32

// opIndex returns the place of an operation the tables do not hold (see
// slot) in ix.ops, -1 if it has none.
func (ix *index) opIndex(op fakes.Op) int {
	if ix.l.Len() > opSearch {
		if k, ok := ix.opAt[op]; ok {
			return k
		}
		return -1
	}
	for k := range ix.ops {
		if sameOp(ix.ops[k].op, op) {
			return k
		}
	}
	return -1
}

// sameOp is a == b, its numbers compared before its strings.
func sameOp(a, b fakes.Op) bool {
	return a.Step == b.Step && a.Sub == b.Sub && a.Exec == b.Exec && a.Tenant == b.Tenant
}

// op returns an operation, nil when the ledger has no entry of it.
func (ix *index) op(op fakes.Op) *opInfo {
	if k := ix.opIn(op, ix.execOf(op)); k >= 0 {
		return &ix.ops[k]
	}
	return nil
}

// stepOp returns the operation of an execution's step (not a chunk's),
// nil when the ledger has no entry of it.
func (ix *index) stepOp(x *execInfo, step int) *opInfo {
	if step < 0 || step >= len(x.stepOps) {
		return ix.op(stepOp(x, step))
	}
	if k := x.stepOps[step]; k >= 0 {
		return &ix.ops[k]
	}
	return nil
}

// find returns the execution of a key, nil if it has no event.
func (ix *index) find(k execKey) *execInfo {
	if i := ix.findID(k); i >= 0 {
		return &ix.execs[i]
	}
	return nil
}

// findID returns the id of the execution of a key, -1 if it has no event.
func (ix *index) findID(k execKey) int {
	if len(ix.execs) > searchLimit {
		if i, ok := ix.byKey[k]; ok {
			return i
		}
		return -1
	}
	for i := range ix.execs {
		if ix.execs[i].key == k {
			return i
		}
	}
	return -1
}

// add records a new execution.
func (ix *index) add(x execInfo) {
	ix.execs = append(ix.execs, x)
	switch n := len(ix.execs); {
	case n == searchLimit+1:
		if ix.byKey == nil {
			ix.byKey = make(map[execKey]int, 2*n)
		}
		for i := range ix.execs {
			ix.byKey[ix.execs[i].key] = i
		}
	case n > searchLimit:
		ix.byKey[x.key] = n - 1
	}
}

// addEvent reads an event in the first pass, and returns the id of its
// execution (-1: none). prev is the execution of the last event that had
// one (-1: none yet).
func (ix *index) addEvent(i int, e *engine.Event, prev int32) int32 {
	switch e.Kind {
	case engine.EvAudit:
		if ix.audit < 0 {
			ix.audit, ix.watermark = i, e.Seq
		}
		return -1
	case engine.EvReviewed:
		ix.reviewed = true
		return -1
	case engine.EvQueued:
		if k := (execKey{e.Tenant, e.Exec}); !slices.Contains(ix.queued, k) {
			ix.queued = append(ix.queued, k)
		}
		return -1
	}
	if e.Exec == "" {
		return -1
	}
	k := execKey{e.Tenant, e.Exec}
	id := -1
	if prev >= 0 && ix.execs[prev].key == k {
		id = int(prev) // the usual case: an engine reports an execution's events in a row
	} else {
		id = ix.findID(k)
	}
	if id < 0 {
		id = len(ix.execs)
		ix.add(execInfo{key: k, id: id, start: i, end: -1, failed: -1})
	}
	x := &ix.execs[id]
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
	return int32(id)
}

// execOf returns the id of an operation's execution, -1 if it has no event.
func (ix *index) execOf(op fakes.Op) int { return ix.findID(execKey{op.Tenant, op.Exec}) }

// exec returns an operation's execution, nil if it has no event.
func (ix *index) exec(o *opInfo) *execInfo {
	if o.exec < 0 {
		return nil
	}
	return &ix.execs[o.exec]
}

// isQueued reports whether the review queue held a dead letter of x.
func (ix *index) isQueued(k execKey) bool { return slices.Contains(ix.queued, k) }

// invokeOf returns the EvInvoke index of the attempt that caused a ledger
// entry: the last invocation of that attempt, -1 if it has none.
func (ix *index) invokeOf(e *fakes.Effect) int {
	x := ix.find(execKey{e.Op.Tenant, e.Op.Exec})
	if x == nil {
		return -1
	}
	at := -1
	for _, i := range x.invokesOf(e.Op.Step) {
		if ev := &ix.h.Events[i]; ev.Run == e.Run && ev.Attempt == e.Attempt {
			at = i
		}
	}
	return at
}

// wasFaulted reports whether a fault was applied to the attempt.
func (ix *index) wasFaulted(id store.AttemptID) bool {
	for i, ea := range ix.evs {
		if ea.kind == engine.EvFault && ea.exec >= 0 && ix.h.Events[i].AttemptID == id {
			return true
		}
	}
	return false
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
