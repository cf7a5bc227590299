package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

// act performs r's next action. visible reports whether it reached outside
// the engine (a tool call, a lookup, a compensation).
func (e *Engine) act(ctx context.Context, r *run) (visible bool, err error) {
	switch {
	case r.pending != nil:
		return false, e.recordFailure(ctx, r)
	case r.redecide != nil:
		a := *r.redecide
		r.redecide = nil
		e.decide(r, a, nil)
		return false, nil
	}
	if r.unconfirmed != nil {
		switch r.next {
		case doCompensate, doDeadLetter, doFail:
			return false, e.confirm(ctx, r)
		case doAttempt, doRestart:
			// A retry finds a landed commit at its own (ErrCommitted); a
			// restart leaves the run the commit belonged to.
			r.unconfirmed = nil
		}
	}
	switch r.next {
	case doAttempt:
		return true, e.attempt(ctx, r)
	case doReconcile:
		return true, e.reconcile(ctx, r)
	case doCompensate:
		return true, e.compensate(ctx, r)
	case doRestart:
		return false, e.restart(ctx, r)
	case doDeadLetter:
		return false, e.deadLetter(ctx, r)
	case doFail:
		return false, e.finish(ctx, r, store.Failed, r.cause)
	case doFinishCompensated:
		return false, e.finish(ctx, r, store.Compensated, r.cause)
	default:
		return false, e.finish(ctx, r, store.Completed, "")
	}
}

// attempt runs the current step once: begin, read, invoke, write, commit.
func (e *Engine) attempt(ctx context.Context, r *run) error {
	st := r.exec.Steps[r.step]
	ent, contract, err := e.entry(r)
	if err != nil {
		r.finishWith(doFail, fmt.Sprintf("step %d: %v: an unregistered tool cannot be invoked", r.step, err))
		return nil
	}
	n := r.attempts[r.step] + 1
	key, token := e.keys(r, ent, n)
	r.freshToken = false
	if contract.KeyRequired && key == "" && token == "" {
		r.finishWith(doFail, fmt.Sprintf("tenant %s requires an idempotency key for %s and the policy sends none", r.exec.Tenant, st.Tool))
		return nil
	}
	a := store.Attempt{AttemptID: r.attemptID(n), Kind: store.Invoke, Key: key, Token: token}
	late := e.arch.Without.Has(policy.BeginBeforeInvoke) // the record once the tool has answered
	if !late {
		if err := e.begin(ctx, r, &a, st.Tool); err != nil {
			return e.beginFailed(ctx, r, a, ent, err)
		}
		if err := e.at(ctx, r, AfterBegin, a.AttemptID, 0); err != nil {
			return err
		}
	}
	call := Call{AttemptID: a.AttemptID, Tool: st.Tool, Key: key, Token: token, Payload: e.read(r, n)}
	var stream *delivery
	if ent.Streaming {
		stream = e.scratch.deliveryOf(delivery{down: e.down, ctx: ctx, id: a.AttemptID, tool: st.Tool, token: token})
		call.Deliver = stream.fn
	}
	e.emit(&Event{Kind: EvInvoke, AttemptID: a.AttemptID, Tool: st.Tool, Key: key, Token: token})
	r.called[r.step] = e.clock.Now()
	resp, err := e.tools.Invoke(ctx, call)
	if errors.Is(err, ErrCrash) {
		return err
	}
	if late {
		if err := e.begin(ctx, r, &a, st.Tool); err != nil {
			return e.beginFailed(ctx, r, a, ent, err)
		}
	}
	if err != nil {
		return e.fail(ctx, r, a, ent, outcome.Observation{Stage: outcome.StageInvoke, Err: err, Chunks: stream.delivered()}, nil, true)
	}
	if resp.Ref != "" {
		r.refs[r.step] = resp.Ref
	}
	if err := e.at(ctx, r, AfterInvoke, a.AttemptID, 0); err != nil {
		return err
	}
	if ent.Layer == outcome.Orchestrator {
		if err := e.validatePlan(resp); err != nil {
			return e.fail(ctx, r, a, ent, outcome.Observation{Stage: outcome.StageValidate, Err: err}, inHand(resp), true)
		}
	}
	return e.complete(ctx, r, a, ent, resp)
}

