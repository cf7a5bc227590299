package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Applied is one fault that fired.
type Applied struct {
	Kind Kind
	store.AttemptID
	Tool string
	// Detail says where exactly (a point, a chunk count).
	Detail string
}

func (a Applied) String() string {
	return fmt.Sprintf("%s at %s/%s step %d attempt %d (%s) %s", a.Kind, a.Tenant, a.Exec, a.Step, a.Attempt, a.Tool, a.Detail)
}

// Injector applies a schedule to one run: it is the engine's [engine.Faults]
// port, the world's [fakes.Quirks], and wraps the tools and the store. It is
// safe for the several engines of one net-mode run (faults/toxics); its
// decisions depend on the schedule and the site alone, never on the order
// in which sites are visited, except that a crash point fires once.
type Injector struct {
	s      Schedule
	active uint64 // a bit for each kind of the schedule that is on (1<<kind)
	unit   func(exec string, step int) uint64
	record func(Applied)
	clock  engine.Clock   // outages are timed on it; nil: no outage fires
	cat    *fakes.Catalog // the world, from Drift: where a zombie can land
	drift  []fakes.Drift  // the catalog's own list, from Drift: a few tools of one tenant

	mu      sync.Mutex // net mode runs engines concurrently
	crashed map[Stream]bool
	down    map[string]time.Time   // tool -> the end of its outage
	held    map[string]engine.Call // a zombie's held request, by operation
	order   []string               // the held operations, in the order held
}

// NewInjector returns an injector for s. unit gives each step of each
// execution its identity in fault sites (nil: a hash of the execution id
// and the step index); giving steps identities of their own keeps a step's
// faults when its neighbours are removed. record, if not nil, is told of
// every fault that fires.
func NewInjector(s Schedule, unit func(exec string, step int) uint64, record func(Applied)) *Injector {
	return new(Injector).Renew(s, unit, record)
}

// Renew makes in the injector NewInjector(s, unit, record) returns, and
// returns it, keeping the memory of its maps: a caller that runs schedule
// after schedule (the simulation) renews one injector, once nothing of
// its last run uses it.
func (in *Injector) Renew(s Schedule, unit func(exec string, step int) uint64, record func(Applied)) *Injector {
	if unit == nil {
		unit = func(exec string, step int) uint64 { return splitmix.String(uint64(step), exec) }
	}
	crashed, down, held := in.crashed, in.down, in.held
	clear(crashed)
	clear(down)
	clear(held)
	// The maps are made on first use: most runs need few.
	*in = Injector{s: s, unit: unit, record: record, crashed: crashed, down: down, held: held}
	for k, r := range s.Rates {
		if r != 0 {
			in.active |= 1 << k
		}
	}
	return in
}

// UseClock gives the injector the run's clock, which an outage is timed
// on: without one, no outage fires.
func (in *Injector) UseClock(c engine.Clock) { in.clock = c }

// Record tells the injector's recorder of a fault that fired. The
// injector records its own; net mode (faults/toxics) records those it
// carries out.
func (in *Injector) Record(a Applied) {
	if in.record != nil {
		in.record(a)
	}
}

// Fires reports whether kind k fires at a site, and the site's stream for
// the fault's details.
func (in *Injector) Fires(k Kind, at Site) (bool, Stream) { return in.s.fires(k, &at) }

// CallSite is the site of a tool call: its pre-, mid- and post-execution
// faults.
func (in *Injector) CallSite(c engine.Call) Site { return in.callAt(&c, placeCall) }

// BeginSite is the site of an attempt's begin record.
func (in *Injector) BeginSite(a store.Attempt) Site {
	return Site{unit: in.unit(a.Exec, a.Step), run: a.Run, attempt: a.Attempt, point: placeBegin, index: int(a.Kind)}
}

// CommitSite is the site of a step's commit.
func (in *Injector) CommitSite(c store.Commit) Site {
	return Site{unit: in.unit(c.Exec, c.Step), run: c.Run, attempt: c.Attempt, point: placeCommit}
}

// opSite is the site of the operation of the call whose site is at, as a
// whole, the same for every attempt and run of the step: where a
// deterministic failure is drawn.
func opSite(at *Site) Site { return Site{unit: at.unit, tool: at.tool, point: placeCall} }

