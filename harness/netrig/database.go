package netrig

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store/pgstore"
)

// ErrPostgresUnreachable is net mode's error when no connection to the
// Postgres server its DSN names can be made.
var ErrPostgresUnreachable = errors.New("net mode: cannot connect to Postgres")

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
		// pgx lists each address it tried on its own line: one line here.
		why := strings.Join(strings.Fields(err.Error()), " ")
		return fmt.Errorf("%w at %s:%d: %s", ErrPostgresUnreachable, cfg.ConnConfig.Host, cfg.ConnConfig.Port, why)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