// delivery hands a streamed attempt's chunks to the downstream consumer,
// counting them. It holds nothing of the engine: a request held on its
// way (a zombie) may deliver after the engine is gone.
type delivery struct {
	down   Downstream
	ctx    context.Context
	id     store.AttemptID
	tool   string
	token  string
	chunks int
	// fn is deliver, bound to this delivery.
	fn func(index int, chunk string) error
}

func (d *delivery) deliver(i int, text string) error {
	d.chunks++
	if d.down == nil {
		return nil
	}
	err := d.down.Deliver(d.ctx, Chunk{AttemptID: d.id, Tool: d.tool, Token: d.token, Index: i, Text: text})
	if err == nil || errors.Is(err, ErrCrash) || d.ctx.Err() != nil {
		return err
	}
	// The generation was under way: whatever stopped the delivery,
	// the stream is cut mid-inference, not refused before it began.
	return fmt.Errorf("%w: delivering chunk %d downstream: %v", outcome.ErrStreamCut, i, err)
}

// delivered is how many chunks went downstream (none without a stream).
func (d *delivery) delivered() int {
	if d == nil {
		return 0
	}
	return d.chunks
}

// inHand keeps a response for a failure's decision. The copy is made only
// on the failure's path, so that the response of a call that succeeds
// stays off the heap.
func inHand(resp Response) *Response { return &resp }

// begin makes an attempt of the current step durable before any of it
// runs — an invocation, a reconciliation or a compensation alike: the fault
// point before it, its begin record, the event that reports it. Once the
// record is written, the keys an invocation carries belong to the step.
func (e *Engine) begin(ctx context.Context, r *run, a *store.Attempt, tool string) error {
	if err := e.at(ctx, r, BeforeBegin, a.AttemptID, 0); err != nil {
		return err
	}
	a.Begun = e.clock.Now()
	if r.first[a.Step].IsZero() {
		r.first[a.Step] = a.Begun
	}
	r.attempts[a.Step] = a.Attempt
	if err := e.store.Begin(ctx, *a); err != nil {
		return fmt.Errorf("begin %s attempt %d of step %d of %s: %w", a.Kind, a.Attempt, a.Step, r.exec.Ref(), err)
	}
	if a.Kind == store.Invoke {
		r.addKey(a.Step, a.Key)
		r.addKey(a.Step, a.Token)
	}
	e.emit(&Event{Kind: EvBegin, AttemptID: a.AttemptID, Tool: tool, Key: a.Key, Token: a.Token, Detail: a.Kind.String()})
	return nil
}

// beginFailed handles an attempt whose begin record was not written. A
// crash stops the engine. An unavailable store is waited out, and a store
// that is ahead of the engine (the execution ended, or restarted) is taken
// over by Advance: either way nothing of the attempt ran and no budget is
// spent. Any other refusal fails the attempt before it acted, and the
// attempt's kind says what comes next.
func (e *Engine) beginFailed(ctx context.Context, r *run, a store.Attempt, ent registry.Entry, err error) error {
	switch {
	case errors.Is(err, ErrCrash), errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrTerminal), errors.Is(err, store.ErrStaleRun):
		return err
	case a.Kind == store.Reconcile:
		return e.reconcileFailed(ctx, r, a, ent, err, false)
	case a.Kind == store.Compensate:
		return e.compensationFailed(ctx, r, a, err, false)
	}
	return e.fail(ctx, r, a, ent, outcome.Observation{Stage: outcome.StageBegin, Err: err}, nil, false)
}

