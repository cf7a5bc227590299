package memstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/chaosrun/chaosrun/reference/store"
)

// Store is an in-memory [store.Store]. The zero value is not usable; use New.
type Store struct {
	mu      sync.Mutex
	execs   map[store.Ref]*record
	order   []store.Ref        // creation order, for deterministic listings
	pending map[store.Ref]bool // terminal, recovered, unaudited
	claimed map[store.Ref]bool // being audited right now
	dead    []deadLetter       // queue, oldest first
	events  map[store.Ref][]store.ReconEvent
	free    []*record // records a Reset emptied, for Create to fill again
	loans   loans     // what Load's snapshots hold, until a Recycle
	// last is the record get found last: an engine writes one execution
	// many times in a row, and its reference compares quicker than the map
	// hashes it.
	last    *record
	lastRef store.Ref
	claims  int // claims of dead letters made, numbering them
}

type record struct {
	exec     store.Execution
	keys     []string       // the array of exec.Steps' keys
	commits  []store.Commit // current run
	attempts []store.Attempt
	// lent is how many of attempts' first values snapshots share (0: the
	// array is the record's alone): End copies the array before changing
	// one of them, and a Reset leaves it to the snapshots.
	lent int
	// lentAll is set while an audit's snapshot shares the record's
	// steps, input, commits, dead letters and scratchpad (see
	// record.forAudit): a Reset leaves them to it.
	lentAll bool
	dead    []store.DeadLetter
	shared  map[string]store.Value
}

type deadLetter struct {
	d     store.DeadLetter
	claim int // the claim that holds it (0: none)
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{execs: map[store.Ref]*record{}} // the other maps are made on first write
}

// Reset empties the store, as New returns it, and keeps its memory for
// what is stored next: a caller that runs many short workflows one after
// another (the simulation) reuses one store. What was read from the store
// before is not affected: reads hand out copies, or share what the store
// never modifies (committed versions, the attempts a snapshot holds, and
// the terminal record an audit reads: see record.lend and record.forAudit).
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loans.forget()
	s.reset()
}

// Recycle is Reset for a caller that reads nothing it read from the store
// before (the simulation, once a run is checked): it also takes back the
// arrays and maps that snapshots share or were copied into (see
// record.lend, record.forAudit and loans), which Reset leaves to them.
func (s *Store) Recycle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ref := range s.order {
		r := s.execs[ref]
		r.lent, r.lentAll = 0, false
	}
	s.loans.recycle()
	s.reset()
}

// reset empties the store, its loans aside.
func (s *Store) reset() {
	for _, ref := range s.order {
		s.free = append(s.free, s.execs[ref])
	}
	clear(s.execs)
	s.last, s.lastRef = nil, store.Ref{}
	clear(s.pending)
	clear(s.claimed)
	clear(s.events)
	clear(s.dead) // the queue's causes go with it
	s.order, s.dead = s.order[:0], s.dead[:0]
}

// newRecord returns a record for a new execution, reusing one a Reset
// emptied: its arrays and maps are the store's own, never handed out.
func (s *Store) newRecord(e store.Execution) *record {
	n := len(e.Steps)
	var r *record
	if k := len(s.free); k > 0 {
		r, s.free = s.free[k-1], s.free[:k-1]
	} else {
		r = &record{}
	}
	if r.lentAll {
		// An audit's snapshot still reads the record's arrays and maps.
		*r = record{attempts: r.attempts, lent: r.lent}
	}
	input := r.exec.Input
	e.Steps, r.keys = cloneStepsInto(r.exec.Steps, r.keys, e.Steps)
	if input == nil || len(e.Input) == 0 {
		input = maps.Clone(e.Input)
	} else {
		clear(input)
		maps.Copy(input, e.Input)
	}
	e.Input = input
	// Room for an attempt and a commit per step: a run without failures
	// never grows them.
	attempts := r.attempts[:0]
	if r.lent > 0 {
		attempts = nil // a snapshot still reads the array
	}
	*r = record{exec: e, keys: r.keys, commits: r.commits[:0], attempts: attempts, dead: r.dead[:0], shared: r.shared}
	clear(r.shared)
	if cap(r.attempts) < n+1 {
		r.attempts = make([]store.Attempt, 0, n+1)
	}
	if cap(r.commits) < n {
		r.commits = make([]store.Commit, 0, n)
	}
	return r
}

func (s *Store) get(tenant, id string) (*record, error) {
	if s.last != nil && s.lastRef.Exec == id && s.lastRef.Tenant == tenant {
		return s.last, nil
	}
	ref := store.Ref{Tenant: tenant, Exec: id}
	r, ok := s.execs[ref]
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", tenant, id, store.ErrNotFound)
	}
	s.last, s.lastRef = r, ref
	return r, nil
}

