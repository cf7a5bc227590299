package faults

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Toxics is what Net needs of Toxiproxy: add a toxic to a proxy, or cut it.
type Toxics interface {
	Apply(proxy string, t toxics.Toxic) (undo func() error, err error)
	Cut(proxy string) (undo func() error, err error)
}

// NetOpts configure a Net. Proxy is required.
type NetOpts struct {
	// Toxics controls the proxies.
	Toxics Toxics
	// Proxy names the proxy in front of a tool for one execution (each
	// execution has its own, so that a toxic hits its call only).
	Proxy func(exec, tool string) string
	// Postgres names the proxy in front of Postgres for one execution, ""
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

// Net applies a schedule over real connections: the same kinds at the same
// sites as the in-process Injector, carried out by Toxiproxy toxics on the
// engine's side — before a step, refused connections or a request held on
// its way; during it, replies held or reset after the tool acted and cut
// streams; after it, the Postgres link cut or slowed during a commit, or
// reset just after COMMIT was sent — and by the tool servers' gates (503 and
// 429 before the tool acts, a garbled end of a model's stream).
//
// What the engine observes over a real connection can differ from the
// simulation for the same schedule: a held reply hides whatever the server
// answered, a rate limit included. The schedule is the same; the physics are
// real.
type Net struct {
	*Injector
	o NetOpts

	mu sync.Mutex
	// armed holds the executions whose commit in progress is to be cut just
	// after COMMIT, with the removal of the toxic once it is in place.
	armed map[string]*ambiguity
}

type ambiguity struct{ undo func() error }

// NewNet returns a net-mode injector for s.
func NewNet(s Schedule, unit func(exec string, step int) uint64, record func(Applied), o NetOpts) *Net {
	n := &Net{Injector: NewInjector(s, unit, record), o: o, armed: map[string]*ambiguity{}}
	for _, k := range o.Fired {
		n.crashed[stream(k)] = true
	}
	return n
}

// At implements [engine.Faults]: a crash asks to be killed when the engine
// runs as a child process; partial context writes as in-process.
func (n *Net) At(ctx context.Context, s engine.Site) error {
	key, err := n.Injector.at(s)
	if err == engine.ErrCrash && n.o.Crash != nil {
		n.o.Crash(uint64(key), s)
	}
	return err
}

// Gate is the tool servers' pre-execution faults: 503 or 429 before the
// tool acts (status 0: let the call through).
func (n *Net) Gate(c engine.Call) (status int, retryAfter time.Duration) {
	at := n.callSite(c, 1)
	if ok, _ := n.s.fires(Unavailable, at); ok {
		n.fired(appliedAt(Unavailable, c, "503 from the server"))
		return 503, 0
	}
	if ok, st := n.s.fires(RateLimit, at); ok {
		d := time.Duration(200+st.next()%1800) * time.Millisecond
		n.fired(appliedAt(RateLimit, c, "429 from the server, retry after "+d.String()))
		return 429, d
	}
	return 0, 0
}

// Garble is the model server's post-inference fault: the generation
// completes and its final record arrives malformed.
func (n *Net) Garble(c engine.Call) bool {
	if ok, _ := n.s.fires(BadResponse, n.callSite(c, 1)); ok {
		n.fired(appliedAt(BadResponse, c, "the final record garbled by the server"))
		return true
	}
	return false
}

// Invoker wraps the engine's HTTP tool client with the engine-side faults.
// The result keeps next's ability to answer lookups.
func (n *Net) Invoker(next engine.Invoker) engine.Invoker {
	return keepLookups(&netInvoker{n: n, next: next}, next)
}

type netInvoker struct {
	n    *Net
	next engine.Invoker
}

// Invoke decides the call's fault before it is made — over a real
// connection a fault has to be in place when the bytes flow — and removes it
// after.
func (v *netInvoker) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	n := v.n
	at := n.callSite(c, 1)
	proxy := n.o.Proxy(c.Exec, c.Tool)
	var undo func() error
	var err error
	switch ok, st := n.s.fires(Refused, at); {
	case ok && st.next()%2 == 0:
		n.fired(appliedAt(Refused, c, "the proxy refuses connections"))
		undo, err = n.o.Toxics.Cut(proxy)
	case ok:
		// The request is held on its way (toxic timeout, upstream): the
		// tool never sees it, and the client, which sent it, cannot tell.
		n.fired(appliedAt(Refused, c, "the request never arrives (toxic timeout upstream)"))
		undo, err = n.o.Toxics.Apply(proxy, toxics.HoldRequests)
	case c.Deliver != nil && n.s.Rates[StreamCut] > 0:
		if ok, st := n.s.fires(StreamCut, at); ok {
			k := int(st.next() % 3)
			n.fired(appliedAt(StreamCut, c, fmt.Sprintf("after %d chunks (toxic limit_data)", k)))
			undo, err = n.o.Toxics.Apply(proxy, toxics.CutAfter(n.o.HeaderBytes+k*n.o.ChunkBytes+n.o.ChunkBytes/2))
			break
		}
		undo, err = v.mid(at, c, proxy)
	default:
		undo, err = v.mid(at, c, proxy)
	}
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

// mid applies a reply fault: the tool acts, the reply is held or reset.
func (v *netInvoker) mid(at site, c engine.Call, proxy string) (func() error, error) {
	n := v.n
	switch {
	case n.firesNow(LostResponse, at, c, "the reply is held until the client times out (toxic timeout)"):
		return n.o.Toxics.Apply(proxy, toxics.HoldReplies)
	case n.firesNow(Reset, at, c, "the connection resets when the reply starts (toxic reset_peer)"):
		return n.o.Toxics.Apply(proxy, toxics.ResetOnReply)
	}
	return nil, nil
}

func (n *Net) firesNow(k Kind, at site, c engine.Call, detail string) bool {
	if ok, _ := n.s.fires(k, at); ok {
		n.fired(appliedAt(k, c, detail))
		return true
	}
	return false
}

// Store wraps one execution's store with the Postgres link faults: the link
// cut during a begin or a commit (nothing written), or reset just after
// COMMIT was sent (see BeforeCommit). With a store in memory, the faults are
// those of the in-process Injector.
func (n *Net) Store(next store.Store) store.Store {
	if n.o.Postgres == nil {
		return n.Injector.Store(next)
	}
	return &netStore{Store: next, n: n}
}

type netStore struct {
	store.Store
	n *Net
}

func (f *netStore) Begin(ctx context.Context, a store.Attempt) error {
	at := site{unit: f.n.unit(a.Exec, a.Step), run: a.Run, attempt: a.Attempt, point: 2, index: int(a.Kind)}
	if ok, _ := f.n.s.fires(BeginFail, at); ok {
		f.n.fired(Applied{Kind: BeginFail, AttemptID: a.AttemptID, Detail: "the Postgres link is cut"})
		return f.cut(a.Exec, func() error { return f.Store.Begin(ctx, a) })
	}
	return f.Store.Begin(ctx, a)
}

func (f *netStore) Commit(ctx context.Context, c store.Commit) error {
	at := site{unit: f.n.unit(c.Exec, c.Step), run: c.Run, attempt: c.Attempt, point: 3}
	if ok, st := f.n.s.fires(CommitFail, at); ok && st.next()%2 == 0 {
		f.n.fired(Applied{Kind: CommitFail, AttemptID: c.AttemptID, Detail: "the Postgres link is cut"})
		return f.cut(c.Exec, func() error { return f.Store.Commit(ctx, c) })
	} else if ok {
		f.n.fired(Applied{Kind: CommitFail, AttemptID: c.AttemptID, Detail: "the Postgres link is slowed by 250ms (toxic latency)"})
		undo, err := f.n.o.Toxics.Apply(f.n.o.Postgres(c.Exec), toxics.Slow(250*time.Millisecond))
		if err != nil {
			return err
		}
		cerr := f.Store.Commit(ctx, c)
		if err := undo(); err != nil {
			return err
		}
		return cerr
	}
	if ok, _ := f.n.s.fires(CommitAmbiguous, at); ok {
		a := &ambiguity{}
		f.n.mu.Lock()
		f.n.armed[c.Exec] = a
		f.n.mu.Unlock()
		err := f.Store.Commit(ctx, c)
		f.n.mu.Lock()
		delete(f.n.armed, c.Exec)
		f.n.mu.Unlock()
		if a.undo != nil {
			if uerr := a.undo(); uerr != nil {
				return uerr
			}
		}
		return err
	}
	return f.Store.Commit(ctx, c)
}

func (f *netStore) cut(exec string, call func() error) error {
	undo, err := f.n.o.Toxics.Cut(f.n.o.Postgres(exec))
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
func (n *Net) BeforeCommit(_ context.Context, c store.Commit) {
	n.mu.Lock()
	a := n.armed[c.Exec]
	n.mu.Unlock()
	if a == nil {
		return
	}
	undo, err := n.o.Toxics.Apply(n.o.Postgres(c.Exec), toxics.ResetOnReply)
	if err != nil {
		return // the commit then simply succeeds; nothing is recorded as applied
	}
	a.undo = undo
	n.fired(Applied{
		Kind:      CommitAmbiguous,
		AttemptID: c.AttemptID,
		Detail:    "the Postgres link resets as COMMIT's reply starts (toxic reset_peer)",
	})
}
