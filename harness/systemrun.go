package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness/bubble"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// SystemOpts configure CheckSystem and RunSystem. The zero value (or nil)
// means swarm schedules, every invariant the wire decides, a virtual limit
// of one hour per case and a restart one second after a crash, in a
// synctest bubble.
type SystemOpts struct {
	// AllFaults enables every fault kind in every case.
	AllFaults bool
	// Off lists fault kinds never drawn: what the team knows its world
	// does not do, said out loud (registry drift, for tools whose
	// annotations it trusts).
	Off []faults.Kind
	// Invariants restricts the check to these invariants (all when empty).
	Invariants []invariants.ID
	// Limit is the time one case may take: virtual in a bubble, on the
	// wall clock in net mode (default 1h in a bubble, 2m in net mode). A
	// case still running then is a hang (terminal-state).
	Limit time.Duration
	// RestartDelay is how long after the body returns a crashed execution
	// is resumed (default 1s).
	RestartDelay time.Duration
	// Net, when set, serves the world over real sockets instead of an
	// in-memory network, for code that cannot run in a bubble: real time,
	// and no shrinking (see [Network]).
	Net Network
	// NetSpeedup divides the faults' own durations in net mode — a
	// Retry-After, a held reply, an outage — so that a case on real time
	// lasts what it would in a bubble at that speed (default 20).
	NetSpeedup float64
}

func (o *SystemOpts) withDefaults() SystemOpts {
	var v SystemOpts
	if o != nil {
		v = *o
	}
	if v.Limit <= 0 {
		v.Limit = time.Hour
		if v.Net != nil {
			v.Limit = 2 * time.Minute
		}
	}
	if v.RestartDelay <= 0 {
		v.RestartDelay = time.Second
	}
	if v.NetSpeedup < 1 {
		v.NetSpeedup = 20
	}
	return v
}

// Network serves the world's fakes outside a bubble (net mode): Serve puts
// one case's server somewhere real and returns its endpoints, the client
// that reaches them, and what releases them once the case is over (the
// harness shuts the server down itself). harness/wirenet has one, on
// loopback with Toxiproxy in front.
type Network interface {
	Serve(srv *wire.Server) (ep *wire.Endpoints, client *http.Client, release func(), err error)
}

// Outager is what a [Network] can do in addition: take a tool's host down
// for a while, for real. The harness calls Down when an outage fault
// begins.
type Outager interface {
	Down(tool string, d time.Duration)
}

// SystemRun is one checked case of the team's code: what was drawn, what
// the fakes saw, what the code reported, and the verdicts.
type SystemRun struct {
	Scenario scenarios.Scenario
	History  invariants.History
	Ledger   *fakes.Ledger
	Results  []invariants.Result
	// Hang is set when the case did not end by its limit, or left
	// goroutines behind.
	Hang *bubble.Hang
	// Leak is set when every execution ended but goroutines of the code
	// outlived the body (Hang holds them).
	Leak bool
	// Notes are what the timeline shows beside the events: reports nobody
	// heard.
	Notes []string
	// Panic is the panic of the body or of a restart, with its stack.
	Panic string
	// Virtual is the time the case took: virtual in a bubble.
	Virtual time.Duration

	start time.Time
}

// Result returns the verdict of one invariant.
func (r *SystemRun) Result(id invariants.ID) invariants.Result {
	for _, res := range r.Results {
		if res.Invariant == id {
			return res
		}
	}
	return invariants.Result{Invariant: id, Status: invariants.Unknown, Reason: "not checked"}
}

// Violated lists the invariants the case violated.
func (r *SystemRun) Violated() []invariants.ID {
	var ids []invariants.ID
	for _, res := range r.Results {
		if res.Status == invariants.Violated {
			ids = append(ids, res.Invariant)
		}
	}
	return ids
}