// LookupSite is the site of a lookup by key.
func (in *Injector) LookupSite(r engine.LookupRequest) Site {
	return Site{unit: in.unit(r.Exec, r.Step), tool: r.Tool, run: r.Run, attempt: r.Attempt, point: placeLookup, index: int(splitmix.Hash(r.Key) & 0xffff)}
}

// pointSite is the site of one of the engine's points in an attempt.
func (in *Injector) pointSite(s *engine.Site) Site {
	return Site{unit: in.unit(s.Exec, s.Step), tool: s.Tool, run: s.Run, attempt: s.Attempt, point: int(s.Point), index: s.Index}
}

func (in *Injector) callAt(c *engine.Call, place int) Site {
	return Site{unit: in.unit(c.Exec, c.Step), tool: c.Tool, run: c.Run, attempt: c.Attempt, point: place}
}

// Drift returns the registry drift of the schedule in the world cat: for
// one tenant drawn from the seed, the keyed writes and upserts that drift
// (see [fakes.Catalog.DriftTools]) stop deduplicating — insert_record's key
// and publish_report's upsert in the built-in world. It records the drift
// as a fault; call it once per run. The list is the catalog's own: read
// it, do not modify it.
func (in *Injector) Drift(cat *fakes.Catalog) []fakes.Drift {
	drift := in.UseWorld(cat)
	if len(drift) > 0 && in.record != nil {
		in.Record(Applied{Kind: Drift, AttemptID: store.AttemptID{Tenant: drift[0].Tenant, Step: -1}, Detail: driftDetail(drift)})
	}
	return drift
}

// driftDetail says which tools drift: "insert_record and publish_report
// stop deduplicating".
func driftDetail(drift []fakes.Drift) string {
	const and, stop = " and ", " stop deduplicating"
	n := len(stop) + (len(drift)-1)*len(and)
	for _, d := range drift {
		n += len(d.Tool)
	}
	var b strings.Builder
	b.Grow(n)
	for i, d := range drift {
		if i > 0 {
			b.WriteString(and)
		}
		b.WriteString(d.Tool)
	}
	b.WriteString(stop)
	return b.String()
}

// UseWorld tells the injector the world cat it runs in, which decides where
// a zombie can land ([Injector.ToolFault]), and returns the schedule's
// drift in it, as [Injector.Drift] does but without recording it: for a
// process that runs engines beside the one that made the world (net mode's
// engine processes). The list is the catalog's own: read it, do not
// modify it.
func (in *Injector) UseWorld(cat *fakes.Catalog) []fakes.Drift {
	in.cat, in.drift = cat, nil
	if in.s.Rates[Drift] == 0 {
		return nil
	}
	st := in.s.draw(Drift, &Site{})
	tenants := cat.Tenants()
	in.drift = cat.Drift(tenants[st.Next()%uint64(len(tenants))])
	if len(in.drift) == 0 {
		in.drift = nil
	}
	return in.drift
}

// At implements [engine.Faults]: crashes at any point (each site at most
// once, so that a rebuilt engine can pass it), and failures inside context writes.
func (in *Injector) At(_ context.Context, s engine.Site) error {
	_, err := in.atKey(&s)
	return err
}

// AtKey is At, also returning the key of a crash point that fires, for
// [Injector.Crashed] in the process that runs the engine next.
func (in *Injector) AtKey(_ context.Context, s engine.Site) (key uint64, err error) {
	return in.atKey(&s)
}

// atKey is AtKey, the site passed on by pointer.
func (in *Injector) atKey(s *engine.Site) (key uint64, err error) {
	partial := s.Point == engine.ContextWrite && in.s.on(PartialWrite)
	if !in.s.on(Crash) && !partial {
		return 0, nil // nothing can fire here: the site is not worked out
	}
	at := in.pointSite(s)
	if ok, st := in.s.fires(Crash, &at); ok && in.firstCrash(st) {
		in.Record(Applied{Kind: Crash, AttemptID: s.AttemptID, Tool: s.Tool, Detail: s.Point.String()})
		return uint64(st), engine.ErrCrash
	}
	if partial {
		if ok, _ := in.s.fires(PartialWrite, &at); ok {
			in.Record(Applied{Kind: PartialWrite, AttemptID: s.AttemptID, Tool: s.Tool, Detail: fmt.Sprintf("after %d keys", s.Index)})
			return 0, errPartial
		}
	}
	return 0, nil
}

var errPartial = fmt.Errorf("context store write failed")

