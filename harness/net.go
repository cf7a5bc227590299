package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/reconcile"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/scenarios"
)

// NetOptions configure net mode. The zero value (or nil) means: the store
// in memory, the engine in this process, 300ms per tool call, backoff
// compressed 50 times, 2 minutes per scenario at most.
type NetOptions struct {
	// DSN names a Postgres server. The rig creates a throwaway database on
	// it (its user must be allowed to create databases) and drops it on
	// Close. Empty: the store is in memory.
	DSN string
	// Child, when set, starts an engine as a child process running
	// [ChildMain]: the harness kills it with SIGKILL at crash points and
	// starts another, which resumes from Postgres. It needs a DSN. Without
	// it, the engine runs in this process and a crash rebuilds it from the store.
	Child func() *exec.Cmd
	// Ref names a policy for a child process to resolve (default: its name).
	Ref func(p policy.Policy) string
	// Timeout bounds one tool call from the moment its request is written.
	Timeout time.Duration
	// Speedup compresses backoff sleeps and the world's clock; network
	// timeouts stay real.
	Speedup float64
	// Limit bounds one scenario's wall time; a scenario still running then
	// is stopped and reported as a hang.
	Limit time.Duration
	// Observe, if set, is told of every event as it is recorded (from the
	// recording goroutine: it must not block).
	Observe func(engine.Event)
}

func (o *NetOptions) withDefaults() NetOptions {
	var v NetOptions
	if o != nil {
		v = *o
	}
	if v.Timeout <= 0 {
		v.Timeout = 300 * time.Millisecond
	}
	if v.Speedup <= 0 {
		v.Speedup = 50
	}
	if v.Limit <= 0 {
		v.Limit = 2 * time.Minute
	}
	if v.Ref == nil {
		v.Ref = func(p policy.Policy) string { return p.Name() }
	}
	return v
}

// NetRig runs scenarios over real connections: the fake world served over
// HTTP on loopback, an embedded Toxiproxy in front of every tool and of
// Postgres — a proxy per tool per execution, so that a toxic hits one
// call — and the engine talking HTTP and pgx through them. One rig runs one
// scenario at a time; use several rigs to run scenarios in parallel.
type NetRig struct {
	o      NetOptions
	tox    *toxics.Server
	ctl    *toxics.Control
	layout fakehttp.StreamLayout
	db     *database
	runs   atomic.Int64
	kills  atomic.Int64
	mu     sync.Mutex // one scenario at a time

	cur       sync.Mutex // guards pgProxies, the running scenario's Postgres links, and outage
	pgProxies []string
	outage    bool // Outage has cut the Postgres links
}

// NewNetRig starts a rig: Toxiproxy, and with a DSN a throwaway database,
// migrated.
func NewNetRig(ctx context.Context, opts *NetOptions) (*NetRig, error) {
	o := opts.withDefaults()
	if o.Child != nil && o.DSN == "" {
		return nil, errors.New("net mode: a child-process engine resumes from Postgres; give a DSN")
	}
	tox, err := toxics.Start()
	if err != nil {
		return nil, err
	}
	r := &NetRig{o: o, tox: tox, ctl: toxics.Connect(tox.API())}
	if r.layout, err = calibrate(ctx); err != nil {
		r.Close()
		return nil, err
	}
	if o.DSN != "" {
		if r.db, err = createDatabase(ctx, o.DSN); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Close stops Toxiproxy and drops the rig's database.
func (r *NetRig) Close() error {
	var errs []error
	if r.db != nil {
		errs = append(errs, r.db.drop())
	}
	errs = append(errs, r.tox.Close())
	return errors.Join(errs...)
}

// Kills returns how many engine processes the rig killed with SIGKILL.
func (r *NetRig) Kills() int { return int(r.kills.Load()) }

// Outage waits up to 10s for a scenario to run, lets it run for after,
// then cuts every link to Postgres of it for d: open connections drop, new
// ones are refused, as when the server restarts. It restores them and
// returns.
func (r *NetRig) Outage(after, d time.Duration) error {
	var names []string
	for deadline := time.Now().Add(10 * time.Second); len(names) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("net mode: no scenario with Postgres links is running")
		}
		r.cur.Lock()
		names = slices.Clone(r.pgProxies)
		r.cur.Unlock()
	}
	time.Sleep(after)
	r.cur.Lock()
	r.outage = true
	r.cur.Unlock()
	defer func() {
		r.cur.Lock()
		r.outage = false
		r.cur.Unlock()
	}()
	var undo []func() error
	for _, name := range names {
		u, err := r.ctl.Cut(name)
		if err != nil {
			return err
		}
		undo = append(undo, u)
	}
	time.Sleep(d)
	var errs []error
	for _, u := range undo {
		errs = append(errs, u())
	}
	return errors.Join(errs...)
}