// LedgerDigest is a hash of the ledger without its timestamps: the
// libraries' own jitter (openai-go's, backoff's: unseeded) moves when
// effects land, not which land in what order, for a body that runs its
// executions one after the other.
func (r *SystemRun) LedgerDigest() string {
	h := sha256.New()
	for _, e := range r.Ledger.Effects() {
		e.At = time.Time{}
		fmt.Fprintf(h, "%+v\n", e)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RunSystem runs one case: the scenario's executions given to body through
// a [System], in a synctest bubble on an in-memory network (or on
// opts.Net), with the scenario's faults at the tool boundary, then checks
// the history the fakes recorded. t must not be in a bubble.
func RunSystem(t *testing.T, w *worlds.World, sc scenarios.Scenario, body func(*System), opts *SystemOpts) (*SystemRun, error) {
	space, err := Compile(w)
	if err != nil {
		return nil, err
	}
	return runSystem(t, space, sc, body, opts.withDefaults())
}

func runSystem(t *testing.T, space *scenarios.Space, sc scenarios.Scenario, body func(*System), o SystemOpts) (*SystemRun, error) {
	for _, k := range o.Off {
		sc.Faults.Rates[k] = 0
	}
	if o.Net != nil {
		return runNet(space, sc, body, o)
	}
	run := &SystemRun{Scenario: sc}
	var c *sysCase
	hang := bubble.Run(t, &bubble.Opts{Limit: o.Limit, AtLimit: func() { c.take(run, invariants.CutAtLimit) }},
		func(ctx context.Context, _ *testing.T) {
			n := memnet.New()
			c = newCase(ctx, space, sc, o, func(f wire.Faults) wire.Faults { return f })
			c.runOn(n, body, run)
		})
	run.Hang = hang
	if hang != nil && run.History.Cut == invariants.NotCut && run.Ledger != nil {
		run.Leak = true // every execution ended; the code's goroutines did not
	}
	if run.Ledger == nil {
		// A deadlock found before the limit: nothing was taken in the bubble.
		return nil, fmt.Errorf("the case ended without a record: %v", hang)
	}
	run.check()
	return run, nil
}

func (r *SystemRun) check() {
	r.History.Record = invariants.WireRecord
	r.Results = invariants.CheckAll(&r.History, r.Ledger)
}

// sysCase is one case being run: the world, its server, the recorder and
// the system handle.
type sysCase struct {
	space *scenarios.Space
	sc    scenarios.Scenario
	o     SystemOpts
	ctx   context.Context
	world *fakes.World
	rec   *wireRecorder
	srv   *wire.Server
	sys   *System
	drift []fakes.Drift

	mu    sync.Mutex // the bubble's root takes the record at the limit, the body's goroutine at the end
	taken bool
}

// newCase builds a case's world, server and handle; wrap adapts the
// schedule's faults to where the case runs.
func newCase(ctx context.Context, space *scenarios.Space, sc scenarios.Scenario, o SystemOpts, wrap func(wire.Faults) wire.Faults) *sysCase {
	cat := space.World()
	c := &sysCase{space: space, sc: sc, o: o, ctx: ctx, rec: newWireRecorder(cat)}
	inj := faults.NewInjector(sc.Faults, sc.Units(), c.rec.fault)
	c.drift = inj.Drift(cat)
	c.world = fakes.NewWorld(&fakes.Opts{Catalog: cat, Quirks: inj, Drift: c.drift, Expect: 3 * sc.Steps()})
	execs := make([]Execution, len(sc.Executions))
	for i, x := range sc.Executions {
		execs[i] = executionOf(x)
	}
	model := func(tool string) bool { s, _ := cat.Spec("", tool); return s.Behaviour == worlds.Model }
	wf := wrap(inj.Wire(&faults.WireOpts{Model: model, Crash: func(s wire.Site, after bool) func() { return c.sys.crash(s, after) }}))
	c.srv = wire.New(c.world, &wire.Opts{Faults: wf, Entries: entries(cat), Observe: c.rec.observe, ChunksDownstream: true,
		ModelTool: func(op fakes.Op) string { return modelTool(cat, execs, op) }})
	c.sys = newSystem(ctx, execs, nil, nil, c.rec)
	return c
}

// runOn serves the world on the in-memory network, runs the body and the
// restarts, shuts down and takes the record.
func (c *sysCase) runOn(n *memnet.Network, body func(*System), run *SystemRun) {
	ep, err := c.srv.Serve(n)
	if err != nil {
		panic(fmt.Sprintf("serve the world: %v", err)) // the in-memory hosts are the server's own
	}
	tr := n.Transport()
	c.sys.client, c.sys.ep = &http.Client{Transport: tr}, ep
	run.start = time.Now()
	c.rec.begin(c.sys.execs)
	run.Panic = guard(func() { body(c.sys) })
	if run.Panic == "" {
		run.Panic = guard(func() { c.sys.resume(c.o.RestartDelay) })
	}
	if c.ctx.Err() != nil {
		return // cut at the limit: the record was taken then
	}
	// The case ends here, in virtual time: zombies still held back land
	// now, and the shutdown's own polling, whose ticks depend on when the
	// connections close, is kept out of the record.
	end := time.Now()
	c.srv.Close()
	tr.CloseIdleConnections()
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	c.srv.Shutdown(sctx)
	cancel()
	synctest.Wait()
	c.takeAt(run, invariants.NotCut, end)
}

// take copies the record into run, once, as it is now.
func (c *sysCase) take(run *SystemRun, cut invariants.Cut) { c.takeAt(run, cut, time.Now()) }

// takeAt copies the record into run, once, as it was at end.
func (c *sysCase) takeAt(run *SystemRun, cut invariants.Cut, end time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.taken {
		return
	}
	c.taken = true
	events, notes := c.rec.snapshot(end)
	run.History = invariants.History{Events: events, Cut: cut}
	run.Notes = notes
	// A copy: in a hang, goroutines woken by the cancellation may still add to the world's.
	run.Ledger = fakes.NewLedgerIn(c.space.World(), slices.Clone(c.world.Ledger().Effects()), c.drift...)
	run.Virtual = end.Sub(run.start)
}

// entries returns the registrations of the world's tools and
// compensators, for the server's MCP annotations.
func entries(cat *fakes.Catalog) []registry.Entry {
	w := cat.World()
	var out []registry.Entry
	for _, name := range append(w.ToolNames(), w.Compensators()...) {
		if e, err := cat.Registry().Base(name); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// modelTool names the model tool a chat completion of op calls: the
// step's own tool when it is a model, else the world's first model.
func modelTool(cat *fakes.Catalog, execs []Execution, op fakes.Op) string {
	isModel := func(tool string) bool { s, _ := cat.Spec(op.Tenant, tool); return s.Behaviour == worlds.Model }
	for _, x := range execs {
		if x.ID == op.Exec && x.Tenant == op.Tenant && op.Step < len(x.Steps) && isModel(x.Steps[op.Step].Tool) {
			return x.Steps[op.Step].Tool
		}
	}
	if i := slices.IndexFunc(cat.Tools(), isModel); i >= 0 {
		return cat.Tools()[i]
	}
	return fakes.LLMComplete
}

// guard runs f and returns its panic with the stack, if it panicked.
func guard(f func()) (panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprintf("%v\n\n%s", r, debug.Stack())
		}
	}()
	f()
	return ""
}

func opOf(tenant, exec string, step int) fakes.Op {
	return fakes.Op{Tenant: tenant, Exec: exec, Step: step, Sub: -1}
}

// Explain describes a violation of a case for a human: the invariant in
// words, the violations, the case, its timeline (requests, faults, answers,
// reports), the ledger, and the hung goroutines if any.
func (r *SystemRun) Explain(id invariants.ID) string {
	var b strings.Builder
	res := r.Result(id)
	c, _ := invariants.Lookup(id)
	fmt.Fprintf(&b, "the code violates %s: %s\n", id, c.Doc)
	writeViolations(&b, res.Violations)
	b.WriteString(DescribeScenario(r.Scenario))
	b.WriteString("\ntimeline (time since the case began):\n")
	for i, e := range r.History.Events {
		fmt.Fprintf(&b, "  %3d %8s %s\n", i, e.At.Sub(r.start), wireEvent(e))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "      %s\n", n)
	}
	b.WriteString("ledger:\n")
	for _, e := range r.Ledger.Effects() {
		fmt.Fprintf(&b, "  #%-3d %8s %s\n", e.Seq, e.At.Sub(r.start), describeEffect(e))
	}
	if r.Hang != nil {
		fmt.Fprintf(&b, "hang: %s\n", r.Hang)
	}
	return b.String()
}

// wireEvent renders an event of a wire record: what the fakes saw.
func wireEvent(e engine.Event) string {
	where := fmt.Sprintf("%s/%s step %d attempt %d", e.Tenant, e.Exec, e.Step, e.Attempt)
	key := ""
	switch {
	case e.Key != "":
		key = fmt.Sprintf(" key=%q", e.Key)
	case e.Token != "":
		key = fmt.Sprintf(" token=%q", e.Token)
	}
	switch e.Kind {
	case engine.EvInvoke:
		return fmt.Sprintf("request  %s -> %s%s", where, e.Tool, key)
	case engine.EvCompensate:
		return fmt.Sprintf("request  %s -> %s (a compensator)%s", where, e.Tool, key)
	case engine.EvCommit:
		return fmt.Sprintf("answered %s %s: %s, the result reached the code", where, e.Tool, e.Detail)
	case engine.EvFailure:
		s := fmt.Sprintf("answered %s %s: %s", where, e.Tool, e.Outcome.Cause)
		if e.Outcome.RetryAfter > 0 {
			s += fmt.Sprintf(", Retry-After %s", e.Outcome.RetryAfter)
		}
		return s
	case engine.EvLookup:
		return fmt.Sprintf("lookup   %s %s%s: %s", e.Tenant, e.Tool, key, e.Detail)
	case engine.EvFault:
		kind, detail, _ := strings.Cut(e.Detail, " ")
		if _, err := faults.ParseKind(kind); err == nil {
			e.Detail = kind + ": " + detail
		}
		if e.Exec == "" {
			return "fault    " + e.Detail
		}
		return fmt.Sprintf("fault    %s %s %s", where, e.Tool, e.Detail)
	case engine.EvCrash:
		return fmt.Sprintf("crash    %s/%s at step %d attempt %d (%s): %s", e.Tenant, e.Exec, e.Step, e.Attempt, e.Tool, e.Detail)
	case engine.EvRecover:
		return fmt.Sprintf("restart  %s/%s: %s", e.Tenant, e.Exec, e.Detail)
	case engine.EvDeadLetter:
		return fmt.Sprintf("dead-letter %s/%s step %d (%s)", e.Tenant, e.Exec, e.Step, e.Tool)
	case engine.EvQueued:
		return fmt.Sprintf("queued   %s/%s for review: %s", e.Tenant, e.Exec, e.Detail)
	case engine.EvReviewed:
		return "reviewed " + e.Detail
	case engine.EvFinish:
		if e.Detail == "" {
			return fmt.Sprintf("reported %s/%s %s", e.Tenant, e.Exec, e.Status)
		}
		return fmt.Sprintf("reported %s/%s %s: %s", e.Tenant, e.Exec, e.Status, e.Detail)
	case engine.EvStart:
		return fmt.Sprintf("start    %s/%s %s %v", e.Tenant, e.Exec, e.Detail, e.Tools)
	}
	return e.String()
}

func describeEffect(e fakes.Effect) string {
	s := fmt.Sprintf("%s %s attempt %d %s", e.Kind, e.Op, e.Attempt, e.Tool)
	if e.Key != "" {
		s += fmt.Sprintf(" key=%q", e.Key)
	}
	if e.Ref != "" {
		s += " ref=" + e.Ref
	}
	if e.World {
		s += " (the world's own)"
	}
	if e.Tokens > 0 {
		s += fmt.Sprintf(" %d tokens", e.Tokens)
	}
	if e.CostCents > 0 {
		s += fmt.Sprintf(" %d¢", e.CostCents)
	}
	return s
}
