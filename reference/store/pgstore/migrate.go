package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one file of migrations/, named NNNN_what.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order (fs.Glob
// sorts by name, and the names start with zero-padded versions).
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	for i, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func readMigration(name string) (migration, error) {
	base := path.Base(name)
	prefix, _, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil {
		return migration{}, fmt.Errorf("migration %s: name must be NNNN_what.sql", base)
	}
	sql, err := migrationFiles.ReadFile(name)
	return migration{version: version, name: base, sql: string(sql)}, err
}

// migrateLock is the advisory lock migrations take, per database: the
// bytes of "chaosmig" read as an integer.
const migrateLock = 0x6368616f736d6967

const (
	createMigrationsTable = `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`
	migrationApplied = `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`
	recordMigration  = `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`
)

// Migrate applies the embedded migrations the database lacks, each in a
// transaction of its own, recorded in the table schema_migrations. It is
// idempotent, and safe to run from several processes at once: every
// migration transaction first takes a transaction-scoped advisory lock, so
// they run one after another and each sees what the one before applied. It
// runs as the pool's own user, who owns the tables and must be allowed to
// create roles (or find them made; see migrations/0002_isolation.sql).
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return s.interpret(ctx, err, "migrate "+m.name)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return err
		}
		var done bool
		if err := tx.QueryRow(ctx, migrationApplied, m.version).Scan(&done); err != nil || done {
			return err
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, recordMigration, m.version, m.name)
		return err
	})
}