// calibrate measures how the model's stream is framed on the wire.
func calibrate(ctx context.Context) (fakehttp.StreamLayout, error) {
	s, err := fakehttp.Serve(fakes.NewWorld(nil), nil)
	if err != nil {
		return fakehttp.StreamLayout{}, err
	}
	defer s.Close()
	return s.Layout(), nil
}

// netRun is one scenario's infrastructure.
type netRun struct {
	rig       *NetRig
	policyRef string
	id        string
	sc        scenarios.Scenario
	clock     *ScaledClock
	rec       *syncRecorder
	inj       *faults.Net
	world     *fakes.World
	servers   *fakehttp.Servers
	proxies   map[string]string // proxy name -> listen address
	pgAddr    map[string]string // execution -> proxied Postgres host:port
}

// Run runs one scenario under a policy over real connections and checks it.
func (r *NetRig) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*Run, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.setUp(ctx, sc)
	if err != nil {
		return nil, err
	}
	defer n.tearDown()
	run := &Run{Scenario: n.sc, Policy: p.Name()}
	rctx, cancel := context.WithTimeout(ctx, r.o.Limit)
	defer cancel()
	var mem store.Store
	if r.db == nil {
		mem = memstore.New()
	}
	if r.o.Child != nil {
		n.policyRef = r.o.Ref(p)
		err = n.runChild(rctx)
	} else {
		err = n.runHere(rctx, p, mem)
	}
	switch {
	case ctx.Err() != nil:
		run.History.Cut = invariants.Aborted
	case rctx.Err() != nil:
		run.History.Cut = invariants.CutAtLimit
	case err != nil:
		return nil, err
	}
	if p.Architecture().Reconciliation() && run.History.Cut != invariants.Aborted {
		// A run cut at its limits still gets its audit: the worker looks only
		// at executions that ended, and the engine has stopped.
		if err := n.reconcile(ctx, mem); err != nil {
			return nil, err
		}
	}
	if err := n.servers.Close(); err != nil {
		return nil, fmt.Errorf("net mode: close the world's servers: %w", err)
	}
	run.History.Events = n.rec.events
	run.Ledger = n.world.Ledger()
	run.Results = run.Analysis().Check()
	run.Virtual = n.clock.Now().Sub(Epoch)
	return run, nil
}