func (s *Store) running(tenant, id string) (*record, error) {
	r, err := s.get(tenant, id)
	if err != nil {
		return nil, err
	}
	if r.exec.Status.Terminal() {
		return nil, fmt.Errorf("%s/%s is %s: %w", tenant, id, r.exec.Status, store.ErrTerminal)
	}
	return r, nil
}

// inRun returns the running execution tenant/id if run is its current
// run, and refuses a write of an older run with [store.ErrStaleRun]; what
// names the write in the error ("begin", "commit", "shared write of").
func (s *Store) inRun(tenant, id string, run int, what string) (*record, error) {
	r, err := s.running(tenant, id)
	if err != nil {
		return nil, err
	}
	if run != r.exec.Run {
		return nil, fmt.Errorf("%s run %d of %s/%s: %w", what, run, tenant, id, store.ErrStaleRun)
	}
	return r, nil
}

// Create implements [store.Store].
func (s *Store) Create(_ context.Context, e store.Execution) error {
	if e.Tenant == "" || e.Exec == "" {
		return fmt.Errorf("create: tenant and id are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := e.Ref()
	if _, ok := s.execs[ref]; ok {
		return fmt.Errorf("%s: %w", ref, store.ErrExists)
	}
	e.Status, e.Run, e.Recovered, e.Audited = store.Running, 0, false, false
	s.execs[ref] = s.newRecord(e)
	s.order = append(s.order, ref)
	return nil
}

// Load implements [store.Store].
func (s *Store) Load(_ context.Context, tenant, id string) (store.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(tenant, id)
	if err != nil {
		return store.Snapshot{}, err
	}
	return s.snapshot(r), nil
}

// DeadLetters returns the dead letters of an execution, as Load's snapshot
// holds them, without copying the rest of it.
func (s *Store) DeadLetters(_ context.Context, tenant, id string) ([]store.DeadLetter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(tenant, id)
	if err != nil {
		return nil, err
	}
	return append([]store.DeadLetter(nil), r.dead...), nil
}

// snapshot returns the record as Load's reader sees it: a copy, in
// memory the store lends until a Recycle (see loans), but for the
// attempts, which it shares (see record.lend), and the committed
// versions, which are never modified (see store.Context). Its Context,
// the one an engine resumes from, is a copy too.
func (s *Store) snapshot(r *record) store.Snapshot {
	l := &s.loans
	e := r.exec
	e.Steps = l.steps(e.Steps)
	e.Input = l.input(e.Input)
	snap := store.Snapshot{
		Execution: e,
		Commits:   append(l.commits.Take(len(r.commits), loanChunk), r.commits...),
		Attempts:  r.lend(),
		Shared:    l.values(len(r.shared)),
	}
	if len(r.dead) > 0 {
		snap.DeadLetters = append(l.dead.Take(len(r.dead), loanChunk), r.dead...)
	}
	maps.Copy(snap.Shared, r.shared)
	if n := len(r.commits); n > 0 {
		c := r.commits[n-1].Context
		snap.Context = store.Context{Version: c.Version, Values: l.values(len(c.Values))}
		maps.Copy(snap.Context.Values, c.Values)
	} else {
		snap.Context.Values = l.values(len(e.Input))
		fillInput(snap.Context.Values, e.Input)
	}
	return snap
}

// forAudit returns the snapshot an audit reads: the record itself, shared,
// not copied. The record is terminal, so that nothing changes what the
// snapshot sees: no step is begun, committed or written to the scratchpad
// any more, and an attempt End changes is in an array of its own (see
// record.lend). Only a Reset that hands the record to another execution
// would, and it does not while the snapshot may be read (see Recycle).
func (r *record) forAudit(l *loans) store.Snapshot {
	r.lentAll = true
	snap := store.Snapshot{
		Execution:   r.exec,
		Commits:     r.commits[:len(r.commits):len(r.commits)],
		Attempts:    r.lend(),
		DeadLetters: r.dead[:len(r.dead):len(r.dead)],
		Shared:      r.shared,
	}
	if n := len(r.commits); n > 0 {
		snap.Context = r.commits[n-1].Context
	} else {
		snap.Context.Values = l.values(len(r.exec.Input)) // version 0, in memory lent like Load's
		fillInput(snap.Context.Values, r.exec.Input)
	}
	return snap
}

// lend returns the attempts for a snapshot to share: an attempt is
// changed in place only by End, which copies the array first when the
// attempt is one a snapshot sees, and Begin appends past what the
// snapshot sees (its capacity ends at its length). Recovering after a
// crash loads every attempt of every run; copying them each time made
// crash-heavy runs quadratic. So did copying them at every End after a
// Load: the attempt a step ends is the one it began after loading.
func (r *record) lend() []store.Attempt {
	if len(r.attempts) == 0 {
		return nil
	}
	r.lent = len(r.attempts)
	return r.attempts[:len(r.attempts):len(r.attempts)]
}

// InputContext returns context version 0 for an execution's input.
func InputContext(input map[string]string) store.Context {
	c := store.Context{Values: make(map[string]store.Value, len(input))}
	fillInput(c.Values, input)
	return c
}

// fillInput writes an execution's input into the values of a context.
func fillInput(values map[string]store.Value, input map[string]string) {
	for k, v := range input {
		values[k] = store.Value{Data: v, Writer: store.InputWriter}
	}
}

// Active implements [store.Store].
func (s *Store) Active(context.Context) ([]store.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var refs []store.Ref
	for _, ref := range s.order {
		if !s.execs[ref].exec.Status.Terminal() {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// Begin implements [store.Store].
func (s *Store) Begin(_ context.Context, a store.Attempt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.inRun(a.Tenant, a.Exec, a.Run, "begin")
	if err != nil {
		return err
	}
	a.Ended = false
	if len(r.attempts) == cap(r.attempts) {
		r.lent = 0 // append moves the attempts to an array no snapshot shares
	}
	r.attempts = append(r.attempts, a)
	return nil
}

// End implements [store.Store].
func (s *Store) End(_ context.Context, a store.Attempt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.get(a.Tenant, a.Exec)
	if err != nil {
		return err
	}
	for i := len(r.attempts) - 1; i >= 0; i-- {
		if b := &r.attempts[i]; b.Run == a.Run && b.Step == a.Step && b.Attempt == a.Attempt && b.Kind == a.Kind {
			if i < r.lent {
				r.attempts, r.lent = s.loans.moveAttempts(r.attempts), 0
			}
			b = &r.attempts[i]
			b.Ended, b.Outcome = true, a.Outcome
			r.exec.Recovered = true
			if r.exec.Status.Terminal() && !r.exec.Audited {
				put(&s.pending, r.exec.Ref(), true)
			}
			return nil
		}
	}
	return fmt.Errorf("end attempt %d of step %d of %s/%s: no begin record: %w", a.Attempt, a.Step, a.Tenant, a.Exec, store.ErrNotFound)
}

// Commit implements [store.Store].
func (s *Store) Commit(_ context.Context, c store.Commit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.inRun(c.Tenant, c.Exec, c.Run, "commit")
	if err != nil {
		return err
	}
	for _, done := range r.commits {
		if done.Step == c.Step {
			return fmt.Errorf("step %d of %s/%s: %w", c.Step, c.Tenant, c.Exec, store.ErrCommitted)
		}
	}
	complete := c.Complete
	// Complete is an instruction to the store, not part of the checkpoint
	// (as in pgstore).
	c.Complete = false
	r.commits = append(r.commits, c) // the port hands the values over: no copy
	if complete {
		s.finish(r, store.Completed, "")
	}
	return nil
}

// WriteShared implements [store.Store].
func (s *Store) WriteShared(_ context.Context, w store.SharedWrite) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.inRun(w.Tenant, w.Exec, w.Value.Writer.Run, "shared write of")
	if err != nil {
		return err
	}
	if r.shared == nil {
		r.shared = map[string]store.Value{}
	}
	r.shared[w.Key] = w.Value
	return nil
}

// Restart implements [store.Store].
func (s *Store) Restart(_ context.Context, tenant, id string, run int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.running(tenant, id)
	if err != nil {
		return err
	}
	if run != r.exec.Run+1 {
		return fmt.Errorf("restart %s/%s as run %d after run %d: %w", tenant, id, run, r.exec.Run, store.ErrStaleRun)
	}
	r.exec.Run = run
	r.commits = nil
	return nil
}

// Finish implements [store.Store].
func (s *Store) Finish(_ context.Context, tenant, id string, st store.Status, cause string) error {
	if !st.Terminal() {
		return fmt.Errorf("finish %s/%s: status %s is not terminal", tenant, id, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.running(tenant, id)
	if err != nil {
		return err
	}
	s.finish(r, st, cause)
	return nil
}

func (s *Store) finish(r *record, st store.Status, cause string) {
	r.exec.Status, r.exec.Cause = st, cause
	if r.exec.Recovered {
		put(&s.pending, r.exec.Ref(), true)
	}
}

// DeadLetter implements [store.Store].
func (s *Store) DeadLetter(_ context.Context, d store.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.running(d.Tenant, d.Exec)
	if err != nil {
		return err
	}
	r.dead = append(r.dead, d)
	s.dead = append(s.dead, deadLetter{d: d})
	s.finish(r, store.DeadLettered, d.Cause)
	return nil
}

// ClaimDeadLetters implements [store.Store]. Each claim has its own number,
// which marks the dead letters it holds: another claim that finishes
// first removes entries from the queue, so a claim finds its own by that
// mark, not by where they were.
func (s *Store) ClaimDeadLetters(ctx context.Context, limit int, fn func(store.DeadLetter) error) (int, error) {
	s.mu.Lock()
	s.claims++
	mine := s.claims
	var batch []store.DeadLetter
	for i := range s.dead {
		if len(batch) == limit {
			break
		}
		if s.dead[i].claim == 0 {
			s.dead[i].claim = mine
			batch = append(batch, s.dead[i].d)
		}
	}
	s.mu.Unlock()

	resolved := make([]bool, len(batch))
	var firstErr error
	for j, d := range batch {
		if err := ctx.Err(); err != nil && firstErr == nil {
			firstErr = err
		}
		if firstErr == nil {
			if err := fn(d); err == nil {
				resolved[j] = true
			} else {
				firstErr = err
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n, j, keep := 0, 0, s.dead[:0]
	for _, dl := range s.dead {
		if dl.claim == mine {
			// the claim's entries are in the queue in the order claimed
			if resolved[j] {
				n++
				j++
				continue
			}
			dl.claim = 0
			j++
		}
		keep = append(keep, dl)
	}
	clear(s.dead[len(keep):])
	s.dead = keep
	return n, firstErr
}

// Audit implements [store.Store].
func (s *Store) Audit(ctx context.Context, limit int, fn func(store.Snapshot) ([]store.ReconEvent, error)) (int, error) {
	// A pass audits a few executions: their references and snapshots fit
	// in arrays of the call's own.
	var refBuf [auditFew]store.Ref
	var snapBuf [auditFew]store.Snapshot
	s.mu.Lock()
	refs := refBuf[:0]
	for ref := range s.pending {
		if !s.claimed[ref] {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, compareRefs)
	if len(refs) > limit {
		refs = refs[:limit]
	}
	snaps := snapBuf[:0]
	if len(refs) > auditFew {
		snaps = make([]store.Snapshot, 0, len(refs))
	}
	snaps = snaps[:len(refs)]
	for i, ref := range refs {
		put(&s.claimed, ref, true)
		snaps[i] = s.execs[ref].forAudit(&s.loans) // fn audits: it reads the record, never changes it
	}
	s.mu.Unlock()

	n := 0
	var firstErr error
	for i, snap := range snaps {
		if firstErr == nil {
			firstErr = ctx.Err()
		}
		var events []store.ReconEvent
		var err error
		if firstErr == nil {
			events, err = fn(snap)
			firstErr = err
		}
		s.mu.Lock()
		delete(s.claimed, refs[i])
		if firstErr == nil {
			put(&s.events, refs[i], append(s.events[refs[i]], events...))
			s.execs[refs[i]].exec.Audited = true
			delete(s.pending, refs[i])
			n++
		}
		s.mu.Unlock()
	}
	return n, firstErr
}

// auditFew is how many executions an audit claims without allocating.
const auditFew = 4

// compareRefs orders references as their strings ("tenant/exec") order,
// without making them.
func compareRefs(a, b store.Ref) int {
	var x, y [64]byte
	return bytes.Compare(appendRef(x[:0], a), appendRef(y[:0], b))
}

func appendRef(b []byte, r store.Ref) []byte {
	b = append(b, r.Tenant...)
	b = append(b, '/')
	return append(b, r.Exec...)
}

// ReconEvents implements [store.Store].
func (s *Store) ReconEvents(_ context.Context, tenant, id string) ([]store.ReconEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get(tenant, id); err != nil {
		return nil, err
	}
	return append([]store.ReconEvent(nil), s.events[store.Ref{Tenant: tenant, Exec: id}]...), nil
}

// put sets m[k] to v, making m on first use.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// cloneStepsInto copies steps into the arrays into and keys where they are
// large enough, and returns the copy and the array of its keys (every
// step's keys in one array, each capped to its own).
func cloneStepsInto(into []store.Step, keys []string, steps []store.Step) ([]store.Step, []string) {
	if cap(into) < len(steps) {
		into = make([]store.Step, len(steps))
	}
	into = into[:len(steps)]
	n := 0
	for _, st := range steps {
		n += len(st.Writes)
	}
	if cap(keys) < n {
		keys = make([]string, 0, n)
	}
	keys = keys[:0]
	for i, st := range steps {
		into[i] = store.Step{Tool: st.Tool}
		if len(st.Writes) > 0 {
			keys = append(keys, st.Writes...)
			into[i].Writes = keys[len(keys)-len(st.Writes) : len(keys) : len(keys)]
		}
	}
	return into, keys
}
