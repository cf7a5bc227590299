package pgstoretest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestLocateWithoutPostgresSaysHowToRunInOneLine(t *testing.T) {
	t.Parallel()
	noDocker := func(context.Context) (string, error) {
		return "", errors.New("rootless Docker not found\nand more detail")
	}
	cfg, reason := locate("", noDocker)
	if cfg != nil || strings.Contains(reason, "\n") || !strings.Contains(reason, EnvDSN+"=postgres://") {
		t.Fatalf("locate without a server: %v %q, want one line naming %s", cfg, reason, EnvDSN)
	}
}

func TestLocateWithADeadDSNSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	start := time.Now()
	cfg, reason := locate("postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", nil)
	if cfg != nil || !strings.Contains(reason, "is the server running?") {
		t.Fatalf("locate with a closed port: %v %q", cfg, reason)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("locate with a closed port took %v", d)
	}
}

func TestNoDockerIsKnownAtOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := dockerHealth(ctx)
	if err == nil {
		t.Skip("a Docker engine answers here")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("giving up on Docker took %v: %v", d, err)
	}
}

func TestDatabaseIsDroppedWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("uses", func(t *testing.T) {
		pool := Pool(t)
		if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "chaosrun_test_") {
			t.Fatalf("test database %q", name)
		}
	})
	if name == "" {
		return // skipped: no Postgres
	}
	var exists bool
	admin := Open(t, server(t))
	err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil || exists {
		t.Fatalf("database %s still there after its test (%v)", name, err)
	}
}

func TestClusterStopsAndStartsAgainWithItsData(t *testing.T) {
	t.Parallel()
	c := NewCluster(t)
	ctx := t.Context()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, c.DSN())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE DATABASE kept"); err != nil {
		t.Fatal(err)
	}
	c.Stop(t)
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("the stopped cluster answers")
	}
	c.Start(t)
	c.Crash(t)
	if got := c.Databases(t, "kept"); len(got) != 1 {
		t.Fatalf("after a stop and a crash the cluster has %v, want the database kept", got)
	}
}