// setUp serves a fresh world and puts proxies in front of it for each
// execution. Executions are renamed with a run prefix: they share the rig's
// database with the runs before.
func (r *NetRig) setUp(ctx context.Context, sc scenarios.Scenario) (*netRun, error) {
	id := "n" + strconv.FormatInt(r.runs.Add(1), 10)
	sc = renamed(sc, id)
	n := &netRun{rig: r, id: id, sc: sc, clock: NewScaledClock(time.Now(), r.o.Speedup),
		proxies: map[string]string{}, pgAddr: map[string]string{}}
	n.rec = &syncRecorder{recorder: recorder{clock: nil}, now: n.clock.Now, observe: r.o.Observe}
	opts := faults.NetOpts{Toxics: r.ctl, Proxy: n.proxyName, HeaderBytes: r.layout.HeaderBytes, ChunkBytes: r.layout.ChunkBytes}
	if r.db != nil {
		opts.Postgres = n.pgProxyName
	}
	n.inj = faults.NewNet(sc.Faults, sc.Units(), n.rec.fault, opts)
	n.world = fakes.NewWorld(&fakes.Opts{Clock: n.clock, Quirks: n.inj, Drift: n.inj.Drift(fakes.Default()), Expect: 3 * sc.Steps()})
	var err error
	n.servers, err = fakehttp.Serve(n.world, &fakehttp.ServerOpts{Gate: fakehttp.GateFunc(n.inj.Gate), Garble: fakehttp.GarbleFunc(n.inj.Garble), ShutdownTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	for _, x := range sc.Executions {
		for _, tool := range n.servers.Names() {
			if err := n.proxy(n.proxyName(x.ID, tool), n.servers.Addr(tool)); err != nil {
				n.tearDown()
				return nil, err
			}
		}
		if r.db != nil {
			name := n.pgProxyName(x.ID)
			if err := n.proxy(name, r.db.hostPort()); err != nil {
				n.tearDown()
				return nil, err
			}
			n.pgAddr[x.ID] = n.proxies[name]
		}
	}
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

func (n *netRun) proxy(name, upstream string) error {
	addr, err := n.rig.tox.Proxy(name, upstream)
	if err != nil {
		return err
	}
	n.proxies[name] = addr
	return nil
}

// clearToxics removes what a killed engine process left on its links: the
// process applied those toxics and would have removed them. A Postgres link
// the harness itself has cut (Outage) stays cut.
func (n *netRun) clearToxics() error {
	n.rig.cur.Lock()
	outage := n.rig.outage
	n.rig.cur.Unlock()
	var errs []error
	for name := range n.proxies {
		keep := outage && strings.HasSuffix(name, ".postgres")
		errs = append(errs, n.rig.ctl.Clear(name, keep))
	}
	return errors.Join(errs...)
}

func (n *netRun) proxyName(exec, tool string) string { return exec + "." + tool }
func (n *netRun) pgProxyName(exec string) string     { return exec + ".postgres" }

func (n *netRun) tearDown() {
	n.rig.cur.Lock()
	n.rig.pgProxies = nil
	n.rig.cur.Unlock()
	for name := range n.proxies {
		_ = n.rig.tox.Remove(name)
	}
	_ = n.servers.Close()
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
// pgstore on its own pool through its own Postgres proxy.
func (n *netRun) store(ctx context.Context, x scenarios.Execution, mem store.Store) (store.Store, func(), error) {
	if mem != nil {
		return n.inj.Store(mem), func() {}, nil
	}
	pool, err := n.rig.db.pool(ctx, n.pgAddr[x.ID])
	if err != nil {
		return nil, nil, err
	}
	ps, err := openStore(ctx, pool, &pgstore.Opts{BeforeCommit: n.inj.BeforeCommit}, x, n.rec)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return n.inj.Store(ps), pool.Close, nil
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
// on the store directly and the tools directly (no faults).
func (n *netRun) reconcile(ctx context.Context, mem store.Store) error {
	st := mem
	if st == nil {
		pool, err := n.rig.db.pool(ctx, n.rig.db.hostPort())
		if err != nil {
			return err
		}
		defer pool.Close()
		if st, err = pgstore.New(ctx, pool, nil); err != nil {
			return err
		}
	}
	n.rec.Observe(engine.Event{Kind: engine.EvAudit, Seq: n.world.Ledger().Len(), Detail: "reconciliation pass"})
	client := fakehttp.NewClient(n.servers.Addr, &fakehttp.ClientOpts{Timeout: 5 * time.Second})
	w, err := reconcile.New(st, fakes.Registry(), client, &reconcile.Opts{Clock: n.clock, Observer: n.rec})
	if err != nil {
		return err
	}
	_, err = w.Pass(ctx)
	return err
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

// syncRecorder is a recorder for several goroutines (and processes).
type syncRecorder struct {
	mu sync.Mutex
	recorder
	now     func() time.Time
	observe func(engine.Event)
}

func (r *syncRecorder) Observe(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.At.IsZero() {
		e.At = r.now()
	}
	r.recorder.Observe(e)
	if r.observe != nil {
		r.observe(e)
	}
}

func (r *syncRecorder) fault(a faults.Applied) { r.Observe(FaultEvent(a)) }

// ErrPostgresUnreachable is net mode's error when no connection to the
// Postgres server its DSN names can be made.
var ErrPostgresUnreachable = errors.New("net mode: cannot connect to Postgres")

// oneLine is an error printed on one line, its cause kept.
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }
func (e oneLine) Unwrap() error { return e.err }

// database is a throwaway database on the server a DSN names.
type database struct {
	admin *pgxpool.Config
	cfg   *pgxpool.Config
	name  string
}

func pgxpoolConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("net mode: the Postgres DSN does not parse: %w", err)
	}
	return cfg, nil
}

func createDatabase(ctx context.Context, dsn string) (*database, error) {
	admin, err := pgxpoolConfig(dsn)
	if err != nil {
		return nil, err
	}
	name := "chaosrun_net_" + strings.ToLower(rand.Text()[:12])
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if errors.Is(err, ErrPostgresUnreachable) {
			return nil, err
		}
		return nil, fmt.Errorf("net mode: create a throwaway database on %s (the user needs CREATEDB): %w", admin.ConnConfig.Host, err)
	}
	db := &database{admin: admin, cfg: admin.Copy(), name: name}
	db.cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, db.cfg)
	if err != nil {
		db.drop()
		return nil, err
	}
	defer pool.Close()
	if _, err := pgstore.New(ctx, pool, &pgstore.Opts{Migrate: true}); err != nil {
		db.drop()
		return nil, err
	}
	return db, nil
}

func (db *database) hostPort() string {
	return net.JoinHostPort(db.cfg.ConnConfig.Host, strconv.Itoa(int(db.cfg.ConnConfig.Port)))
}

// pool opens a small pool on the database through addr (a proxy).
func (db *database) pool(ctx context.Context, addr string) (*pgxpool.Pool, error) {
	cfg := db.cfg.Copy()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(p)
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	cfg.ConnConfig.Fallbacks = nil
	cfg.MaxConns = 4
	return pgxpool.NewWithConfig(ctx, cfg)
}

func (db *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return adminExec(ctx, db.admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{db.name}.Sanitize()+" WITH (FORCE)")
}

func adminExec(ctx context.Context, cfg *pgxpool.Config, sql string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		// pgx lists each address it tried on its own line: one line here,
		// the cause kept for errors.As (an authentication failure, say).
		return fmt.Errorf("%w at %s:%d: %w", ErrPostgresUnreachable, cfg.ConnConfig.Host, cfg.ConnConfig.Port, oneLine{err})
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
