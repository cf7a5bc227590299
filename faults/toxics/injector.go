package toxics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Links is what an Injector needs of Toxiproxy: add a toxic to a proxy, or
// cut it. [Control] is the one that talks to Toxiproxy.
type Links interface {
	Apply(proxy string, t Toxic) (undo func() error, err error)
	Cut(proxy string) (undo func() error, err error)
}

// Opts configure an Injector. Links and Proxy are required.
type Opts struct {
	// Links controls the proxies.
	Links Links
	// Proxy names the proxy in front of a tool for one execution (each
	// execution has its own, so that a toxic hits its call only).
	Proxy func(exec, tool string) string
	// Postgres names the proxy in front of Postgres for one execution; nil
	// when the store is in memory.
	Postgres func(exec string) string
	// HeaderBytes and ChunkBytes describe the model's stream on the wire, so
	// that a stream can be cut after k chunks.
	HeaderBytes, ChunkBytes int
	// Crash, if set, is called at a crash point instead of returning
	// engine.ErrCrash: an engine running as a child process asks to be
	// killed there, and does not return.
	Crash func(key uint64, s engine.Site)
	// Fired lists crash points that already fired (in an earlier process).
	Fired []uint64
}

// Injector applies a fault schedule over real connections: the same kinds
// at the same sites as the simulation's [faults.Injector], which it embeds
// and asks, carried out by toxics on the engine's side — before a step,
// connections reset at once or a request held on its way; during it, replies
// held or reset after the tool acted and cut streams; after it, the Postgres
// link cut or slowed during a commit, or reset just after COMMIT was sent —
// and by the tool servers' own hooks (fakes/fakehttp): 503 and 429 before
// the tool acts, 503 for the whole window of an outage of the tool, a
// request held unanswered whose effect lands when its operation is called
// again or the run ends (a zombie), a 500 or 502 after the tool acted, a 422
// rejecting the operation after it acted, a garbled end of a model's
// stream. The world's lookups lag or miss as in the simulation (the world's
// fakes.LookupQuirks is this injector, and a lookup over HTTP names its
// attempt).
//
// What the engine observes over a real connection can differ from the
// simulation for the same schedule: a held reply hides whatever the server
// answered, a rate limit included; a refused call is a connection reset
// before the request reached the tool. The schedule is the same; the physics
// are real.
type Injector struct {
	*faults.Injector
	o Opts

	mu sync.Mutex
	// armed holds the executions whose commit in progress is to be cut just
	// after COMMIT, with the removal of the toxic once it is in place.
	armed map[string]*ambiguity
}

type ambiguity struct{ undo func() error }

// NewInjector returns a net-mode injector for s; unit and record are those
// of [faults.NewInjector].
func NewInjector(s faults.Schedule, unit func(exec string, step int) uint64, record func(faults.Applied), o Opts) *Injector {
	in := &Injector{Injector: faults.NewInjector(s, unit, record), o: o, armed: map[string]*ambiguity{}}
	in.Crashed(o.Fired...)
	return in
}

// At implements [engine.Faults]: a crash asks to be killed when the engine
// runs as a child process; partial context writes as in-process.
func (in *Injector) At(ctx context.Context, s engine.Site) error {
	key, err := in.AtKey(ctx, s)
	if err == engine.ErrCrash && in.o.Crash != nil {
		in.o.Crash(key, s)
	}
	return err
}

// Gate is the tool servers' pre-execution faults: 503 for the window of an
// outage of the tool (timed on the run's clock, [faults.Injector.UseClock]),
// 503 or 429 before the tool acts (status 0: let the call through).
func (in *Injector) Gate(c engine.Call) (status int, retryAfter time.Duration) {
	if reconciler(c) {
		return 0, 0
	}
	if _, down := in.Down(c); down {
		return 503, 0
	}
	at := in.CallSite(c)
	if ok, _ := in.Fires(faults.Unavailable, at); ok {
		in.Record(faults.CallFault(faults.Unavailable, c, "503 from the server"))
		return 503, 0
	}
	if ok, st := in.Fires(faults.RateLimit, at); ok {
		d := faults.RetryAfter(&st)
		in.Record(faults.CallFault(faults.RateLimit, c, "429 from the server, retry after "+d.String()))
		return 429, d
	}
	return 0, 0
}

