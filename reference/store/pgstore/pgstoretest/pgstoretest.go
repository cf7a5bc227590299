package pgstoretest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Environment variables the kit reads.
const (
	// EnvDSN names the server to use, e.g.
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Its user
	// must be allowed to create databases.
	EnvDSN = "CHAOS_PG_DSN"
	// EnvRequire, set to 1, makes a missing Postgres fail the test instead of
	// skipping it.
	EnvRequire = "CHAOS_REQUIRE_PG"
)

// Prefix starts the name of every database the kit makes.
const Prefix = "chaosrun_test_"

// MaxConns is the size of the pools [Open] makes: small, because many tests
// run at once against one server.
const MaxConns = 4

// Pool returns a pool on a new, empty database, closed and dropped when the
// test ends. Without a Postgres server the test skips (fails under
// CHAOS_REQUIRE_PG=1).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return Open(t, Database(t))
}

// Database creates a new, empty database, dropped when the test ends, and
// returns a configuration for it; [Open] turns it into a pool, as many
// times as a test needs pools on the same database.
func Database(t testing.TB) *pgxpool.Config {
	t.Helper()
	db := pgstore.NewThrowaway(server(t), Prefix)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A throwaway database need not survive a crash of the server: commits
	// return before their WAL reaches the disk (what they see is unchanged).
	if err := db.Create(ctx, &pgstore.ThrowawayOpts{AsyncCommit: true}); err != nil {
		t.Fatalf("pgstoretest: %v", err)
	}
	t.Cleanup(func() { drop(t, db) })
	cfg := db.Config()
	cfg.MaxConns = MaxConns
	return cfg
}

// DSN returns the DSN of the server the kit found, for tests that make
// their own databases on it (net mode's rig does). Without a Postgres
// server the test skips (fails under CHAOS_REQUIRE_PG=1).
func DSN(t testing.TB) string {
	t.Helper()
	return server(t).ConnString()
}

// Open returns a pool for cfg, closed when the test ends.
func Open(t testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg.Copy())
	if err != nil {
		t.Fatalf("pgstoretest: open a pool on %s: %v", cfg.ConnConfig.Database, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func drop(t testing.TB, db *pgstore.Throwaway) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.Drop(ctx); err != nil {
		t.Errorf("pgstoretest: %v", err)
	}
}

// The server is found once per test binary and shared by its tests.
var (
	once   sync.Once
	found  *pgxpool.Config
	reason string
)

// server returns the configuration of the server to create databases on, or
// ends the test: a skip, or a failure when Postgres is required or the
// server named by CHAOS_PG_DSN does not answer.
func server(t testing.TB) *pgxpool.Config {
	t.Helper()
	once.Do(func() {
		found, reason = locate(os.Getenv(EnvDSN), startContainer)
		if found != nil {
			sweep(found)
		}
	})
	switch {
	case found != nil:
		return found
	case os.Getenv(EnvDSN) != "" || os.Getenv(EnvRequire) == "1":
		t.Fatal(reason)
	default:
		t.Skip(reason)
	}
	return nil
}

// sweep drops the databases that test binaries killed before their
// cleanups left on the server (see pgstore.SweepThrowaways): housekeeping
// that a test need not wait for, nor fail by.
func sweep(admin *pgxpool.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = pgstore.SweepThrowaways(ctx, admin, Prefix)
}

// locate finds a server: the DSN if there is one, else the one start starts.
// It returns the reason there is none otherwise, in one line.
func locate(dsn string, start func(context.Context) (string, error)) (*pgxpool.Config, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	source := EnvDSN
	if dsn == "" {
		var err error
		if dsn, err = start(ctx); err != nil {
			return nil, fmt.Sprintf("pgstoretest: no Postgres: %s is not set and testcontainers has no Docker engine (%v); set %s=postgres://user@host:5432/postgres?sslmode=disable to run these tests",
				EnvDSN, firstLine(err), EnvDSN)
		}
		source = "testcontainers"
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Sprintf("pgstoretest: %s: %v", source, err)
	}
	if err := ping(ctx, cfg); err != nil {
		return nil, fmt.Sprintf("pgstoretest: Postgres from %s does not answer (is the server running? pg_isready -h %s): %v",
			source, cfg.ConnConfig.Host, firstLine(err))
	}
	return cfg, ""
}

func ping(ctx context.Context, cfg *pgxpool.Config) error {
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
