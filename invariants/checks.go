package invariants

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

func violation(x *execInfo, op fakes.Op, event int, format string, args ...any) Violation {
	v := Violation{Tenant: op.Tenant, Exec: op.Exec, Step: op.Step, Event: event, Message: fmt.Sprintf(format, args...)}
	if x != nil && v.Tenant == "" {
		v.Tenant, v.Exec = x.key.tenant, x.key.exec
	}
	return v
}

func stepOp(x *execInfo, step int) fakes.Op {
	return fakes.Op{Tenant: x.key.tenant, Exec: x.key.exec, Step: step, Sub: -1}
}

// checkDuplicates: no operation has two live non-idempotent effects that
// the system's calls applied.
func checkDuplicates(ix *index) Result {
	var r Result
	for k := range ix.ops {
		o := &ix.ops[k]
		if !ix.harmful(o) {
			continue
		}
		most, _, second := ix.live(o, -1, false)
		if most < 2 {
			continue
		}
		e := &ix.l.Effects()[second]
		first := firstApplied(ix, o, second)
		what := "its effect was"
		if o.op.Sub >= 0 {
			what = fmt.Sprintf("streamed chunk %d was", o.op.Sub)
		}
		r.Violations = append(r.Violations, violation(ix.exec(o), o.op, ix.invokeOf(e),
			"%s/%s step %d (%s): %s applied twice, by attempt %d (ledger #%d) and again by attempt %d (ledger #%d)",
			o.op.Tenant, o.op.Exec, o.op.Step, o.tool, what, first.Attempt, first.Seq, e.Attempt, e.Seq))
	}
	return r
}

func firstApplied(ix *index, o *opInfo, before int) fakes.Effect {
	for _, i := range o.effects {
		e := ix.l.Effects()[i]
		if i < before && (e.Kind == fakes.Applied || e.Kind == fakes.Chunk) && !e.World {
			return e
		}
	}
	return fakes.Effect{}
}

// checkLost: a completed execution has each step's effect exactly once,
// not counting what the world itself lost or doubled.
func checkLost(ix *index) Result {
	var r Result
	for k := range ix.execs {
		x := &ix.execs[k]
		if x.end < 0 || x.status != store.Completed {
			continue
		}
		for step, tool := range x.tools {
			t := x.truths[step]
			if !t.SideEffects {
				continue
			}
			if t.Streaming {
				r.Violations = append(r.Violations, lostChunks(ix, x, step)...)
				continue
			}
			op := stepOp(x, step)
			o := ix.stepOp(x, step)
			n, worldLost := 0, false
			if o != nil {
				_, n, _ = ix.live(o, -1, false)
				worldLost = hasKind(ix, o, fakes.Lost)
			}
			switch {
			case n == 0 && worldLost:
			case n == 0:
				r.Violations = append(r.Violations, violation(x, op, x.end,
					"%s/%s completed but step %d (%s) has no effect in the ledger", x.key.tenant, x.key.exec, step, tool))
			case n > 1:
				r.Violations = append(r.Violations, violation(x, op, x.end,
					"%s/%s completed but step %d (%s) has %d live effects, not exactly one", x.key.tenant, x.key.exec, step, tool, n))
			}
		}
	}
	return r
}

// lostChunks checks a streamed step: every chunk index delivered exactly once.
func lostChunks(ix *index, x *execInfo, step int) []Violation {
	var out []Violation
	// The generation the execution kept is the last one that ran to its end;
	// each of its chunks must have reached the consumer exactly once.
	want := 0
	if o := ix.stepOp(x, step); o != nil {
		for _, i := range o.effects {
			if e := &ix.l.Effects()[i]; e.Kind == fakes.Usage && e.Chunks > 0 && e.Run == x.finalRun {
				want = e.Chunks
			}
		}
	}
	subs := ix.chunkOps(x, step)
	for sub := 0; ; sub++ {
		k := int32(-1)
		if sub < len(subs) {
			k = subs[sub]
		}
		if k < 0 && sub >= want {
			break
		}
		n := 0
		if k >= 0 {
			_, n, _ = ix.live(&ix.ops[k], -1, false)
		}
		if n != 1 {
			out = append(out, violation(x, fakes.Op{Tenant: x.key.tenant, Exec: x.key.exec, Step: step, Sub: sub}, x.end,
				"%s/%s completed but chunk %d of step %d (%s) reached the consumer %d times, not exactly once",
				x.key.tenant, x.key.exec, sub, step, x.tool(step), n))
		}
	}
	if want == 0 && (len(subs) == 0 || subs[0] < 0) {
		out = append(out, violation(x, stepOp(x, step), x.end, "%s/%s completed but no chunk of step %d (%s) reached the consumer",
			x.key.tenant, x.key.exec, step, x.tool(step)))
	}
	return out
}

