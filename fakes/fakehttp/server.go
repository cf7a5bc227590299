package fakehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// Downstream is the name of the downstream consumer's server, beside the
// tools' names.
const Downstream = "downstream"

// Gate is a server-side fault that happens inside the tool before it acts:
// a status ≥ 400 (429 and 503 are the usual ones) answered instead of
// calling the world. It returns 0 to let the call through.
type Gate interface {
	Gate(c engine.Call) (status int, retryAfter time.Duration)
}

// GateFunc adapts a function to [Gate].
type GateFunc func(c engine.Call) (status int, retryAfter time.Duration)

// Gate implements [Gate].
func (f GateFunc) Gate(c engine.Call) (int, time.Duration) { return f(c) }

// Garbler is a server-side fault that happens inside the tool after it
// acted: the answer is made undecodable. For a streaming tool it is the
// stream's done record, after the whole generation went out
// (post-inference); for any other tool, the JSON body.
type Garbler interface {
	Garble(c engine.Call) bool
}

// GarbleFunc adapts a function to [Garbler].
type GarbleFunc func(c engine.Call) bool

// Garble implements [Garbler].
func (f GarbleFunc) Garble(c engine.Call) bool { return f(c) }

// Holder is the server-side fault of a zombie: a request the tool received
// in full and holds — the server neither acts on it nor answers it — whose
// effect lands later, when a request of the same operation arrives or when
// the run ends. The Holder keeps what it holds, and lands it on the world.
type Holder interface {
	// Arrived is told first of every call the server received in full: a
	// request of the same operation held before lands now, on world.
	Arrived(ctx context.Context, world engine.Invoker, c engine.Call)
	// Held reports whether the server holds the call, which passed the
	// gate. A held call gets no answer: its connection stays open until the
	// client goes away (or the server closes), then closes unanswered.
	Held(c engine.Call) bool
}

// Failer is a server-side fault that happens inside the tool after it
// acted: an error answered instead of the reply. An [outcome.StatusError]
// is answered with its status (a 500 or 502 after the effect); an
// [outcome.RejectedError] with 422 and the code "rejected" (the tool
// rejected the operation after acting on it), which the [Client] types back
// into a RejectedError. A streaming tool ends its stream with an error
// record instead of the done record.
type Failer interface {
	Fail(c engine.Call) error
}

// ServerOpts configures [Serve]. The zero value (or nil) means: no
// server-side faults, chunks streamed as fast as they are made, a one
// second bound on Close, server errors discarded.
type ServerOpts struct {
	// Gate, when set, is consulted on every /invoke before the world acts.
	Gate Gate
	// Hold, when set, is told of every /invoke first, and asked whether to
	// hold it once it passed the gate.
	Hold Holder
	// Fail, when set, is consulted on every /invoke the world answered,
	// before Garble.
	Fail Failer
	// Garble, when set, is consulted on every /invoke the world answered.
	Garble Garbler
	// Serves, when set, says which executions the world takes calls and
	// chunks of: another one's (an earlier world's, which a proxy held past
	// its run and let go once the next world was served) is dropped
	// unanswered, as a settled world drops every request, and the world
	// never sees it. Lookups, which change nothing, are answered for any.
	Serves func(exec string) bool
	// ChunkInterval is a pause between two streamed chunks, as a model
	// generating; it makes mid-stream timeouts reproducible.
	ChunkInterval time.Duration
	// ShutdownTimeout bounds the graceful part of Close (default 1s).
	ShutdownTimeout time.Duration
	// ErrorLog receives the servers' own errors (default: discarded).
	ErrorLog *log.Logger
}

// Servers is the fake world served over HTTP on loopback: one server per
// tool and one for the downstream consumer, each on its own port. The
// servers outlive the world they serve: [Servers.Next] serves another world
// on the same ports, so that a harness running scenario after scenario opens
// no listener per scenario.
type Servers struct {
	names    []string
	addrs    map[string]string
	servers  []named
	serving  sync.WaitGroup // the Serve loops
	inflight sync.WaitGroup // the handlers
	running  atomic.Int64   // the handlers running now
	shutdown time.Duration
	layout   StreamLayout
	cur      atomic.Pointer[serving]

	closing sync.Once
	closed  error
}

// serving is one world served: a handler per name, and the handlers in
// flight for it, which [Servers.Settle] waits for.
type serving struct {
	handlers map[string]http.Handler
	ctx      context.Context // done once settled: held requests and streams end
	cancel   context.CancelFunc

	mu       sync.Mutex
	ended    bool
	inflight sync.WaitGroup
}

// enter counts a handler in, unless the serving has ended.
func (sv *serving) enter() bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.ended {
		return false
	}
	sv.inflight.Add(1)
	return true
}

// Names lists the tools' names, the compensators' and [Downstream]: every
// name that has a server.
func Names() []string {
	names := slices.Clone(fakes.StepTools)
	return append(names, fakes.DeleteRecord, fakes.RefundCharge, Downstream)
}

