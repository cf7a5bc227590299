package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Throwaway is a database made for one test or one run and dropped after
// it, on a server whose user may create databases. Tests (pgstoretest) and
// net mode (harness/netrig) make them.
//
// # Names, and who made them
//
// A throwaway's name is its prefix, then a tag of the process that made it
// — a key of the host and its process namespace, the pid and the process's
// start time (on Linux) — then random letters. A process killed before it
// could drop its databases leaves them behind; [SweepThrowaways] drops the
// ones whose maker has provably ended: made on this host, in this process
// namespace, by a pid that is gone or now names a process started at
// another time. A database another host made, or a live process, is never
// touched.
//
// Its errors go through the store's one translation: a server that cannot
// be reached is [store.ErrUnavailable], and Create and Drop can simply be
// called again once it answers.
type Throwaway struct {
	name  string
	admin *pgxpool.Config
}

// ThrowawayOpts configure [Throwaway.Create]. The zero value, and nil, mean:
// commits wait for the disk, no migrations.
type ThrowawayOpts struct {
	// AsyncCommit lets commits return before their WAL reaches the disk
	// (synchronous_commit = off): for a database that need not survive a
	// crash of the server. What transactions see is unchanged.
	AsyncCommit bool
	// Migrate applies the store's migrations to the new database.
	Migrate bool
}

// NewThrowaway names a throwaway database on the server admin connects to;
// nothing is made until [Throwaway.Create]. The database admin names is
// only used to create and drop others. prefix must be lower-case letters,
// digits and underscores.
func NewThrowaway(admin *pgxpool.Config, prefix string) *Throwaway {
	name := prefix
	if tag := processTag(); tag != "" {
		name += tag + "_"
	}
	return &Throwaway{name: name + strings.ToLower(rand.Text()[:8]), admin: admin.Copy()}
}

// Name returns the database's name.
func (t *Throwaway) Name() string { return t.name }

// Config returns a pool configuration for the database: admin's, on it.
func (t *Throwaway) Config() *pgxpool.Config {
	cfg := t.admin.Copy()
	cfg.ConnConfig.Database = t.name
	return cfg
}

const duplicateDatabase = "42P04"

// Create makes the database. It may be called again after an error: a
// database of this name that exists already is this one, made by a call
// whose answer was lost.
func (t *Throwaway) Create(ctx context.Context, opts *ThrowawayOpts) error {
	if opts == nil {
		opts = &ThrowawayOpts{}
	}
	ident := pgx.Identifier{t.name}.Sanitize()
	err := t.exec(ctx, "create database "+t.name+" (its user needs CREATEDB)", "CREATE DATABASE "+ident)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == duplicateDatabase {
		err = nil
	}
	if err == nil && opts.AsyncCommit {
		err = t.exec(ctx, "configure database "+t.name, "ALTER DATABASE "+ident+" SET synchronous_commit = off")
	}
	if err != nil || !opts.Migrate {
		return err
	}
	cfg := t.Config()
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return interpret(ctx, err, "migrate database "+t.name, where(cfg.ConnConfig))
	}
	defer pool.Close()
	_, err = New(ctx, pool, &Opts{Migrate: true})
	return err
}

// Drop drops the database, ending the sessions still connected to it (WITH
// (FORCE)), such as the pools of a run that failed before closing them. It
// may be called again after an error, and on a database already dropped.
func (t *Throwaway) Drop(ctx context.Context) error {
	return dropDatabase(ctx, t.admin, t.name)
}

func (t *Throwaway) exec(ctx context.Context, what, sql string) error {
	return adminExec(ctx, t.admin, what, sql)
}

func dropDatabase(ctx context.Context, admin *pgxpool.Config, name string) error {
	return adminExec(ctx, admin, "drop database "+name,
		"DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// adminExec runs one statement on the admin database, over a connection of
// its own (CREATE and DROP DATABASE cannot run in a transaction, nor in the
// database they name). A server's refusal (a duplicate, a missing
// privilege) keeps its *pgconn.PgError in the chain.
func adminExec(ctx context.Context, admin *pgxpool.Config, what, sql string) error {
	cc := admin.ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return interpret(ctx, err, what, where(cc))
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return interpret(ctx, err, what, where(cc))
}

// SweepThrowaways drops the throwaway databases named with prefix whose
// maker has provably ended (see [Throwaway]), and returns their names.
func SweepThrowaways(ctx context.Context, admin *pgxpool.Config, prefix string) ([]string, error) {
	cc := admin.ConnConfig
	conn, err := pgx.ConnectConfig(ctx, cc.Copy())
	if err != nil {
		return nil, interpret(ctx, err, "list throwaway databases", where(cc))
	}
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`, prefix)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	conn.Close(ctx)
	if err != nil {
		return nil, interpret(ctx, err, "list throwaway databases", where(cc))
	}
	var dropped []string
	for _, name := range names {
		tag, _, ok := cutLast(strings.TrimPrefix(name, prefix), "_")
		if !ok || !exited(tag) {
			continue
		}
		if err := dropDatabase(ctx, admin, name); err != nil {
			return dropped, err
		}
		dropped = append(dropped, name)
	}
	return dropped, nil
}

// cutLast slices s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