// chunkOps returns the operations of a streamed step's chunks, by chunk
// index (-1: none), found in one walk of the operations. The slice is the
// index's scratch: it holds until the next call.
func (ix *index) chunkOps(x *execInfo, step int) []int32 {
	subs := ix.subs[:0]
	for k := range ix.ops {
		o := &ix.ops[k]
		if o.exec != x.id || o.op.Step != step || o.op.Sub < 0 {
			continue
		}
		for len(subs) <= o.op.Sub {
			subs = append(subs, -1)
		}
		subs[o.op.Sub] = int32(k)
	}
	ix.subs = subs
	return subs
}

func hasKind(ix *index, o *opInfo, k fakes.Kind) bool {
	for _, i := range o.effects {
		if ix.l.Effects()[i].Kind == k {
			return true
		}
	}
	return false
}

// checkPoisoned rebuilds every committed version from the writes and commits
// in the history and compares each read with the last one.
func checkPoisoned(ix *index) Result {
	var r Result
	states := ix.poisonStates()
	for i, ea := range ix.evs {
		switch ea.kind {
		case engine.EvWrite, engine.EvFailure, engine.EvCommit, engine.EvRestart, engine.EvRead:
		default:
			continue
		}
		if ea.exec < 0 {
			continue
		}
		e := &ix.h.Events[i]
		s := &states[ea.exec]
		if e.Run > s.run { // a new run starts from the input, version 0
			s.run, s.values, s.version = e.Run, s.values[:0], 0
		}
		w := store.Writer{Run: e.Run, Step: e.Step, Attempt: e.Attempt}
		switch e.Kind {
		case engine.EvWrite:
			s.writes = append(s.writes, keyBy{e.Detail, w})
		case engine.EvFailure:
			s.failed = append(s.failed, failedAt{w, i})
		case engine.EvCommit:
			for _, kw := range s.writes {
				if kw.w == w {
					s.commit(kw)
				}
			}
			s.version = e.Version
		case engine.EvRead:
			if v := poisonedRead(&ix.execs[ea.exec], e, i, s); v != nil {
				r.Violations = append(r.Violations, *v)
			}
		}
	}
	return r
}

// poisonState is what checkPoisoned knows of one execution: the keys of
// its last committed version and who wrote them, every key written and by
// whom, and the attempts that failed. An execution has a few of each, so
// they are searched rather than mapped.
type poisonState struct {
	run     int
	version int
	values  []keyBy
	writes  []keyBy
	failed  []failedAt
}

type keyBy struct {
	key string
	w   store.Writer
}

type failedAt struct {
	w  store.Writer
	at int
}

// poisonStates makes each execution's state, its lists at the sizes the
// index counted, each a part of one array per kind, in the index's
// scratch memory.
func (ix *index) poisonStates() []poisonState {
	var writes, failures int
	for k := range ix.execs {
		writes += ix.execs[k].n[engine.EvWrite]
		failures += ix.execs[k].n[engine.EvFailure]
	}
	states := resize(&ix.states, len(ix.execs))
	clear(states)
	kws, failed := resize(&ix.keys, 2*writes), resize(&ix.scratch.failed, failures)
	values, written := kws[:writes:writes], kws[writes:]
	for i := range ix.execs {
		x := &ix.execs[i]
		n := x.n[engine.EvWrite]
		states[i].values, values = values[:0:n], values[n:]
		states[i].writes, written = written[:0:n], written[n:]
		n = x.n[engine.EvFailure]
		states[i].failed, failed = failed[:0:n], failed[n:]
	}
	return states
}

// commit makes a write part of the committed version.
func (s *poisonState) commit(kw keyBy) {
	for i := range s.values {
		if s.values[i].key == kw.key {
			s.values[i].w = kw.w
			return
		}
	}
	s.values = append(s.values, kw)
}