// Crashed marks crash points as fired already (in an engine process that
// was killed there): they do not fire again.
func (in *Injector) Crashed(keys ...uint64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, k := range keys {
		in.markCrashed(Stream(k))
	}
}

// firstCrash reports whether a crash point fires for the first time, and
// remembers it.
func (in *Injector) firstCrash(st Stream) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.crashed[st] {
		return false
	}
	in.markCrashed(st)
	return true
}

func (in *Injector) markCrashed(st Stream) {
	if in.crashed == nil {
		in.crashed = map[Stream]bool{}
	}
	in.crashed[st] = true
}

// LookupQuirk implements [fakes.LookupQuirks]: a lookup that lags behind
// the tool's declared lag, or misses an effect the tool's key still
// deduplicates.
func (in *Injector) LookupQuirk(r engine.LookupRequest, may []fakes.Quirk) fakes.Quirk {
	if !in.s.on(LookupLag) && !in.s.on(LookupMiss) {
		return fakes.NoQuirk // the key is not hashed for a site
	}
	at := in.LookupSite(r)
	for _, q := range [...]struct {
		k Kind
		q fakes.Quirk
	}{{LookupLag, fakes.LaggingLookup}, {LookupMiss, fakes.MissedLookup}} {
		if !slices.Contains(may, q.q) {
			continue
		}
		if ok, _ := in.s.fires(q.k, &at); ok {
			in.Record(Applied{Kind: q.k, AttemptID: r.AttemptID, Tool: r.Tool, Detail: "lookup of " + r.Key})
			return q.q
		}
	}
	return fakes.NoQuirk
}

// Quirk implements [fakes.Quirks].
func (in *Injector) Quirk(c engine.Call) fakes.Quirk {
	if !in.s.on(DoubleDelivery) && !in.s.on(LostWrite) {
		return fakes.NoQuirk
	}
	at := in.callAt(&c, placeQuirk)
	for _, q := range [...]struct {
		k Kind
		q fakes.Quirk
	}{{DoubleDelivery, fakes.DoubleDelivery}, {LostWrite, fakes.LostWrite}} {
		if ok, _ := in.s.fires(q.k, &at); ok {
			in.Record(CallFault(q.k, c, ""))
			return q.q
		}
	}
	return fakes.NoQuirk
}

// CallFault is a fault of kind k that fired at a tool call.
func CallFault(k Kind, c engine.Call, detail string) Applied {
	return Applied{Kind: k, AttemptID: c.AttemptID, Tool: c.Tool, Detail: detail}
}

// RecordFault is a fault of kind k that fired at an attempt's checkpoint
// record (its begin record, its commit).
func RecordFault(k Kind, id store.AttemptID, detail string) Applied {
	return Applied{Kind: k, AttemptID: id, Detail: detail}
}

// Invoker wraps tools with the schedule's pre-, mid- and post-execution
// faults. The result keeps next's ability to answer lookups.
func (in *Injector) Invoker(next engine.Invoker) engine.Invoker {
	return WithLookups(&invoker{in: in, next: next}, next)
}

type invoker struct {
	in   *Injector
	next engine.Invoker
}

// WithLookups gives a fault wrapper the lookups of the tools it wraps:
// lookups pass through unharmed, as reads a fault schedule does not aim at.
func WithLookups(wrapper, next engine.Invoker) engine.Invoker {
	if l, ok := next.(engine.Lookuper); ok {
		return &lookupInvoker{Invoker: wrapper, look: l}
	}
	return wrapper
}

type lookupInvoker struct {
	engine.Invoker
	look engine.Lookuper
}

func (l *lookupInvoker) Lookup(ctx context.Context, r engine.LookupRequest) (engine.LookupResult, error) {
	return l.look.Lookup(ctx, r)
}

