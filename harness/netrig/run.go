package netrig

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/reconcile"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/scenarios"
)

// netRun is one scenario's infrastructure.
type netRun struct {
	rig     *Rig
	id      string
	sc      scenarios.Scenario
	clock   *ScaledClock
	rec     *harness.Recorder
	inj     *toxics.Injector
	world   *fakes.World
	servers *fakehttp.Servers // the rig's, serving this run's world
	proxies map[string]string // proxy name -> listen address
	slot    map[string]string // execution -> the prefix of its proxies' names
	pgAddr  map[string]string // execution -> proxied Postgres host:port
}

// Run runs one scenario under a policy over real connections and checks it.
//
// On Postgres, a run whose store did not come back in time — its limit
// passed while the server did not answer, or the rig's patience ran out in
// the reconciliation pass — ends in an error instead of a verdict, and the
// rig's next runs fail at once until the server answers again. The error
// keeps the outages the run saw (see [harness.Summary.Outages]).
func (r *Rig) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken != nil && r.probe().isDown() {
		return nil, &runError{err: r.broken, outages: r.probe().take()}
	}
	r.broken = nil
	if r.unclean != nil {
		// The run before could not leave its links bare: no run meets a
		// toxic it did not apply.
		return nil, r.unclean
	}
	run, err := r.run(ctx, sc, p)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			r.broken = fmt.Errorf("a run before found the store unavailable and it still is: %w", err)
		}
		return nil, &runError{err: err, outages: r.probe().take()}
	}
	run.Outages = r.probe().take()
	return run, nil
}

// probe is the rig's probe of its server; nil in memory.
func (r *Rig) probe() *probe {
	if r.db == nil {
		return nil
	}
	return r.db.probe
}

// runError is a run's error, with the outages the run saw.
type runError struct {
	err     error
	outages harness.Outages
}

func (e *runError) Error() string            { return e.err.Error() }
func (e *runError) Unwrap() error            { return e.err }
func (e *runError) Outages() harness.Outages { return e.outages }

func (r *Rig) run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	n, err := r.setUp(sc)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := n.tearDown(); err != nil {
			r.unclean = fmt.Errorf("net mode: the rig could not undo a run's faults, so it runs no more scenarios (start a new rig): %w", err)
		}
	}()
	run := &harness.Run{Scenario: n.sc, Policy: p.Name()}
	rctx, cancel := context.WithTimeout(ctx, r.o.Limit)
	defer cancel()
	var mem store.Store
	if r.db == nil {
		mem = memstore.New()
	}
	if r.o.Child != nil {
		err = n.runChild(rctx, p)
	} else {
		err = n.runHere(rctx, p, mem)
		if r.db != nil {
			r.db.engines.settle(ctx)
		}
	}
	switch {
	case ctx.Err() != nil:
		run.History.Cut = invariants.Aborted
	case rctx.Err() != nil && r.probe().isDown():
		return nil, fmt.Errorf("net mode: the scenario's limit of %s passed while Postgres did not answer: %w", r.o.Limit, store.ErrUnavailable)
	case rctx.Err() != nil:
		run.History.Cut = invariants.CutAtLimit
	case err != nil:
		return nil, err
	}
	if run.History.Cut != invariants.Aborted {
		// Requests the servers still hold (zombies) arrive, whatever became
		// of the executions that sent them.
		if err := n.inj.LandOn(ctx, n.world); err != nil {
			return nil, fmt.Errorf("net mode: land the held requests: %w", err)
		}
		if err := n.review(ctx, mem); err != nil {
			return nil, err
		}
	}
	if p.Architecture().Reconciliation() && run.History.Cut != invariants.Aborted {
		// A run cut at its limits still gets its audit: the worker looks only
		// at executions that ended, and the engine has stopped.
		if err := n.reconcile(ctx, mem); err != nil {
			return nil, err
		}
	}
	if err := n.servers.Settle(); err != nil {
		return nil, fmt.Errorf("net mode: settle the world's servers: %w", err)
	}
	run.History.Events = n.rec.Events()
	run.Ledger = n.world.Ledger()
	run.Results = run.Analysis().Check()
	run.Virtual = n.clock.Now().Sub(harness.Epoch)
	return run, nil
}