// committed returns the writer of a key in the last committed version.
func (s *poisonState) committed(key string) (store.Writer, bool) {
	for _, kw := range s.values {
		if kw.key == key {
			return kw.w, true
		}
	}
	return store.Writer{}, false
}

// failure returns the last failure of an attempt, if any.
func (s *poisonState) failure(w store.Writer) (int, bool) {
	for i := len(s.failed) - 1; i >= 0; i-- {
		if s.failed[i].w == w {
			return s.failed[i].at, true
		}
	}
	return 0, false
}

func poisonedRead(x *execInfo, e *engine.Event, i int, s *poisonState) *Violation {
	op := fakes.Op{Tenant: e.Tenant, Exec: e.Exec, Step: e.Step, Sub: -1}
	where := func() string { return fmt.Sprintf("%s/%s step %d attempt %d", e.Tenant, e.Exec, e.Step, e.Attempt) }
	if e.Version != s.version {
		v := violation(x, op, i, "%s read context version %d while the last committed version was %d", where(), e.Version, s.version)
		return &v
	}
	seen := 0
	for _, rd := range e.Reads {
		if rd.Writer.Step < 0 {
			continue
		}
		seen++
		if w, ok := s.committed(rd.Key); ok && w == rd.Writer {
			continue
		}
		state := "had not committed"
		if fi, ok := s.failure(rd.Writer); ok && fi < i {
			state = fmt.Sprintf("had failed (event %d)", fi)
		}
		v := violation(x, op, i, "%s read key %q written by step %d attempt %d, which %s: a poisoned read",
			where(), rd.Key, rd.Writer.Step, rd.Writer.Attempt, state)
		return &v
	}
	if seen != len(s.values) {
		v := violation(x, op, i, "%s read %d committed keys, the last committed version has %d", where(), seen, len(s.values))
		return &v
	}
	return nil
}

// checkIsolation: every value read and every effect's payload belongs to
// the tenant of the execution.
func checkIsolation(ix *index) Result {
	var r Result
	for i, ea := range ix.evs {
		if ea.kind != engine.EvRead {
			continue
		}
		e := &ix.h.Events[i]
		prefix := strings.IndexByte(e.Tenant, ':') < 0 // the tenant's values start with "<tenant>:"
		for _, rd := range e.Reads {
			if prefix && ownData(rd.Data, e.Tenant) {
				continue
			}
			if t := ix.facts.DataTenant(rd.Data); t != "" && t != e.Tenant {
				r.Violations = append(r.Violations, violation(ix.find(execKey{e.Tenant, e.Exec}), fakes.Op{Tenant: e.Tenant, Exec: e.Exec, Step: e.Step, Sub: -1}, i,
					"%s/%s step %d read key %q carrying tenant %s's data", e.Tenant, e.Exec, e.Step, rd.Key, t))
				break
			}
		}
	}
	for i := range ix.l.Effects() {
		if e := &ix.l.Effects()[i]; e.Foreign != "" {
			r.Violations = append(r.Violations, violation(ix.find(execKey{e.Op.Tenant, e.Op.Exec}), e.Op, ix.invokeOf(e),
				"%s effect of %s/%s step %d (ledger #%d) carried tenant %s's data", e.Tool, e.Op.Tenant, e.Op.Exec, e.Op.Step, e.Seq, e.Foreign))
		}
	}
	return r
}

// ownData reports whether a value is one of the tenant's own data, as the
// world marks it ("<tenant>:...", for a tenant whose name has no colon):
// what nearly every read carries, told without looking the tenant up in
// the world.
func ownData(v, tenant string) bool {
	return len(v) > len(tenant) && v[len(tenant)] == ':' && v[:len(tenant)] == tenant
}