// Serve serves w over HTTP: one server per name of [Names], each on its own
// 127.0.0.1 port, so that a proxy can stand in front of each. It measures
// the stream layout before it returns (see [Servers.Layout]).
func Serve(w *fakes.World, opts *ServerOpts) (*Servers, error) {
	if w == nil {
		return nil, errors.New("fakehttp: Serve needs a world")
	}
	o := ServerOpts{}
	if opts != nil {
		o = *opts
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = time.Second
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.New(io.Discard, "", 0)
	}
	s := &Servers{names: Names(), addrs: map[string]string{}, shutdown: o.ShutdownTimeout}
	s.cur.Store(settled)
	for _, name := range s.names {
		if err := s.listen(name, &o); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	s.Next(w, &o)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	layout, err := Calibrate(ctx, s.addrs[fakes.LLMComplete])
	if err != nil {
		return nil, errors.Join(fmt.Errorf("fakehttp: calibrate the stream layout: %w", err), s.Close())
	}
	s.layout = layout
	return s, nil
}

// settled is the serving of servers that serve no world: every request is
// dropped unanswered.
var settled = &serving{ended: true}

// Next settles what the servers served (see [Servers.Settle]) and serves w
// from now on, on the same ports, with the hooks and ChunkInterval of opts
// (nil: none); ShutdownTimeout and ErrorLog stay those given to [Serve]. A
// request that arrives while no world is served is dropped unanswered.
func (s *Servers) Next(w *fakes.World, opts *ServerOpts) {
	_ = s.Settle()
	o := ServerOpts{}
	if opts != nil {
		o = *opts
	}
	sv := &serving{handlers: make(map[string]http.Handler, len(s.names))}
	sv.ctx, sv.cancel = context.WithCancel(context.Background())
	for _, name := range s.names {
		if name == Downstream {
			sv.handlers[name] = downstreamMux(w, &o)
		} else {
			sv.handlers[name] = toolMux(&tool{name: name, world: w, opts: &o})
		}
	}
	s.cur.Store(sv)
}

// drop ends a request of an execution the world does not serve (see
// ServerOpts.Serves) without an answer.
func (o *ServerOpts) drop(exec string) {
	if o.Serves != nil && !o.Serves(exec) {
		panic(http.ErrAbortHandler)
	}
}

// Settle ends the serving of the current world, so that its ledger can be
// read: it lets the calls in flight finish for up to
// ServerOpts.ShutdownTimeout, then ends the rest — a held request, a stream
// — and waits (as long again, at most) for their handlers to return; it
// says so when it had to end calls. Requests that arrive after it are
// dropped unanswered until [Servers.Next].
func (s *Servers) Settle() error {
	sv := s.cur.Swap(settled)
	if sv == settled {
		return nil
	}
	sv.mu.Lock()
	sv.ended = true
	sv.mu.Unlock()
	defer sv.cancel()
	if waitFor(&sv.inflight, s.shutdown) == nil {
		return nil
	}
	sv.cancel()
	return errors.Join(fmt.Errorf("fakehttp: calls still in flight %s after the world's serving was to end were cut", s.shutdown),
		waitFor(&sv.inflight, s.shutdown))
}

func (s *Servers) listen(name string, o *ServerOpts) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("fakehttp: listen for %s: %w", name, err)
	}
	srv := &http.Server{
		Handler:           s.dispatch(name),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          o.ErrorLog,
	}
	// One call per connection: a fault applied around one call hits that
	// call only, and every response says "Connection: close".
	srv.SetKeepAlivesEnabled(false)
	s.addrs[name] = ln.Addr().String()
	s.servers = append(s.servers, named{name, srv})
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		_ = srv.Serve(ln) // ErrServerClosed once Close runs
	}()
	return nil
}

type named struct {
	name string
	srv  *http.Server
}

// dispatch hands a request to the world served now, counting the handlers
// in flight, so that Settle and Close return only once the world is quiet
// and its ledger can be read. The request's context ends when the world's
// serving is settled.
func (s *Servers) dispatch(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sv := s.cur.Load()
		if !sv.enter() {
			panic(http.ErrAbortHandler) // no world: no reply at all
		}
		defer sv.inflight.Done()
		s.inflight.Add(1)
		s.running.Add(1)
		defer s.inflight.Done()
		defer s.running.Add(-1)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(sv.ctx, cancel)
		defer stop()
		sv.handlers[name].ServeHTTP(w, r.WithContext(ctx))
	})
}

// Addr returns the host:port of the server for a name, or "" for a name
// that has none.
func (s *Servers) Addr(name string) string { return s.addrs[name] }

// Names lists the names that have a server, in the order of [Names].
func (s *Servers) Names() []string { return slices.Clone(s.names) }

// Layout returns the byte layout of a streamed response, measured against
// the running llm_complete server when Serve started.
func (s *Servers) Layout() StreamLayout { return s.layout }

// Close shuts every server down: it stops accepting, lets the calls in
// flight finish for up to ServerOpts.ShutdownTimeout, then closes the
// connections that remain and waits (as long again, at most) for their
// handlers to return. Calling it again returns the first call's error.
func (s *Servers) Close() error {
	s.closing.Do(func() { s.closed = s.close() })
	return s.closed
}

func (s *Servers) close() error {
	var errs []error
	if err := s.Settle(); err != nil {
		errs = append(errs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdown)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range s.servers {
		wg.Go(func() {
			err := n.srv.Shutdown(ctx)
			if errors.Is(err, context.DeadlineExceeded) && s.running.Load() == 0 {
				// Connections that never carried a request (a proxy's dial
				// for a client that gave up) keep Shutdown waiting for 5s;
				// closing them interrupts nothing.
				err = n.srv.Close()
			}
			if err != nil {
				if cerr := n.srv.Close(); cerr != nil {
					err = errors.Join(err, cerr)
				}
				mu.Lock()
				errs = append(errs, fmt.Errorf("fakehttp: shut down the %s server: %w", n.name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.serving.Wait()
	if err := waitFor(&s.inflight, s.shutdown); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func waitFor(wg *sync.WaitGroup, d time.Duration) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("fakehttp: handlers still running %s after the connections were closed", d)
	}
}
