package netrig

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// Options configure net mode. The zero value (or nil) means: the store
// in memory, the engine in this process, 300ms per tool call, backoff
// compressed 50 times, 2 minutes per scenario at most, 2 minutes of
// patience with a Postgres server that stopped answering.
type Options struct {
	// DSN names a Postgres server. The rig creates a throwaway database on
	// it (its user must be allowed to create databases) and drops it on
	// Close. Empty: the store is in memory.
	DSN string
	// Child, when set, starts an engine as a child process running
	// [ChildMain]: the harness kills it with SIGKILL at crash points and
	// starts another, which resumes from Postgres. It needs a DSN. Without
	// it, the engine runs in this process and a crash rebuilds it from the
	// store. A child dies with the process that started it.
	Child func() *exec.Cmd
	// Ref names a policy for a child process to resolve (default: its
	// name), unless it is a *policy.Rules (a policy file, compiled): those
	// are handed to the child whole, so that a file edited while the run
	// goes on changes nothing.
	Ref func(p policy.Policy) string
	// Timeout bounds one tool call from the moment its request is written.
	Timeout time.Duration
	// Speedup compresses backoff sleeps and the world's clock; network
	// timeouts stay real.
	Speedup float64
	// Limit bounds one scenario's wall time; a scenario still running then
	// is stopped and reported as a hang.
	Limit time.Duration
	// Patience bounds how long the rig waits for a Postgres server that
	// stopped answering — while it makes or drops its database, and in the
	// reconciliation pass; the engines wait as long as Limit lets them.
	// Past it, the run ends in an error, and the rig's next runs fail at once
	// until the server answers again.
	Patience time.Duration
	// Observe, if set, is told of every event as it is recorded (from the
	// recording goroutine: it must not block).
	Observe func(engine.Event)
}

func (o *Options) withDefaults() Options {
	var v Options
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
	if v.Patience <= 0 {
		v.Patience = 2 * time.Minute
	}
	if v.Ref == nil {
		v.Ref = func(p policy.Policy) string { return p.Name() }
	}
	return v
}

// Rig runs scenarios over real connections: the fake world served over
// HTTP on loopback, an embedded Toxiproxy in front of every tool and of
// Postgres — a proxy per tool per execution, so that a toxic hits one
// call — and the engine talking HTTP and pgx through them. One rig runs one
// scenario at a time; use several rigs to run scenarios in parallel.
//
// A rig is a [harness.Runner]. On Postgres it rides out an outage of the
// server (stopped, restarted) in every part, and each [harness.Run] says
// when the server did not answer ([harness.Run.Outages]).
type Rig struct {
	o      Options
	tox    *toxics.Server
	ctl    *toxics.Control
	layout fakehttp.StreamLayout
	db     *database
	// servers serve each run's world in turn, and slots are the proxies of
	// the i-th execution of a run (proxy name -> address): both outlive
	// runs, so that a run opens no listener of its own.
	servers *fakehttp.Servers
	slots   []map[string]string
	// proc is the engine process that runs the next run's spec, until it is
	// killed (Options.Child).
	proc  *engineProc
	runs  atomic.Int64
	kills atomic.Int64
	mu    sync.Mutex // one scenario at a time

	cur       sync.Mutex // guards pgProxies, the running scenario's Postgres links
	pgProxies []string

	// broken is the error of a run that found the store unavailable past
	// its patience: later runs fail with it while the server does not answer.
	broken error
	// unclean is set when a run's teardown could not reset a proxy: every
	// later run fails with it, since it might meet that run's faults.
	unclean error
}

var _ harness.Runner = (*Rig)(nil)

// New starts a rig: Toxiproxy, and with a DSN a throwaway database,
// migrated, after dropping those that killed runs left on the server (see
// pgstore.SweepThrowaways). A server that does not let it in is
// [ErrPostgresUnreachable] or [ErrPostgresRefused].
func New(ctx context.Context, opts *Options) (*Rig, error) {
	o := opts.withDefaults()
	if o.Child != nil && o.DSN == "" {
		return nil, errors.New("net mode: a child-process engine resumes from Postgres; give a DSN")
	}
	tox, err := toxics.Start()
	if err != nil {
		return nil, err
	}
	r := &Rig{o: o, tox: tox, ctl: toxics.Connect(tox.API())}
	if r.servers, err = fakehttp.Serve(fakes.NewWorld(nil), &fakehttp.ServerOpts{ShutdownTimeout: 200 * time.Millisecond}); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	_ = r.servers.Settle() // no world until a run serves one
	r.layout = r.servers.Layout()
	if o.DSN != "" {
		if r.db, err = openDatabase(ctx, o.DSN, o.Patience); err != nil {
			return nil, errors.Join(err, r.Close())
		}
	}
	return r, nil
}

// Close stops Toxiproxy and drops the rig's database, waiting (for up to
// the rig's patience) for a server that does not answer.
func (r *Rig) Close() error {
	var errs []error
	r.mu.Lock()
	errs = append(errs, r.stopEngine())
	r.mu.Unlock()
	if r.db != nil {
		errs = append(errs, r.db.close())
	}
	if r.servers != nil {
		errs = append(errs, r.servers.Close())
	}
	errs = append(errs, r.tox.Close())
	return errors.Join(errs...)
}

// Database returns the name of the rig's throwaway database ("" in memory).
func (r *Rig) Database() string {
	if r.db == nil {
		return ""
	}
	return r.db.tw.Name()
}

// Kills returns how many engine processes the rig killed with SIGKILL.
func (r *Rig) Kills() int { return int(r.kills.Load()) }

// Outage waits up to 10s for a scenario to run, lets it run for after,
// then cuts every link to Postgres of it for d: open connections drop, new
// ones are reset, as when the server restarts. It restores them and
// returns. Unlike a real outage, the rig's probe does not see it.
func (r *Rig) Outage(after, d time.Duration) error {
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

// slot returns the proxies of a run's i-th execution — one in front of
// each of the world's servers, and one in front of Postgres — made the
// first time a run has that many executions.
func (r *Rig) slot(i int) (map[string]string, error) {
	for len(r.slots) <= i {
		prefix := "x" + strconv.Itoa(len(r.slots)+1)
		proxies := map[string]string{}
		add := func(name, upstream string) error {
			addr, err := r.tox.Proxy(name, upstream)
			proxies[name] = addr
			return err
		}
		for _, tool := range r.servers.Names() {
			if err := add(prefix+"."+tool, r.servers.Addr(tool)); err != nil {
				return nil, err
			}
		}
		if r.db != nil {
			if err := add(prefix+".postgres", r.db.hostPort()); err != nil {
				return nil, err
			}
		}
		r.slots = append(r.slots, proxies)
	}
	return r.slots[i], nil
}