// checkContracts holds every operation to its tenant's declared contract.
func checkContracts(ix *index) Result {
	var r Result
	for k := range ix.execs {
		x := &ix.execs[k]
		for step, tool := range x.tools {
			c := ix.facts.Contract(x.key.tenant, tool)
			if c.IsZero() {
				continue
			}
			op := stepOp(x, step)
			invokes := x.invokesOf(step)
			if c.NeverRetry && len(invokes) > 1 {
				r.Violations = append(r.Violations, violation(x, op, invokes[1],
					"%s declares never retry automatically for %s; %s/%s step %d was invoked %d times", x.key.tenant, tool, x.key.tenant, x.key.exec, step, len(invokes)))
			}
			if c.KeyRequired {
				for _, i := range invokes {
					if ix.h.Events[i].Key == "" {
						r.Violations = append(r.Violations, violation(x, op, i,
							"%s requires an idempotency key for %s; %s/%s step %d was called without one", x.key.tenant, tool, x.key.tenant, x.key.exec, step))
						break
					}
				}
			}
			if c.AtMostOnce {
				if o := ix.stepOp(x, step); o != nil {
					if n, second := applications(ix, o); n > 1 {
						r.Violations = append(r.Violations, violation(x, op, ix.invokeOf(&ix.l.Effects()[second]),
							"%s declares at most once for %s; %s/%s step %d took effect %d times", x.key.tenant, tool, x.key.tenant, x.key.exec, step, n))
					}
				}
			}
		}
	}
	return r
}

// applications counts the effects the system's calls applied to an
// operation (compensated or not), and the ledger index of the second.
func applications(ix *index, o *opInfo) (n, second int) {
	second = -1
	for _, i := range o.effects {
		if e := ix.l.Effects()[i]; e.Kind == fakes.Applied && !e.World {
			n++
			if n == 2 {
				second = i
			}
		}
	}
	return n, second
}

// checkResume: once a step is committed, its tool is never invoked again.
func checkResume(ix *index) Result {
	var r Result
	for k := range ix.execs {
		x := &ix.execs[k]
		for _, c := range x.commits {
			for _, i := range x.invokesOf(c.step) {
				if i > c.at {
					r.Violations = append(r.Violations, violation(x, stepOp(x, c.step), i,
						"%s/%s step %d (%s) was committed at event %d and executed again at event %d", x.key.tenant, x.key.exec, c.step, x.tool(c.step), c.at, i))
					break
				}
			}
		}
	}
	sortViolations(r.Violations)
	return r
}

// checkOrchestrator: after a deterministic orchestrator failure the step is
// never invoked again.
func checkOrchestrator(ix *index) Result {
	var r Result
	for k := range ix.ops {
		o := &ix.ops[k]
		x := ix.exec(o)
		if x == nil || o.op.Sub >= 0 {
			continue
		}
		for _, i := range o.effects {
			bad := &ix.l.Effects()[i]
			if bad.Kind != fakes.Usage || !bad.Invalid {
				continue
			}
			// The planner returned an invalid plan. Unless a fault kept it
			// from the engine (a lost response, a crash), the engine held a
			// deterministic failure: calling the step again is the violation.
			if ix.wasFaulted(bad.Source()) {
				continue
			}
			at := ix.invokeOf(bad)
			if at < 0 {
				continue
			}
			if j := firstAfter(x.invokesOf(o.op.Step), at); j >= 0 {
				r.Violations = append(r.Violations, violation(x, o.op, j,
					"%s (%s) received an invalid plan (ledger #%d) and the step was invoked again at event %d; an invalid plan is the same on every call",
					o.op, bad.Tool, bad.Seq, j))
			}
			break
		}
	}
	return r
}

// firstAfter returns the first index in ascending xs greater than i, or -1.
func firstAfter(xs []int, i int) int {
	for _, j := range xs {
		if j > i {
			return j
		}
	}
	return -1
}

// checkOrphans: an execution that did not complete leaves no live effect of
// a step it abandoned, unless that step was dead-lettered for review. It
// judges what the system left before the reconciliation worker ran: the
// worker's repairs are reconciliation events, and an engine that forgot to
// compensate is not excused by a worker that did it later.
func checkOrphans(ix *index) Result {
	var r Result
	before := -1
	if ix.audit >= 0 {
		before = ix.watermark
	}
	for k := range ix.ops {
		o := &ix.ops[k]
		x := ix.exec(o)
		if x == nil || x.end < 0 || x.status == store.Completed || x.committedFinal(o.op.Step, -1) {
			continue
		}
		if x.deadLettered(o.op.Step) {
			continue
		}
		if _, n, _ := ix.live(o, before, false); n > 0 {
			what := o.tool + " effect"
			if o.op.Sub >= 0 {
				what = fmt.Sprintf("streamed chunk %d", o.op.Sub)
			}
			r.Violations = append(r.Violations, violation(x, o.op, x.end,
				"%s/%s ended %s with a %s of step %d neither compensated nor dead-lettered: an orphaned side effect",
				x.key.tenant, x.key.exec, x.status, what, o.op.Step))
		}
	}
	return r
}