// setUp serves a fresh world on the rig's servers, behind the rig's
// proxies: the i-th execution's calls pass the i-th slot of proxies.
// Executions are renamed with a run prefix: they share the rig's database
// with the runs before.
func (r *Rig) setUp(sc scenarios.Scenario) (*netRun, error) {
	id := "n" + strconv.FormatInt(r.runs.Add(1), 10)
	sc = renamed(sc, id)
	n := &netRun{rig: r, id: id, sc: sc, clock: NewScaledClock(time.Now(), r.o.Speedup), servers: r.servers,
		proxies: map[string]string{}, slot: map[string]string{}, pgAddr: map[string]string{}}
	n.rec = harness.NewRecorder(n.clock.Now, r.o.Observe)
	opts := toxics.Opts{Links: r.ctl, Proxy: n.proxyName, HeaderBytes: r.layout.HeaderBytes, ChunkBytes: r.layout.ChunkBytes}
	if r.db != nil {
		opts.Postgres = n.pgProxyName
	}
	n.inj = toxics.NewInjector(sc.Faults, sc.Units(), n.rec.Fault, opts)
	n.inj.UseClock(n.clock) // the servers time outages on the run's clock
	n.world = fakes.NewWorld(&fakes.Opts{Clock: n.clock, Quirks: n.inj, Drift: n.inj.Drift(fakes.Default()), Expect: 3 * sc.Steps()})
	for i, x := range sc.Executions {
		proxies, err := r.slot(i)
		if err != nil {
			return nil, err
		}
		n.slot[x.ID] = "x" + strconv.Itoa(i+1)
		maps.Copy(n.proxies, proxies)
		if r.db != nil {
			n.pgAddr[x.ID] = n.proxies[n.pgProxyName(x.ID)]
		}
	}
	// A request a proxy held past an earlier run (its toxic went at the
	// reset) reaches the servers late: this run's world must not take it.
	ours := id + "."
	n.servers.Next(n.world, &fakehttp.ServerOpts{Gate: fakehttp.GateFunc(n.inj.Gate), Hold: n.inj, Fail: n.inj,
		Garble: fakehttp.GarbleFunc(n.inj.Garble), Serves: func(exec string) bool { return strings.HasPrefix(exec, ours) }})
	r.cur.Lock()
	r.pgProxies = r.pgProxies[:0]
	for _, x := range sc.Executions {
		if _, ok := n.pgAddr[x.ID]; ok {
			r.pgProxies = append(r.pgProxies, n.pgProxyName(x.ID))
		}
	}
	r.cur.Unlock()
	return n, nil
}

// clearToxics removes what a killed engine process left on its links: the
// process applied those toxics and would have removed them. A link this
// process has cut itself (Outage) stays cut.
func (n *netRun) clearToxics() error {
	var errs []error
	for name := range n.proxies {
		errs = append(errs, n.rig.ctl.Clear(name))
	}
	return errors.Join(errs...)
}

func (n *netRun) proxyName(exec, tool string) string { return n.slot[exec] + "." + tool }
func (n *netRun) pgProxyName(exec string) string     { return n.slot[exec] + ".postgres" }

// tearDown leaves the rig's servers serving no world and its proxies bare
// for the next run: a toxic that an engine could not remove (a process
// killed at the run's limit, say) goes with the run. Its error is a proxy
// it could not reset. The world's serving ends in any case: a run that
// returned early and left calls in flight has its error already, and the
// servers drop what comes late (ServerOpts.Serves).
func (n *netRun) tearDown() error {
	n.rig.cur.Lock()
	n.rig.pgProxies = nil
	n.rig.cur.Unlock()
	_ = n.servers.Settle()
	var errs []error
	for name := range n.proxies {
		errs = append(errs, n.rig.tox.Reset(name))
	}
	return errors.Join(errs...)
}

// addrs resolves a tool's name to the proxy in front of it for one execution.
func (n *netRun) addrs(exec string) func(string) string {
	return func(tool string) string { return n.proxies[n.proxyName(exec, tool)] }
}

