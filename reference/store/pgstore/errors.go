package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/chaosrun/chaosrun/reference/store"
)

// uniqueErrs names the port error each unique constraint stands for.
var uniqueErrs = map[string]error{
	"executions_pkey": store.ErrExists,
	"commits_pkey":    store.ErrCommitted,
}

// interpret turns what pgx and Postgres return into the port's errors. It is
// the one place that does: every method's error goes through it, prefixed
// with what the method was doing, and so do the errors of throwaway
// databases (throwaway.go). The port's errors that come from the
// execution's state rather than from the server (ErrTerminal, ErrStaleRun:
// see state.go) pass through with that prefix.
func (s *Store) interpret(ctx context.Context, err error, what string) error {
	return interpret(ctx, err, what, s.where)
}

// interpret is the translation for a server at where (host:port/database).
func interpret(ctx context.Context, err error, what, where string) error {
	if err == nil {
		return nil
	}
	what = "pgstore: " + what
	var pgErr *pgconn.PgError
	answered := errors.As(err, &pgErr)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	case answered && pgErr.Code != queryCanceled:
		return fromServer(pgErr, what, where)
	case ctx.Err() != nil: // the caller gave up: not the store's fault
		return fmt.Errorf("%s: %w (%w)", what, ctx.Err(), err)
	case answered:
		return fromServer(pgErr, what, where)
	case unreachable(err):
		return fmt.Errorf("%s: %w: cannot reach Postgres at %s (check the DSN and that the server is running): %w",
			what, store.ErrUnavailable, where, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

const queryCanceled = "57014" // a statement timeout, or a cancelled ctx

// fromServer translates an error the server reported, by its SQLSTATE.
func fromServer(e *pgconn.PgError, what, where string) error {
	unavailable := func(hint string) error {
		return fmt.Errorf("%s: %w: Postgres at %s: %s: %w", what, store.ErrUnavailable, where, hint, e)
	}
	switch code := e.Code; {
	case code == "23505" && uniqueErrs[e.ConstraintName] != nil:
		return fmt.Errorf("%s: %w", what, uniqueErrs[e.ConstraintName])
	case code == "40001", code == "40P01":
		return unavailable("conflict with a concurrent transaction, try again")
	case code == "25006":
		return unavailable("the server is read-only (a standby?)")
	case code == "3D000", code == "28000", code == "28P01":
		return unavailable("check the DSN's database, user and password")
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"),
		code == "57P01", code == "57P02", code == "57P03", code == queryCanceled:
		return unavailable("check that the server is running and accepting connections")
	case code == "42P01", code == "42704", code == "22023": // 22023: no such role to switch to
		return fmt.Errorf("%s: schema missing or out of date, run Migrate: %w", what, e)
	}
	return fmt.Errorf("%s: %w", what, e)
}

// unreachable reports whether err means no conversation with the server
// took place, or that it broke off.
func unreachable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}