// checkTerminal: every execution ends, failures with their cause.
func checkTerminal(ix *index) Result {
	var r Result
	for k := range ix.execs {
		x := &ix.execs[k]
		op := stepOp(x, 0)
		switch {
		case x.end >= 0 && x.status == store.DeadLettered && !ix.reviewed:
			r.Status, r.Reason = Unknown, fmt.Sprintf("%s/%s was dead-lettered and the review queue was never read back", x.key.tenant, x.key.exec)
		case x.end >= 0 && x.status == store.DeadLettered && !ix.isQueued(x.key):
			r.Violations = append(r.Violations, violation(x, op, x.end, "%s/%s ended dead-lettered, and the store's review queue holds no dead letter of it: nobody will review it", x.key.tenant, x.key.exec))
		case x.end < 0 && ix.h.Cut == CutAtLimit:
			r.Violations = append(r.Violations, violation(x, op, -1, "%s/%s never ended: the run hit its limit with the execution still running (a hang)", x.key.tenant, x.key.exec))
		case x.end < 0:
			r.Violations = append(r.Violations, violation(x, op, -1, "%s/%s vanished: it started and never ended", x.key.tenant, x.key.exec))
		case x.status == store.Failed && x.cause == "":
			r.Violations = append(r.Violations, violation(x, op, x.end, "%s/%s failed without a cause", x.key.tenant, x.key.exec))
		case !x.status.Terminal():
			r.Violations = append(r.Violations, violation(x, op, x.end, "%s/%s ended with non-terminal status %s", x.key.tenant, x.key.exec, x.status))
		}
	}
	return r
}

func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int { return a.Event - b.Event })
}

// checkRetryAfter: after a failure whose outcome carries the Retry-After
// the tool answered, the step's next invocation of that tool comes no
// sooner than the failure's time plus the Retry-After. The failure's time
// is when the system learned of the answer, so a retry timed from then
// honours it.
func checkRetryAfter(ix *index) Result {
	type wait struct {
		failure int
		until   time.Time
		after   time.Duration
	}
	type site struct {
		tenant, exec string
		step         int
		tool         string
	}
	// pending holds the waits a retry has yet to honour, one a site: a
	// few at most, searched.
	type waitAt struct {
		site
		wait
	}
	var r Result
	var pending []waitAt
	find := func(at site) int {
		for j := range pending {
			if p := &pending[j].site; p.step == at.step && p.exec == at.exec && p.tool == at.tool && p.tenant == at.tenant {
				return j
			}
		}
		return -1
	}
	for i, ea := range ix.evs {
		if ea.kind != engine.EvFailure && ea.kind != engine.EvInvoke {
			continue
		}
		e := &ix.h.Events[i]
		at := site{e.Tenant, e.Exec, e.Step, e.Tool}
		switch e.Kind {
		case engine.EvFailure:
			if e.Outcome != nil && e.Outcome.RetryAfter > 0 {
				w := wait{failure: i, until: e.At.Add(e.Outcome.RetryAfter), after: e.Outcome.RetryAfter}
				if j := find(at); j >= 0 {
					pending[j].wait = w
				} else {
					pending = append(pending, waitAt{at, w})
				}
			}
		case engine.EvInvoke:
			if len(pending) == 0 {
				continue
			}
			j := find(at)
			if j < 0 {
				continue
			}
			w := pending[j].wait
			pending = slices.Delete(pending, j, j+1)
			if e.At.Before(w.until) {
				r.Violations = append(r.Violations, violation(ix.find(execKey{e.Tenant, e.Exec}), fakes.Op{Tenant: e.Tenant, Exec: e.Exec, Step: e.Step, Sub: -1}, i,
					"%s/%s step %d (%s) was retried %s after the tool answered Retry-After %s at event %d: %s too soon",
					e.Tenant, e.Exec, e.Step, e.Tool, e.At.Sub(w.until)+w.after, w.after, w.failure, w.until.Sub(e.At)))
			}
		}
	}
	return r
}
