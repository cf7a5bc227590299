package netrig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
)

// Net mode's errors when the server its DSN names does not let it in at the
// start: a server that is down or refuses the DSN when a run begins is a
// setup to fix, not an outage to wait out.
var (
	// ErrPostgresUnreachable: no connection to the server could be made.
	ErrPostgresUnreachable = errors.New("net mode: cannot connect to Postgres")
	// ErrPostgresRefused: the server answered and refused the DSN's user,
	// password or database, or the user may not create databases.
	ErrPostgresRefused = errors.New("net mode: Postgres refuses the DSN")
)

// Prefix starts the name of every throwaway database of net mode.
const Prefix = "chaosrun_net_"

// database is a rig's throwaway database on the server a DSN names, and
// what the rig knows of that server's availability.
type database struct {
	admin    *pgxpool.Config
	tw       *pgstore.Throwaway
	cfg      *pgxpool.Config // the throwaway database's
	patience time.Duration
	probe    *probe

	mu      sync.Mutex
	pass    *pgxpool.Pool // to the server itself, for the rig's own reads (see direct)
	engines *pools        // of the engines run in this process
}

// sweepMu makes the rigs of one process sweep one after another.
var sweepMu sync.Mutex

// openDatabase makes a rig's database. The first contact, a sweep of the
// databases that killed runs left behind, must succeed at once; after it,
// making and migrating the database waits out an outage of up to patience.
func openDatabase(ctx context.Context, dsn string, patience time.Duration) (*database, error) {
	admin, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("net mode: the Postgres DSN does not parse: %w", err)
	}
	sweepMu.Lock()
	_, err = pgstore.SweepThrowaways(ctx, admin, Prefix)
	sweepMu.Unlock()
	if err != nil {
		return nil, firstContact(err, &admin.ConnConfig.Config)
	}
	db := &database{admin: admin, tw: pgstore.NewThrowaway(admin, Prefix), patience: patience}
	db.cfg = db.tw.Config()
	db.engines = newPools(db.cfg)
	db.probe = startProbe(admin)
	err = db.retry(ctx, func(ctx context.Context) error { return db.tw.Create(ctx, &pgstore.ThrowawayOpts{Migrate: true}) })
	if err != nil {
		db.abandon()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && !errors.Is(err, store.ErrUnavailable) { // a privilege, most likely CREATEDB
			return nil, fmt.Errorf("%w: %v", ErrPostgresRefused, err)
		}
		return nil, fmt.Errorf("net mode: %w", err)
	}
	return db, nil
}

// abandon gives up a database that could not be made: one try at dropping
// whatever was made of it (the sweep of a later run drops the rest).
func (db *database) abandon() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = db.tw.Drop(ctx)
	db.probe.stop()
}

// firstContact names why the server did not let net mode in, in one line:
// what the server said, or what pgx met trying to reach it.
func firstContact(err error, cc *pgconn.Config) error {
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	switch {
	case errors.As(err, &pgErr):
		return fmt.Errorf("%w at %s:%d (user %s, database %s): %w", ErrPostgresRefused, cc.Host, cc.Port, cc.User, cc.Database, pgErr)
	case errors.As(err, &connErr):
		return fmt.Errorf("%w at %s:%d: %w", ErrPostgresUnreachable, cc.Host, cc.Port, oneLine{connErr})
	case errors.Is(err, store.ErrUnavailable):
		return fmt.Errorf("%w at %s:%d: %w", ErrPostgresUnreachable, cc.Host, cc.Port, oneLine{err})
	}
	return fmt.Errorf("net mode: %w", oneLine{err})
}

// oneLine is an error printed on one line (pgx lists each address it tried
// on its own line), its cause kept for errors.As: a refused role, say, or a
// host that does not resolve.
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }
func (e oneLine) Unwrap() error { return e.err }

// direct returns the rig's pool on its database that passes no proxy, for
// what the rig reads and writes itself once the engines stopped (the review
// queue, the reconciliation pass): one pool for all its runs, so that a run
// opens no connection of its own for them.
func (db *database) direct(ctx context.Context) (*pgxpool.Pool, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.pass == nil {
		p, err := db.pool(ctx, db.hostPort())
		if err != nil {
			return nil, err
		}
		db.pass = p
	}
	return db.pass, nil
}

// close stops the probe and drops the database, once the server answers
// (for up to patience): a database left behind by a server that never came
// back is swept by the next run.
func (db *database) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), db.patience+30*time.Second)
	defer cancel()
	db.mu.Lock()
	if db.pass != nil {
		db.pass.Close() // its connections would keep the database from being dropped
		db.pass = nil
	}
	db.mu.Unlock()
	db.engines.close()
	err := db.retry(ctx, db.tw.Drop)
	db.probe.stop()
	if err != nil {
		return fmt.Errorf("net mode: drop the run's database (it is swept at the next start): %w", err)
	}
	return nil
}

func (db *database) hostPort() string {
	return net.JoinHostPort(db.cfg.ConnConfig.Host, strconv.Itoa(int(db.cfg.ConnConfig.Port)))
}

// pool opens a small pool on the database through addr (a proxy, or the
// server itself). It connects lazily: opening it needs no server.
func (db *database) pool(ctx context.Context, addr string) (*pgxpool.Pool, error) {
	return proxiedPool(ctx, db.cfg, addr)
}

func proxiedPool(ctx context.Context, base *pgxpool.Config, addr string) (*pgxpool.Pool, error) {
	cfg := base.Copy()
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

// pools are the pools of one process's engines, one per Postgres proxy,
// kept from run to run: a run's engines open no connection that the runs
// before them left open. Between runs, settle drops the connections a run's
// faults broke, so that no run meets a broken link it did not cut.
type pools struct {
	cfg *pgxpool.Config
	mu  sync.Mutex
	by  map[string]*pgxpool.Pool
}

func newPools(cfg *pgxpool.Config) *pools { return &pools{cfg: cfg, by: map[string]*pgxpool.Pool{}} }

// get returns the pool through addr, opened (lazily) the first time.
func (ps *pools) get(ctx context.Context, addr string) (*pgxpool.Pool, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p := ps.by[addr]; p != nil {
		return p, nil
	}
	p, err := proxiedPool(ctx, ps.cfg, addr)
	if err != nil {
		return nil, err
	}
	ps.by[addr] = p
	return p, nil
}

// settle pings every idle connection of every pool and closes those that do
// not answer (a link cut or reset while they were open), which their pool
// then drops.
func (ps *pools) settle(ctx context.Context) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, p := range ps.by {
		for _, c := range p.AcquireAllIdle(ctx) {
			if err := c.Ping(ctx); err != nil {
				_ = c.Conn().Close(ctx)
			}
			c.Release()
		}
	}
}

func (ps *pools) close() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for addr, p := range ps.by {
		p.Close()
		delete(ps.by, addr)
	}
}

// Backoff between tries at an unavailable store: from the first delay,
// doubling, up to the last.
const (
	firstRetry = 50 * time.Millisecond
	lastRetry  = 2 * time.Second
)

// retry calls fn until it succeeds, fails otherwise than with the store
// unavailable, or the server has not answered for the rig's patience.
func (db *database) retry(ctx context.Context, fn func(context.Context) error) error {
	wait, start := firstRetry, time.Now()
	for {
		err := fn(ctx)
		if err == nil || !errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return err
		}
		if d := time.Since(start); d > db.patience {
			return fmt.Errorf("the store has been unavailable for %s: %w", d.Round(time.Second), err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, lastRetry)
	}
}