func (v *invoker) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	in := v.in
	if in.active&callKinds == 0 {
		return v.next.Invoke(ctx, c) // no fault of a call can fire: none is drawn
	}
	s := &in.s
	at := in.CallSite(c) // worked out once for every kind drawn at the call
	if err := in.Release(ctx, v.next, c); err != nil {
		return engine.Response{}, err
	}
	if _, down := in.downAt(c, &at); down {
		return engine.Response{}, outcome.Status(503, 0)
	}
	if ok, _ := s.fires(Refused, &at); ok {
		in.Record(CallFault(Refused, c, ""))
		return engine.Response{}, outcome.ErrRefused
	}
	if ok, _ := s.fires(Unavailable, &at); ok {
		in.Record(CallFault(Unavailable, c, ""))
		return engine.Response{}, outcome.Status(503, 0)
	}
	if ok, st := s.fires(RateLimit, &at); ok {
		d := RetryAfter(&st)
		in.Record(CallFault(RateLimit, c, "retry after "+d.String()))
		return engine.Response{}, outcome.Status(429, d)
	}
	if c.Deliver != nil {
		if ok, st := s.fires(StreamCut, &at); ok {
			k := ChunksBeforeCut(&st)
			in.Record(CallFault(StreamCut, c, fmt.Sprintf("after %d chunks", k)))
			deliver := c.Deliver
			c.Deliver = func(i int, chunk string) error {
				if i >= k {
					return outcome.ErrStreamCut
				}
				return deliver(i, chunk)
			}
		}
	}
	if in.holdAt(c, &at, "the request is held; it lands later") {
		// The request is on its way and stays there: the engine times
		// out, and the effect lands when the step is called again (or
		// when the run ends).
		return engine.Response{}, outcome.ErrTimeout
	}
	resp, err := v.next.Invoke(ctx, c)
	if err != nil {
		return resp, err
	}
	if err := in.afterEffect(c, &at, ""); err != nil {
		return engine.Response{}, err
	}
	for _, m := range [...]struct {
		k   Kind
		err error
	}{{LostResponse, outcome.ErrTimeout}, {Reset, outcome.ErrReset}, {BadResponse, outcome.ErrBadResponse}} {
		if m.k == BadResponse && c.Deliver == nil {
			continue // post-inference: a model call's complete generation that cannot be handled
		}
		if ok, _ := s.fires(m.k, &at); ok {
			in.Record(CallFault(m.k, c, "after the tool acted"))
			return engine.Response{}, m.err
		}
	}
	return resp, nil
}

// callKinds are the kinds drawn at a tool call, as bits of
// [Injector.active]: where none is on, a call passes untouched.
const callKinds = 1<<Refused | 1<<Unavailable | 1<<RateLimit | 1<<StreamCut | 1<<Zombie | 1<<Outage |
	1<<ErrorAfter | 1<<Rejected | 1<<LostResponse | 1<<Reset | 1<<BadResponse

// The faults the tool itself carries out, around the world's handling of a
// call: the simulation's invoker asks them in-process; net mode's tool
// servers ask them of every call they receive (fakes/fakehttp), in the
// same order — Release, Down, the gate's own kinds, Hold, the world,
// AfterEffect.

// Down reports whether the call's tool is down for an outage now (one that
// began at an earlier call of any execution and has not ended, or begins at
// this one), and until when; it records the fault. It needs the run's
// clock ([Injector.UseClock]): without one, no outage fires.
func (in *Injector) Down(c engine.Call) (until time.Time, down bool) {
	if !in.s.on(Outage) {
		return time.Time{}, false
	}
	at := in.CallSite(c)
	return in.downAt(c, &at)
}

// downAt is Down at the call's site, at.
func (in *Injector) downAt(c engine.Call, at *Site) (until time.Time, down bool) {
	until, down = in.outage(c, at)
	if down {
		in.Record(CallFault(Outage, c, "the tool is down "+downFor(until, in.clock.Now())))
	}
	return until, down
}

// Hold reports whether the call is a zombie — its request held on its way,
// its effect to land later (see [Injector.Release] and [Injector.Land]) —
// and if so keeps it and records the fault with detail. Only a call that
// [Injector.ToolFault] allows a zombie can be one.
func (in *Injector) Hold(c engine.Call, detail string) bool {
	if !in.s.on(Zombie) {
		return false
	}
	at := in.CallSite(c)
	return in.holdAt(c, &at, detail)
}

// holdAt is Hold at the call's site, at.
func (in *Injector) holdAt(c engine.Call, at *Site, detail string) bool {
	if !in.zombieable(&c) {
		return false
	}
	if ok, _ := in.s.fires(Zombie, at); !ok {
		return false
	}
	in.hold(c)
	in.Record(CallFault(Zombie, c, detail))
	return true
}

// AfterEffect is the failure the tool answers once it has acted on the
// call, if one fires: an error status (500 or 502, an [outcome.StatusError])
// or a rejection of the operation, the same on every attempt (an
// [outcome.RejectedError]). It records the fault, with detail after its own
// words when detail is not empty.
func (in *Injector) AfterEffect(c engine.Call, detail string) error {
	if !in.s.on(ErrorAfter) && !in.s.on(Rejected) {
		return nil
	}
	at := in.CallSite(c)
	return in.afterEffect(c, &at, detail)
}