// complete writes the step's keys and commits the checkpoint, for an
// attempt's own response or for one established by reconciliation.
func (e *Engine) complete(ctx context.Context, r *run, a store.Attempt, ent registry.Entry, resp Response) error {
	st := r.exec.Steps[r.step]
	if e.arch.Without.Has(policy.FinalCommit) && r.step == len(r.exec.Steps)-1 {
		r.next, r.inHand = doComplete, nil // the last tool answered: "done"
		return nil
	}
	work := r.shared
	if e.arch.Context == policy.Versioned && !e.arch.Without.Has(policy.CopyOnWrite) {
		// copy-on-write: the committed version is never touched
		work = e.scratch.newVersion(r.ctx.Values, r.viewOf(r.ctx), len(st.Writes))
	}
	writer := store.Writer{Run: a.Run, Step: a.Step, Attempt: a.Attempt}
	for i, k := range st.Writes {
		if err := e.at(ctx, r, ContextWrite, a.AttemptID, i); err != nil {
			if errors.Is(err, ErrCrash) {
				return err
			}
			obs := outcome.Observation{Stage: outcome.StageContextWrite, Err: fmt.Errorf("writing context key %q: %w", k, err), KeysWritten: i, KeysTotal: len(st.Writes)}
			return e.fail(ctx, r, a, ent, obs, inHand(resp), true)
		}
		v := store.Value{Data: resp.Data, Writer: writer}
		if e.arch.Context == policy.Shared {
			// The shared document lives in the store: the write is there for
			// every later reader, whatever becomes of this attempt.
			err := e.store.WriteShared(ctx, store.SharedWrite{Tenant: r.exec.Tenant, Exec: r.exec.Exec, Key: k, Value: v})
			if errors.Is(err, ErrCrash) || errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrTerminal) || errors.Is(err, store.ErrStaleRun) {
				return err
			}
			if err != nil {
				obs := outcome.Observation{Stage: outcome.StageContextWrite, Err: fmt.Errorf("writing shared key %q: %w", k, err), KeysWritten: i, KeysTotal: len(st.Writes)}
				return e.fail(ctx, r, a, ent, obs, inHand(resp), true)
			}
		}
		work[k] = v
		e.emit(&Event{Kind: EvWrite, AttemptID: a.AttemptID, Tool: st.Tool, Version: r.ctx.Version + 1, Detail: k})
	}
	if err := e.at(ctx, r, BeforeCommit, a.AttemptID, 0); err != nil {
		return err
	}
	values := work
	if e.arch.Context == policy.Shared {
		values = maps.Clone(work)
	}
	c := store.Commit{
		AttemptID: a.AttemptID,
		Result:    store.Result{Data: resp.Data, Ref: resp.Ref},
		Context:   store.Context{Version: r.ctx.Version + 1, Values: values},
		At:        e.clock.Now(),
		// The last step's commit ends the execution too: nothing is left
		// to do between the two, so they are one write.
		Complete: r.step == len(r.exec.Steps)-1,
	}
	durable := c
	if e.arch.Without.Has(policy.AtomicCommit) {
		// The checkpoint goes first, with the version as it was; the step's
		// writes were to follow in a write of their own, and reach the
		// store only with the next step's commit.
		durable.Context.Values = maps.Clone(r.ctx.Values)
	}
	switch err := e.store.Commit(ctx, durable); {
	case err == nil:
	case errors.Is(err, store.ErrCommitted):
		return e.adopt(ctx, r)
	case errors.Is(err, ErrCrash):
		return err
	default:
		unconfirmed := c
		r.unconfirmed = &unconfirmed
		obs := outcome.Observation{Stage: outcome.StageCommit, Err: err, KeysWritten: len(st.Writes), KeysTotal: len(st.Writes)}
		return e.fail(ctx, r, a, ent, obs, inHand(resp), true)
	}
	read := r.view
	e.committed(r, c)
	if c.Complete {
		e.ended(r, store.Completed, "")
	}
	if e.arch.Context == policy.Versioned && read.run == c.Run && read.version == c.Context.Version-1 && read.reads != nil {
		// The new version is the one the attempt read and its writes: the
		// next read renders it from them, without sorting the map again.
		r.view = view{run: c.Run, version: c.Context.Version, from: read.reads, keys: st.Writes, value: store.Value{Data: resp.Data, Writer: writer}}
	}
	return e.at(ctx, r, AfterCommit, c.AttemptID, 0)
}