// Arrived is the tool servers' landing of zombies (fakehttp.Holder): a
// request of the operation the server held before lands on world now that
// another of the operation has arrived.
func (in *Injector) Arrived(ctx context.Context, world engine.Invoker, c engine.Call) {
	_ = in.Release(ctx, world, c) // the world answers a zombie to nobody, and never crashes
}

// Held is the tool servers' zombie (fakehttp.Holder): the server holds the
// request, unanswered; it lands when a request of its operation arrives
// (Arrived) or when the run ends ([faults.Injector.LandOn]).
func (in *Injector) Held(c engine.Call) bool {
	if reconciler(c) {
		return false
	}
	return in.Hold(c, "the server holds the request unanswered; it lands when its operation is called again or the run ends")
}

// Fail is the tool servers' failure after the tool acted (fakehttp.Failer):
// a 500 or 502, or a 422 rejecting the operation.
func (in *Injector) Fail(c engine.Call) error {
	if reconciler(c) {
		return nil
	}
	return in.AfterEffect(c, "(the server's answer)")
}

// Garble is the model server's post-inference fault: the generation
// completes and its final record arrives malformed.
func (in *Injector) Garble(c engine.Call) bool {
	if reconciler(c) {
		return false
	}
	if ok, _ := in.Fires(faults.BadResponse, in.CallSite(c)); ok {
		in.Record(faults.CallFault(faults.BadResponse, c, "the final record garbled by the server"))
		return true
	}
	return false
}

// reconciler reports whether a call the tool servers received is the
// reconciliation worker's (attempt 0; an engine's attempts count from 1).
// The servers' hooks let it through untouched: the schedule's sites are
// the engine's attempts, and the simulation's worker calls the world
// directly, with no fault. Without this, the worker's compensation of a
// step at run r drew the faults of the site (step, tool, r, attempt 0) —
// a garbled answer, a 500, a 503, a held request — and the run ended in
// an error whenever timing (a real timeout under load, say) left it a
// duplicate or orphan to compensate there.
func reconciler(c engine.Call) bool { return c.Attempt == 0 }

// Invoker wraps the engine's HTTP tool client with the engine-side faults.
// The result keeps next's ability to answer lookups.
func (in *Injector) Invoker(next engine.Invoker) engine.Invoker {
	return faults.WithLookups(&invoker{in: in, next: next}, next)
}

type invoker struct {
	in   *Injector
	next engine.Invoker
}

// Invoke decides the call's fault before it is made — over a real
// connection a fault has to be in place when the bytes flow — and removes it
// after.
func (v *invoker) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	undo, err := v.arm(c)
	if err != nil {
		return engine.Response{}, fmt.Errorf("apply a fault: %w", err)
	}
	resp, callErr := v.next.Invoke(ctx, c)
	if undo != nil {
		if err := undo(); err != nil {
			return engine.Response{}, fmt.Errorf("remove a fault: %w", err)
		}
	}
	return resp, callErr
}

// arm puts the call's fault in place, if one fires, and returns its removal.
func (v *invoker) arm(c engine.Call) (func() error, error) {
	in := v.in
	at := in.CallSite(c)
	proxy := in.o.Proxy(c.Exec, c.Tool)
	if ok, st := in.Fires(faults.Refused, at); ok && st.Next()%2 == 0 {
		in.Record(faults.CallFault(faults.Refused, c, "the proxy resets every connection at once (toxic reset_peer both ways): the request never reaches the tool"))
		return in.o.Links.Cut(proxy)
	} else if ok {
		// The request is held on its way (toxic timeout, upstream): the
		// tool never sees it, and the client, which sent it, cannot tell.
		in.Record(faults.CallFault(faults.Refused, c, "the request never arrives (toxic timeout upstream)"))
		return in.o.Links.Apply(proxy, HoldRequests)
	}
	if c.Deliver != nil {
		if ok, st := in.Fires(faults.StreamCut, at); ok {
			k := faults.ChunksBeforeCut(&st)
			in.Record(faults.CallFault(faults.StreamCut, c, fmt.Sprintf("after %d chunks (toxic limit_data)", k)))
			return in.o.Links.Apply(proxy, CutAfter(in.o.HeaderBytes+k*in.o.ChunkBytes+in.o.ChunkBytes/2))
		}
	}
	if in.ToolFault(c) {
		// The tool itself holds the request or fails the call once it has
		// acted (its server does: Held, Fail), as the simulation decides
		// before a reply is lost on the way.
		return nil, nil
	}
	switch {
	case in.firesAt(faults.LostResponse, at, c, "the reply is held until the client times out (toxic timeout)"):
		return in.o.Links.Apply(proxy, HoldReplies)
	case in.firesAt(faults.Reset, at, c, "the connection resets when the reply starts (toxic reset_peer)"):
		return in.o.Links.Apply(proxy, ResetOnReply)
	}
	return nil, nil
}

