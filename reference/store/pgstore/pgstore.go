package pgstore

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store"
)

// The roles a transaction switches to, created by the migrations.
const (
	appRole    = "chaosrun_app"    // a tenant's transactions
	systemRole = "chaosrun_system" // Active, Audit and ClaimDeadLetters
)

// Store is the Postgres [store.Store]. It is safe for concurrent use, by
// several goroutines and by several processes sharing one database.
type Store struct {
	pool         *pgxpool.Pool
	where        string // host:port/database, for error messages
	beforeCommit func(ctx context.Context, c store.Commit)
}

var _ store.Store = (*Store)(nil)

// Opts configures a Store. The zero value, and nil, mean the defaults.
type Opts struct {
	// Migrate applies the embedded migrations before New returns, as a
	// service that owns its schema does at start-up. Leave it false where
	// migrations run as a deploy step of their own (see [Store.Migrate]).
	Migrate bool
	// BeforeCommit, if set, is called just before a step's commit is sent
	// (its writes and its COMMIT go in one batch, committed before the server
	// answers). It is a seam for fault injection: cutting the link's replies
	// there makes a commit whose outcome the caller cannot know (it landed),
	// which is what net mode does.
	BeforeCommit func(ctx context.Context, c store.Commit)
}

// New returns a store on pool, after checking that the server answers. The
// pool stays the caller's: the store never closes it. A server that cannot
// be reached is an error wrapping [store.ErrUnavailable].
func New(ctx context.Context, pool *pgxpool.Pool, opts *Opts) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("pgstore: new: pool is nil")
	}
	if opts == nil {
		opts = &Opts{}
	}
	s := &Store{pool: pool, where: where(pool.Config().ConnConfig), beforeCommit: opts.BeforeCommit}
	if err := pool.Ping(ctx); err != nil {
		return nil, s.interpret(ctx, err, "connect")
	}
	if opts.Migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func where(c *pgx.ConnConfig) string {
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// setScope switches the transaction to a role and a tenant until it ends.
// Both are parameters: a tenant is data, never text of a query.
const setScope = `SELECT set_config('role', $1, true), set_config('app.tenant', $2, true)`

// scoped is the batch of a tenant's scope setting and one statement: one
// round trip, one implicit transaction (see write).
func scoped(tenant, query string, args ...any) *pgx.Batch {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 2)}
	b.Queue(setScope, appRole, tenant)
	b.Queue(query, args...)
	return b
}

// asTenant runs fn in a transaction that sees and writes tenant's rows only.
func (s *Store) asTenant(ctx context.Context, tenant string, fn func(pgx.Tx) error) error {
	return s.tx(ctx, pgx.TxOptions{}, appRole, tenant, fn)
}

// asSystem runs fn in a transaction that reads and locks every tenant's
// executions and dead letters and writes nothing; fn calls actAs to change a
// row it has claimed.
func (s *Store) asSystem(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.tx(ctx, pgx.TxOptions{}, systemRole, "", fn)
}

// tx runs fn in a transaction whose begin and scope setting go in one
// batch, one round trip; it commits if fn succeeds and rolls back if not.
func (s *Store) tx(ctx context.Context, opts pgx.TxOptions, role, tenant string, fn func(pgx.Tx) error) error {
	b := &pgx.Batch{}
	b.BeginTx(opts)
	b.Queue(setScope, role, tenant)
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	tx := br.Tx()
	// Rolls back on a panic in fn too; after Commit it does nothing.
	defer func() { _ = tx.Rollback(ctx) }()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fn(tx)
	}
	if err != nil {
		return err // rolled back (a transaction that never began is closed already)
	}
	return tx.Commit(ctx)
}

// actAs switches a system transaction to the tenant of a row it claimed, so
// that what it writes passes the same policies as the tenant's own writes.
// The row locks taken as the system stay held.
func actAs(ctx context.Context, tx pgx.Tx, tenant string) error {
	_, err := tx.Exec(ctx, setScope, appRole, tenant)
	return err
}