// confirm asks the store whether a commit it reported failed landed before
// the execution ends over it: if it did, the step is done and the decision
// to end is moot; if the store cannot say, the engine waits for it.
func (e *Engine) confirm(ctx context.Context, r *run) error {
	c := *r.unconfirmed
	snap, err := e.store.Load(ctx, r.exec.Tenant, r.exec.Exec)
	if err != nil {
		return fmt.Errorf("confirm the commit of %s step %d: %w", r.exec.Ref(), c.Step, err)
	}
	r.unconfirmed = nil
	if snap.Execution.Run == c.Run && len(snap.Commits) > c.Step {
		for _, landed := range snap.Commits[c.Step:] {
			e.committed(r, landed)
		}
		e.endedWith(r, snap.Execution)
	}
	return nil
}

// committed moves an execution past a durable commit.
func (e *Engine) committed(r *run, c store.Commit) {
	r.unconfirmed = nil
	r.ctx = c.Context
	if e.arch.Context == policy.Shared {
		maps.Copy(r.shared, c.Context.Values) // what another engine committed; the document keeps the rest
	}
	ev := commitEvent(r.exec, c)
	e.emit(&ev)
	r.step = c.Step + 1
	r.comp, r.inHand, r.wake = 0, nil, e.clock.Now()
	clear(r.effects)
	clear(r.signals)
	clear(r.inflight)
	r.next = doAttempt
	if r.step == len(r.exec.Steps) {
		r.next = doComplete
	}
}

// adopt takes the store's checkpoint when a commit this engine could not
// confirm turns out to have landed.
func (e *Engine) adopt(ctx context.Context, r *run) error {
	snap, err := e.store.Load(ctx, r.exec.Tenant, r.exec.Exec)
	if err != nil {
		return fmt.Errorf("reload after a commit that landed: %w", err)
	}
	for _, c := range snap.Commits[r.step:] {
		e.committed(r, c)
	}
	e.endedWith(r, snap.Execution)
	return nil
}

// endedWith marks r ended if the last step's commit, which landed, ended
// the execution in the store (see [store.Commit.Complete]).
func (e *Engine) endedWith(r *run, x store.Execution) {
	if r.step == len(r.exec.Steps) && x.Status == store.Completed && !r.done {
		e.ended(r, x.Status, x.Cause)
	}
}

// read returns the attempt's payload: the context it reads, rendered. In
// versioned mode that is the last committed version; in shared mode, the
// document as the last writer left it.
func (e *Engine) read(r *run, attempt int) string {
	values := r.ctx.Values
	shared := e.arch.Context == policy.Shared
	if shared {
		values = r.shared
	}
	if !shared && !e.arch.Without.Has(policy.CopyOnWrite) && r.view.version == r.ctx.Version && r.view.run == r.exec.Run && r.view.ready() {
		r.view.render(e.scratch)
		e.emitRead(r, attempt, r.view.reads)
		return r.view.payload
	}
	reads := e.scratch.readsFor(len(values))
	for k, v := range values {
		reads = append(reads, Read{Key: k, Data: v.Data, Writer: v.Writer})
	}
	slices.SortFunc(reads, func(a, b Read) int { return strings.Compare(a.Key, b.Key) })
	v := view{run: r.exec.Run, version: r.ctx.Version, reads: reads}
	v.render(e.scratch)
	if !shared {
		r.view = v
	}
	e.emitRead(r, attempt, reads)
	return v.payload
}

// view is a rendered committed version, kept while retries read it again.
// The version a commit makes from the one its attempt read is kept as that
// one and the keys the commit wrote, and rendered when it is first read:
// its reads are the earlier ones, each written key put in its place.
type view struct {
	run, version int
	reads        []Read
	payload      string
	// from, keys and value make reads, when reads is nil.
	from  []Read
	keys  []string
	value store.Value
}

