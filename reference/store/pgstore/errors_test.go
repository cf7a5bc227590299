package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

func TestInterpret(t *testing.T) {
	t.Parallel()
	pgErr := func(code, constraint string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, ConstraintName: constraint, Message: "from the server"})
	}
	cases := []struct {
		name string
		err  error
		want error  // the port error it must wrap; nil for none
		says string // a part of the message
	}{
		{"no rows", pgx.ErrNoRows, store.ErrNotFound, "load acme/e1"},
		{"duplicate execution", pgErr("23505", "executions_pkey"), store.ErrExists, "load acme/e1"},
		{"second commit", pgErr("23505", "commits_pkey"), store.ErrCommitted, ""},
		{"other unique constraint", pgErr("23505", "something_else"), nil, "from the server"},
		{"serialization failure", pgErr("40001", ""), store.ErrUnavailable, "try again"},
		{"deadlock", pgErr("40P01", ""), store.ErrUnavailable, "try again"},
		{"server shutting down", pgErr("57P01", ""), store.ErrUnavailable, "server is running"},
		{"connection failure", pgErr("08006", ""), store.ErrUnavailable, "db.example:5432/app"},
		{"too many connections", pgErr("53300", ""), store.ErrUnavailable, ""},
		{"standby", pgErr("25006", ""), store.ErrUnavailable, "read-only"},
		{"wrong password", pgErr("28P01", ""), store.ErrUnavailable, "DSN"},
		{"no such database", pgErr("3D000", ""), store.ErrUnavailable, "DSN"},
		{"not migrated", pgErr("42P01", ""), nil, "run Migrate"},
		{"role missing", pgErr("22023", ""), nil, "run Migrate"},
		{"closed pool", puddle.ErrClosedPool, store.ErrUnavailable, "check the DSN and that the server is running"},
		{"connection cut", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), store.ErrUnavailable, "cannot reach"},
		{"port error passes", fmt.Errorf("execution is completed: %w", store.ErrTerminal), store.ErrTerminal, "execution is completed"},
		{"stale run passes", fmt.Errorf("run 1: %w", store.ErrStaleRun), store.ErrStaleRun, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := pgstore.Interpret(context.Background(), c.err, "load acme/e1")
			if !strings.HasPrefix(got.Error(), "pgstore: load acme/e1: ") || !strings.Contains(got.Error(), c.says) {
				t.Errorf("message %q should start with what the store did and say %q", got, c.says)
			}
			for _, portErr := range []error{store.ErrNotFound, store.ErrExists, store.ErrCommitted, store.ErrTerminal, store.ErrStaleRun, store.ErrUnavailable} {
				if errors.Is(got, portErr) != (portErr == c.want) {
					t.Errorf("%v: errors.Is(_, %v) = %v", got, portErr, !(portErr == c.want))
				}
			}
		})
	}
}

func TestInterpretLeavesCancellationToTheCaller(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := pgstore.Interpret(ctx, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "commit")
	if !errors.Is(got, context.Canceled) || errors.Is(got, store.ErrUnavailable) {
		t.Fatalf("after the caller cancelled: %v, want context.Canceled and not unavailable", got)
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(t.Context(), "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	must(t, err)
	defer pool.Close()
	start := time.Now()
	_, err = pgstore.New(t.Context(), pool, nil)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "check the DSN and that the server is running") {
		t.Fatalf("New on a closed port: %v, want store unavailable and what to check", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("New on a closed port took %v", d)
	}
	t.Log(err)
}

func TestClosedPoolIsUnavailable(t *testing.T) {
	t.Parallel()
	pool := pgstoretest.Pool(t)
	s := open(t, pool)
	pool.Close()
	_, err := s.Load(t.Context(), "acme", "e1")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("load on a closed pool: %v, want store unavailable", err)
	}
}

func TestKilledConnectionIsUnavailableThenRecovers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cfg := pgstoretest.Database(t)
	cfg.MaxConns = 1
	s := open(t, pgstoretest.Open(t, cfg))
	must(t, s.Create(ctx, execution("acme", "e1")))
	admin := pgstoretest.Open(t, cfg)
	// Find the store's connection first and kill it in a statement of its
	// own: in one WHERE clause the server may terminate before it filters.
	rows, _ := admin.Query(ctx, `
		SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	must(t, err)
	if len(pids) != 1 {
		t.Fatalf("found %d other backends on the test database, want the store's one", len(pids))
	}
	_, err = admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pids[0])
	must(t, err)
	waitGone(t, admin, pids[0])

	_, err = s.Load(ctx, "acme", "e1")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("load on a killed connection: %v, want store unavailable", err)
	}
	if _, err := s.Load(ctx, "acme", "e1"); err != nil {
		t.Fatalf("the store should reconnect: %v", err)
	}
}

// waitGone waits until the server has ended backend pid.
func waitGone(t *testing.T, admin *pgxpool.Pool, pid int32) {
	t.Helper()
	for range 500 {
		var alive bool
		must(t, admin.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, pid).Scan(&alive))
		if !alive {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("backend %d still alive", pid)
}