func (in *Injector) firesAt(k faults.Kind, at faults.Site, c engine.Call, detail string) bool {
	if ok, _ := in.Fires(k, at); ok {
		in.Record(faults.CallFault(k, c, detail))
		return true
	}
	return false
}

// Store wraps one execution's store with the Postgres link faults: the link
// cut during a begin or a commit (nothing written), or reset just after
// COMMIT was sent (see BeforeCommit). With a store in memory, the faults are
// those of the simulation.
func (in *Injector) Store(next store.Store) store.Store {
	if in.o.Postgres == nil {
		return in.Injector.Store(next)
	}
	return &linkStore{Store: next, in: in}
}

type linkStore struct {
	store.Store
	in *Injector
}

func (f *linkStore) Begin(ctx context.Context, a store.Attempt) error {
	if ok, _ := f.in.Fires(faults.BeginFail, f.in.BeginSite(a)); ok {
		f.in.Record(faults.RecordFault(faults.BeginFail, a.AttemptID, "the Postgres link is cut"))
		return f.cut(a.Exec, func() error { return f.Store.Begin(ctx, a) })
	}
	return f.Store.Begin(ctx, a)
}

func (f *linkStore) Commit(ctx context.Context, c store.Commit) error {
	at := f.in.CommitSite(c)
	if ok, st := f.in.Fires(faults.CommitFail, at); ok && st.Next()%2 == 0 {
		f.in.Record(faults.RecordFault(faults.CommitFail, c.AttemptID, "the Postgres link is cut"))
		return f.cut(c.Exec, func() error { return f.Store.Commit(ctx, c) })
	} else if ok {
		f.in.Record(faults.RecordFault(faults.CommitFail, c.AttemptID, "the Postgres link is slowed by 250ms (toxic latency)"))
		undo, err := f.in.o.Links.Apply(f.in.o.Postgres(c.Exec), Slow(250*time.Millisecond))
		if err != nil {
			return err
		}
		cerr := f.Store.Commit(ctx, c)
		if err := undo(); err != nil {
			return err
		}
		return cerr
	}
	if ok, _ := f.in.Fires(faults.CommitAmbiguous, at); ok {
		return f.ambiguous(ctx, c)
	}
	return f.Store.Commit(ctx, c)
}

// ambiguous commits with the link armed to reset as COMMIT's reply starts
// (see BeforeCommit).
func (f *linkStore) ambiguous(ctx context.Context, c store.Commit) error {
	a := &ambiguity{}
	f.in.mu.Lock()
	f.in.armed[c.Exec] = a
	f.in.mu.Unlock()
	err := f.Store.Commit(ctx, c)
	f.in.mu.Lock()
	delete(f.in.armed, c.Exec)
	f.in.mu.Unlock()
	if a.undo != nil {
		if uerr := a.undo(); uerr != nil {
			return uerr
		}
	}
	return err
}

func (f *linkStore) cut(exec string, call func() error) error {
	undo, err := f.in.o.Links.Cut(f.in.o.Postgres(exec))
	if err != nil {
		return err
	}
	callErr := call()
	if err := undo(); err != nil {
		return err
	}
	return callErr
}

// BeforeCommit is the Postgres store's hook (pgstore.Opts.BeforeCommit):
// when the schedule makes this commit ambiguous, it resets the link as the
// reply to COMMIT starts, so the commit lands and the engine is told it
// failed.
func (in *Injector) BeforeCommit(_ context.Context, c store.Commit) {
	in.mu.Lock()
	a := in.armed[c.Exec]
	in.mu.Unlock()
	if a == nil {
		return
	}
	undo, err := in.o.Links.Apply(in.o.Postgres(c.Exec), ResetOnReply)
	if err != nil {
		return // the commit then simply succeeds; nothing is recorded as applied
	}
	a.undo = undo
	in.Record(faults.RecordFault(faults.CommitAmbiguous, c.AttemptID, "the Postgres link resets as COMMIT's reply starts (toxic reset_peer)"))
}