// afterEffect is AfterEffect at the call's site, at.
func (in *Injector) afterEffect(c engine.Call, at *Site, detail string) error {
	if !in.s.on(ErrorAfter) && !in.s.on(Rejected) {
		return nil
	}
	with := func(s string) string {
		if detail != "" {
			return s + " " + detail
		}
		return s
	}
	if ok, st := in.s.fires(ErrorAfter, at); ok {
		code := 500 + 2*int(st.Next()%2)
		in.Record(CallFault(ErrorAfter, c, with(fmt.Sprintf("the tool acted, then answered %d", code))))
		return outcome.Status(code, 0)
	}
	if c.Ref != "" {
		return nil // an undo is not rejected
	}
	op := opSite(at)
	if ok, _ := in.s.fires(Rejected, &op); ok {
		in.Record(CallFault(Rejected, c, with("the tool acted, then rejected the operation")))
		return &outcome.RejectedError{Reason: c.Tool + " refuses this operation after acting on it"}
	}
	return nil
}

// ToolFault reports, recording nothing, whether the tool itself fails the
// call once the request reached it: a zombie ([Injector.Hold]), an error
// after the effect or a rejection ([Injector.AfterEffect]). Net mode's
// engine side asks it so as not to put a fault of its own on the same
// call's reply (the simulation fires those first). A zombie needs the world
// ([Injector.Drift] or [Injector.UseWorld]).
func (in *Injector) ToolFault(c engine.Call) bool {
	at := in.CallSite(c)
	if ok, _ := in.s.fires(Zombie, &at); ok && in.zombieable(&c) {
		return true
	}
	if ok, _ := in.s.fires(ErrorAfter, &at); ok {
		return true
	}
	op := opSite(&at)
	ok, _ := in.s.fires(Rejected, &op)
	return ok && c.Ref == ""
}

// Store wraps a store with the schedule's store faults: a begin record that
// cannot be written, a commit that fails, a commit that lands while the
// engine is told it failed.
func (in *Injector) Store(next store.Store) store.Store { return &faultyStore{Store: next, in: in} }

type faultyStore struct {
	store.Store
	in *Injector
}

var errStore = fmt.Errorf("injected store fault: %w", store.ErrUnavailable)

func (f *faultyStore) Begin(ctx context.Context, a store.Attempt) error {
	if f.in.s.on(BeginFail) {
		at := f.in.BeginSite(a)
		if ok, _ := f.in.s.fires(BeginFail, &at); ok {
			f.in.Record(RecordFault(BeginFail, a.AttemptID, ""))
			return errStore
		}
	}
	return f.Store.Begin(ctx, a)
}

func (f *faultyStore) Commit(ctx context.Context, c store.Commit) error {
	if !f.in.s.on(CommitFail) && !f.in.s.on(CommitAmbiguous) {
		return f.Store.Commit(ctx, c)
	}
	at := f.in.CommitSite(c)
	if ok, _ := f.in.s.fires(CommitFail, &at); ok {
		f.in.Record(RecordFault(CommitFail, c.AttemptID, ""))
		return errStore
	}
	if ok, _ := f.in.s.fires(CommitAmbiguous, &at); ok {
		if err := f.Store.Commit(ctx, c); err != nil {
			return err
		}
		f.in.Record(RecordFault(CommitAmbiguous, c.AttemptID, "the commit landed"))
		return errStore
	}
	return f.Store.Commit(ctx, c)
}

// outage reports whether the call's tool is down now: an outage began at
// an earlier call (of any execution) and has not ended, or begins at this
// one. It needs the run's clock (UseClock).
func (in *Injector) outage(c engine.Call, at *Site) (time.Time, bool) {
	if in.clock == nil || in.s.Rates[Outage] == 0 {
		return time.Time{}, false
	}
	now := in.clock.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	if until, ok := in.down[c.Tool]; ok && now.Before(until) {
		return until, true
	}
	ok, st := in.s.fires(Outage, at)
	if !ok {
		return time.Time{}, false
	}
	until := now.Add(5*time.Second + time.Duration(st.Next()%55_000)*time.Millisecond)
	if st.Next()%4 == 0 {
		until = now.Add(forGood)
	}
	if in.down == nil {
		in.down = map[string]time.Time{}
	}
	in.down[c.Tool] = until
	return until, true
}