// runHere runs one engine per execution in this process; a crash rebuilds
// the execution's engine from the store.
func (n *netRun) runHere(ctx context.Context, p policy.Policy, mem store.Store) error {
	type lane struct {
		x    scenarios.Execution
		make func() (*engine.Engine, error)
		done func()
	}
	var lanes []lane
	defer func() {
		for _, l := range lanes {
			l.done()
		}
	}()
	for _, x := range n.sc.Executions {
		st, done, err := n.store(ctx, x, mem)
		if err != nil {
			return err
		}
		client := fakehttp.NewClient(n.addrs(x.ID), &fakehttp.ClientOpts{Timeout: n.rig.o.Timeout})
		opts := &engine.Opts{Clock: n.clock, Faults: n.inj, Observer: n.rec, Downstream: client, Contracts: fakes.Contracts{},
			Seed: n.sc.Faults.Seed, StoreRetry: wallRetry(n.rig.o.Speedup)}
		tools := n.inj.Invoker(client)
		lanes = append(lanes, lane{x: x, done: done, make: func() (*engine.Engine, error) {
			return engine.New(st, fakes.Registry(), p, tools, opts)
		}})
	}
	var wg sync.WaitGroup
	defer wg.Wait() // an early return leaves no lane driving into the next run
	errs := make([]error, len(lanes))
	for i, l := range lanes {
		eng, err := l.make()
		if err != nil {
			return err
		}
		if err := startOnce(ctx, eng, l.x, n.rec); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.drive(ctx, eng, l.x, l.make)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// drive runs one execution to its end, rebuilding its engine after each crash.
func (n *netRun) drive(ctx context.Context, eng *engine.Engine, x scenarios.Execution, rebuild func() (*engine.Engine, error)) error {
	for {
		_, err := eng.Run(ctx, x.Tenant, x.ID)
		if !errors.Is(err, engine.ErrCrash) {
			if ctx.Err() != nil {
				return nil // the limit or the caller stopped the run
			}
			return err
		}
		n.rec.Observe(engine.Event{Kind: engine.EvCrash, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Detail: "the engine died"})
		if err := n.clock.Sleep(ctx, time.Second); err != nil {
			return nil
		}
		if eng, err = rebuild(); err != nil {
			return err
		}
		n.rec.Observe(engine.Event{Kind: engine.EvRecover, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Detail: "a new engine resumes from the store"})
	}
}

// store returns an execution's store: the shared memory store, or a
// pgstore on the pool through its own Postgres proxy (the rig's, kept for
// the runs after).
func (n *netRun) store(ctx context.Context, x scenarios.Execution, mem store.Store) (store.Store, func(), error) {
	if mem != nil {
		return n.inj.Store(mem), func() {}, nil
	}
	pool, err := n.rig.db.engines.get(ctx, n.pgAddr[x.ID])
	if err != nil {
		return nil, nil, err
	}
	ps, err := openStore(ctx, pool, &pgstore.Opts{BeforeCommit: n.inj.BeforeCommit}, x, n.rec)
	if err != nil {
		return nil, nil, err
	}
	return n.inj.Store(ps), func() {}, nil
}

// openStore opens an execution's Postgres store, waiting out a link the
// schedule has cut (an engine may start, or start again after a kill, while
// it is) and reporting each wait to obs.
func openStore(ctx context.Context, pool *pgxpool.Pool, opts *pgstore.Opts, x scenarios.Execution, obs engine.Observer) (*pgstore.Store, error) {
	for {
		ps, err := pgstore.New(ctx, pool, opts)
		switch {
		case err == nil:
			return ps, nil
		case !errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil:
			return nil, err
		}
		obs.Observe(engine.Event{Kind: engine.EvStoreError, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Detail: err.Error()})
		if err := engine.RealClock.Sleep(ctx, 50*time.Millisecond); err != nil { // the pool reconnects when the link is back
			return nil, err
		}
	}
}

// reconcile runs the reconciliation worker once every execution has ended,
// on the store directly and the tools directly (no faults). On Postgres a
// pass the server's outage interrupts is made again once it answers: the
// audits it had not finished are claimed again (their transactions rolled
// back), and what it had reported stays reported.
func (n *netRun) reconcile(ctx context.Context, mem store.Store) error {
	n.rec.Observe(engine.Event{Kind: engine.EvAudit, Seq: n.world.Ledger().Len(), Detail: "reconciliation pass"})
	client := fakehttp.NewClient(n.servers.Addr, &fakehttp.ClientOpts{Timeout: 5 * time.Second})
	pass := func(ctx context.Context, st store.Store) error {
		w, err := reconcile.New(st, fakes.Registry(), client, &reconcile.Opts{Clock: n.clock, Observer: n.rec})
		if err != nil {
			return err
		}
		_, err = w.Pass(ctx)
		return err
	}
	if mem != nil {
		return pass(ctx, mem)
	}
	pool, err := n.rig.db.direct(ctx)
	if err != nil {
		return err
	}
	err = n.rig.db.retry(ctx, func(ctx context.Context) error {
		st, err := pgstore.New(ctx, pool, nil)
		if err != nil {
			return err
		}
		return pass(ctx, st)
	})
	if err != nil {
		return fmt.Errorf("net mode: the reconciliation pass: %w", err)
	}
	return nil
}

// review reads the store's review queue back once the engines stopped,
// waiting out an outage of Postgres as the reconciliation pass does.
func (n *netRun) review(ctx context.Context, mem store.Store) error {
	if mem != nil {
		return harness.ReadReviewQueue(ctx, mem, n.sc, n.rec)
	}
	pool, err := n.rig.db.direct(ctx)
	if err != nil {
		return err
	}
	err = n.rig.db.retry(ctx, func(ctx context.Context) error {
		st, err := pgstore.New(ctx, pool, nil)
		if err != nil {
			return err
		}
		return harness.ReadReviewQueue(ctx, st, n.sc, n.rec)
	})
	if err != nil {
		return fmt.Errorf("net mode: read the review queue: %w", err)
	}
	return nil
}

// renamed prefixes every execution id with the run's id.
func renamed(sc scenarios.Scenario, id string) scenarios.Scenario {
	xs := make([]scenarios.Execution, len(sc.Executions))
	for i, x := range sc.Executions {
		x.ID = id + "." + x.ID
		xs[i] = x
	}
	sc.Executions = xs
	return sc
}