// viewOf returns the reads of the committed version c as the run's view
// holds them, if it holds them (nil otherwise).
func (r *run) viewOf(c store.Context) []Read {
	v := &r.view
	if v.run != r.exec.Run || v.version != c.Version || len(v.reads) != len(c.Values) {
		return nil
	}
	return v.reads
}

// ready reports whether the view can render its version.
func (v *view) ready() bool { return v.reads != nil || v.from != nil }

// render makes the view's reads, if they are pending, and its payload.
func (v *view) render(s *Scratch) {
	if v.reads == nil {
		reads := append(s.readsFor(len(v.from)+len(v.keys)), v.from...)
		for _, k := range v.keys {
			rd := Read{Key: k, Data: v.value.Data, Writer: v.value.Writer}
			if i, found := slices.BinarySearchFunc(reads, k, func(r Read, k string) int { return strings.Compare(r.Key, k) }); found {
				reads[i] = rd
			} else {
				reads = slices.Insert(reads, i, rd)
			}
		}
		v.reads, v.from, v.keys = reads, nil, nil
	}
	if v.payload != "" || len(v.reads) == 0 {
		return
	}
	size := 0
	for _, rd := range v.reads {
		size += len(rd.Key) + len(rd.Data) + 2
	}
	if s != nil {
		b := s.textFor(size)
		for _, rd := range v.reads {
			b = append(b, rd.Key...)
			b = append(b, '=')
			b = append(b, rd.Data...)
			b = append(b, '\n')
		}
		v.payload = lendText(b)
		return
	}
	var b strings.Builder
	b.Grow(size)
	for _, rd := range v.reads {
		b.WriteString(rd.Key)
		b.WriteByte('=')
		b.WriteString(rd.Data)
		b.WriteByte('\n')
	}
	v.payload = b.String()
}

func (e *Engine) emitRead(r *run, attempt int, reads []Read) {
	e.emit(&Event{Kind: EvRead, AttemptID: r.attemptID(attempt), Tool: r.exec.Steps[r.step].Tool, Version: r.ctx.Version, Reads: reads})
}

// keys returns the idempotency key and dedup token attempt n carries.
func (e *Engine) keys(r *run, ent registry.Entry, n int) (key, token string) {
	mode := e.arch.KeysFor(ent.Tool)
	if ent.Keys == registry.NoKeys || mode == policy.NoKeys {
		return "", ""
	}
	// Each is made in one concatenation: one allocation.
	op := func(kind string) string { return kind + r.exec.Tenant + "/" + r.exec.Exec + "/" + strconv.Itoa(r.step) }
	fresh := func(kind string) string {
		return kind + r.exec.Tenant + "/" + r.exec.Exec + "/" + strconv.Itoa(r.step) + "/r" + strconv.Itoa(r.exec.Run) + ".a" + strconv.Itoa(n)
	}
	switch {
	case ent.Keys == registry.DedupToken && mode == policy.PerOperation && !r.freshToken && !e.arch.Without.Has(policy.DedupTokens):
		return "", op("tok:")
	case ent.Keys == registry.DedupToken:
		return "", fresh("tok:")
	case mode == policy.PerOperation && !e.arch.Without.Has(policy.PerOperationKeys):
		return op("key:"), ""
	default:
		return fresh("key:"), ""
	}
}

// validatePlan checks an orchestrator's task graph: every tool it names must
// be registered. A plan that names an unknown tool is a deterministic failure.
func (e *Engine) validatePlan(resp Response) error {
	_, graph, ok := strings.Cut(resp.Data, "plan:")
	switch {
	case !ok:
		return &outcome.InvalidPlanError{Reason: "the response is not a task graph"}
	case graph == "":
		return nil // nothing to do: a plan of no step
	}
	for _, tool := range strings.Split(graph, ">") {
		if _, err := e.reg.Base(tool); err != nil {
			return &outcome.InvalidPlanError{Reason: fmt.Sprintf("the plan names %q, which is not registered", tool)}
		}
	}
	return nil
}