// forGood is how long an outage of a dependency that does not come back
// lasts: past the end of any run, so that only a retry budget ends the
// retries of a call to it.
const forGood = 10 * 365 * 24 * time.Hour

// downFor says how long a tool stays down, at now, for the outage's record.
func downFor(until, now time.Time) string {
	if left := until.Sub(now); left <= forGood/2 {
		return "until " + left.String() + " from now"
	}
	return "for good"
}

// zombieable reports whether a held request of c can land later: a call
// with an effect (not a compensation, not a streamed model call: a stream's
// head is answered at once), on a tool whose key deduplicates a repeat for
// the tenant, or that answers no lookups, or whose tenant's contract
// forbids the retry a zombie punishes (never retry, at most once).
// Elsewhere, where a tool answers lookups and deduplicates nothing, no
// engine can tell a request still on its way from one that never left: a
// lookup that says "not found" is the best anyone has, and a zombie there
// would fault every retrying engine alike. Under such a contract no engine
// may retry on that word alone, so a zombie faults only the engines that
// break the contract. It needs the world (Drift).
func (in *Injector) zombieable(c *engine.Call) bool {
	if in.cat == nil || c.Deliver != nil || c.Ref != "" || in.s.Rates[Zombie] == 0 {
		return false
	}
	sp, ok := in.cat.Spec(c.Tenant, c.Tool)
	if !ok {
		return false
	}
	contract := in.cat.Contract(c.Tenant, c.Tool)
	return zombieSpec(sp, contract.AtMostOnce || contract.NeverRetry, slices.Contains(in.drift, fakes.Drift{Tenant: c.Tenant, Tool: c.Tool}))
}

// op names a call's operation: one step of one execution.
func op(c engine.Call) string { return c.Tenant + "/" + c.Exec + "/" + strconv.Itoa(c.Step) }

// hold keeps a zombie's request until it lands.
func (in *Injector) hold(c engine.Call) {
	in.mu.Lock()
	defer in.mu.Unlock()
	k := op(c)
	if _, ok := in.held[k]; !ok {
		in.order = append(in.order, k)
	}
	if in.held == nil {
		in.held = map[string]engine.Call{}
	}
	in.held[k] = c
}

// Release lands the held request of c's operation (a zombie), if any, on
// next, the tools without faults: a request of the same operation has
// arrived, so the one still on its way does too. What the tool answers it
// goes to nobody.
func (in *Injector) Release(ctx context.Context, next engine.Invoker, c engine.Call) error {
	if !in.s.on(Zombie) {
		return nil // no request is ever held
	}
	in.mu.Lock()
	none := len(in.held) == 0
	in.mu.Unlock()
	if none {
		return nil // the common case, without naming the operation
	}
	return in.release(ctx, next, op(c))
}

// release lands the held request of an operation, if any, on next.
func (in *Injector) release(ctx context.Context, next engine.Invoker, k string) error {
	in.mu.Lock()
	c, ok := in.held[k]
	delete(in.held, k)
	in.mu.Unlock()
	if !ok {
		return nil
	}
	in.Record(CallFault(Zombie, c, "the held request lands"))
	if _, err := next.Invoke(ctx, c); errors.Is(err, engine.ErrCrash) || ctx.Err() != nil {
		return err
	}
	return nil // what the tool answers a zombie goes to nobody
}

// Land lands every zombie request still held, in the order they were held,
// on the tools inv wraps (the result of Invoker): the run has ended, and
// requests on their way arrive.
func (in *Injector) Land(ctx context.Context, inv engine.Invoker) error {
	v, ok := inv.(*lookupInvoker)
	var next engine.Invoker
	switch {
	case ok:
		next = v.Invoker.(*invoker).next
	default:
		w, ok := inv.(*invoker)
		if !ok {
			return errors.New("faults: Land needs the invoker this injector made")
		}
		next = w.next
	}
	return in.LandOn(ctx, next)
}

// LandOn is Land on tools without faults (the world itself): net mode's
// servers hold zombies, and the world is what their requests land on.
func (in *Injector) LandOn(ctx context.Context, tools engine.Invoker) error {
	in.mu.Lock()
	order := in.order
	in.order = nil
	in.mu.Unlock()
	for _, k := range order {
		if err := in.release(ctx, tools, k); err != nil {
			return err
		}
	}
	return nil
}