// fail types a failed attempt and records it; the decision follows once the
// outcome is durable.
func (e *Engine) fail(ctx context.Context, r *run, a store.Attempt, ent registry.Entry, obs outcome.Observation, inHand *Response, begun bool) error {
	obs.Layer, obs.SideEffects, obs.Streaming, obs.Signals = ent.Layer, ent.SideEffects, ent.Streaming, ent.Signals
	a.Outcome = e.classify(obs)
	r.pending = e.scratch.failureOf(failure{a: a, inHand: inHand, begun: begun})
	return e.recordFailure(ctx, r)
}

// Unrecorded marks an EvFailure whose attempt never had a begin record (the
// begin write itself failed): the store holds no trace of it.
const Unrecorded = "unrecorded"

// recordFailure makes a failure's outcome durable, then decides. If the end
// record cannot be written the failure stays pending and nothing is decided:
// acting on an outcome the store does not hold could repeat an effect after a
// crash.
func (e *Engine) recordFailure(ctx context.Context, r *run) error {
	f := r.pending
	if f.begun {
		if err := e.store.End(ctx, f.a); err != nil {
			return fmt.Errorf("record the outcome of %s step %d attempt %d: %w", r.exec.Ref(), f.a.Step, f.a.Attempt, err)
		}
	}
	r.pending = nil
	r.failures[f.a.Step]++
	r.total++
	ev := Event{
		Kind:      EvFailure,
		AttemptID: f.a.AttemptID,
		Tool:      r.exec.Steps[f.a.Step].Tool,
		Key:       f.a.Key,
		Token:     f.a.Token,
		Outcome:   &f.a.Outcome,
	}
	if !f.begun {
		ev.Detail = Unrecorded
	}
	e.emit(&ev)
	e.decide(r, f.a, f.inHand)
	return nil
}

// decide asks Layer 3 what to do about a recorded failure and sets the
// execution's next action.
func (e *Engine) decide(r *run, a store.Attempt, inHand *Response) {
	st := r.exec.Steps[r.step]
	ent, contract, err := e.entry(r)
	if err != nil {
		r.finishWith(doFail, err.Error())
		return
	}
	o := a.Outcome
	o.Effects = max(o.Effects, r.effects[r.step])
	o.SignalsSent = o.SignalsSent || r.signals[r.step]
	r.effects[r.step], r.signals[r.step] = o.Effects, o.SignalsSent
	key := firstOf(a.Key, a.Token)
	if key == "" && len(r.keys[r.step]) > 0 {
		key = r.keys[r.step][0] // a reconcile or a rebuilt attempt: the step's calls carried it
	}
	in := policy.Input{
		Tenant: r.exec.Tenant, Entry: ent, Contract: contract, Outcome: o, Attempt: a.Attempt,
		Retries: r.retries(e.arch.Budget.Scope == policy.GlobalBudget),
		Elapsed: e.clock.Now().Sub(r.since(e.arch.Budget.Scope == policy.GlobalBudget)),
		HasKey:  key != "", StableKey: key != "" && e.arch.KeysFor(st.Tool) == policy.PerOperation,
		Jitter: e.jitter(a), InFlight: r.inflight[r.step],
	}
	d := policy.Resolve(e.pol, in)
	if d.Action == policy.Reconcile && o.Reconciled && inHand == nil {
		d = policy.Decide(policy.DeadLetter, "a lookup already found no trace of the operation and the policy asks to reconcile again")
	}
	e.emit(&Event{Kind: EvDecision, AttemptID: a.AttemptID, Tool: st.Tool, Decision: e.scratch.decisionOf(d)})
	r.last, r.inHand, r.wake = o, inHand, e.clock.Now()
	switch d.Action {
	case policy.Retry:
		r.wake = r.wake.Add(d.Delay)
		r.freshToken = !d.DedupToken
		r.next = doAttempt
		if e.arch.Resume == policy.Restart {
			r.next = doRestart
		}
	case policy.Reconcile:
		r.next = doReconcile
	case policy.Compensate:
		r.next = doCompensate
	case policy.DeadLetter:
		r.finishWith(doDeadLetter, d.Reason+": "+o.Cause)
	default:
		r.finishWith(doFail, d.Reason+": "+o.Cause)
	}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
